"""Signed notes, checkpoints and cosignatures in the C2SP formats."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.audit.note import (
    COSIGNATURE_ED25519,
    Checkpoint,
    Note,
    NoteError,
    NoteSigner,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify,
    verify_cosignature,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "rfc6962" / "signed-note"
EXAMPLE = (DATA / "example.note").read_text()
EXAMPLE_KEY = parse_vkey((DATA / "example.vkey").read_text())


def test_the_c2sp_example_verifies() -> None:
    assert EXAMPLE_KEY.name == "example.com/foo"
    assert verify(parse_note(EXAMPLE), EXAMPLE_KEY)


@given(st.data())
def test_any_changed_byte_of_the_example_fails(data: st.DataObject) -> None:
    raw = EXAMPLE.encode()
    position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    changed = bytearray(raw)
    changed[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    try:
        text = changed.decode()
        ok = verify(parse_note(text), EXAMPLE_KEY)
    except (UnicodeDecodeError, NoteError):
        ok = False
    assert not ok


def test_signing_and_the_verifier_key_round_trip() -> None:
    signer = NoteSigner("custos/test", bytes(range(32)))
    head = Checkpoint("custos/test", 42, bytes(32))
    note = Note(head.text(), (signer.sign(head.text()),))
    parsed = parse_note(note.serialise())
    assert verify(parsed, parse_vkey(signer.verifier.vkey()))
    assert parse_checkpoint(parsed.text) == head
    assert not verify(parsed, NoteSigner("custos/test", bytes(32)).verifier)


def test_verifier_keys_whose_base64_holds_a_plus_parse() -> None:
    for seed in range(64):
        key = NoteSigner(f"w{seed}.example/x", bytes([seed]) * 32, COSIGNATURE_ED25519).verifier
        assert parse_vkey(key.vkey()) == key


def test_cosignature_v1_over_a_checkpoint() -> None:
    witness = NoteSigner("ngo.example/w1", bytes(range(1, 33)), COSIGNATURE_ED25519)
    text = Checkpoint("custos/test", 7, bytes(range(32))).text()
    signature = witness.cosign(text, 1_800_000_000)
    assert verify_cosignature(text, signature, witness.verifier) == 1_800_000_000
    with pytest.raises(NoteError, match="does not verify"):
        verify_cosignature(text.replace("7", "8"), signature, witness.verifier)
    line = signature.line()
    assert line.startswith("\u2014 ngo.example/w1 ")
    blob = base64.b64decode(line.split(" ")[2])
    assert blob[:4] == witness.verifier.key_id
    assert len(blob) == 4 + 8 + 64


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("origin\n12\n", "origin, a size and a root"),
        ("origin\n012\nAAAA\n", "malformed"),
        ("origin\nten\nAAAA\n", "malformed"),
        ("origin\n1\n!!!\n", "not base64"),
        ("origin\n1\nAAAA\n", "not a SHA-256"),
    ],
)
def test_malformed_checkpoints(text: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("no signature\n", "no blank line"),
        ("text\n\n", "no signature"),
        ("text\n\n- name AAAAAAAA\n", "malformed signature line"),
        ("text\n\n\u2014 name !!!\n", "not valid base64"),
    ],
)
def test_malformed_notes(raw: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        parse_note(raw)


def test_a_key_with_a_wrong_id_is_refused() -> None:
    name, _, material = EXAMPLE_KEY.vkey().split("+")
    with pytest.raises(NoteError, match="key id does not match"):
        parse_vkey(f"{name}+00000000+{material}")


def test_a_signature_spelt_in_non_canonical_base64_is_refused() -> None:
    # The last base64 character before the padding carries unused bits: setting one spells
    # the same bytes differently, which must not verify.
    raw = EXAMPLE.encode()
    position = 139
    changed = bytearray(raw)
    changed[position] ^= 2
    with pytest.raises(NoteError, match="canonical"):
        parse_note(changed.decode())
