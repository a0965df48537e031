"""Checkpoints and witnesses: signing, refusing contradictions, accepting only registered ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.audit.note import (
    COSIGNATURE_ED25519,
    Checkpoint,
    NoteSigner,
    parse_checkpoint,
    parse_note,
    verify,
)
from custos.clock import FrozenClock
from custos.errors import Conflict, InvalidInput, NotFound, TamperDetected
from helpers import audit_events, call_of


def _witness(name: str = "ngo.example/w1", seed: int = 7) -> NoteSigner:
    return NoteSigner(name, bytes([seed]) * 32, COSIGNATURE_ED25519)


def test_signed_checkpoint_is_a_verifiable_note(
    db: Session, clock: FrozenClock, signer: NoteSigner, filled: int
) -> None:
    signed = checkpoints.sign_checkpoint(db, clock, signer)
    assert signed is not None
    note = parse_note(signed.note)
    assert verify(note, signer.verifier)
    head = parse_checkpoint(note.text)
    assert (head.origin, head.size, head.root) == (log.origin(db), filled, log.root_at(db, filled))
    assert checkpoints.sign_checkpoint(db, clock, signer, only_if_grown=True) is None


def test_witness_cosignature_is_accepted_and_published(
    db: Session, clock: FrozenClock, signer: NoteSigner, filled: int
) -> None:
    witness = _witness()
    checkpoints.add_witness(call_of(db, clock), witness.verifier.vkey())
    signed = checkpoints.sign_checkpoint(db, clock, signer)
    assert signed is not None
    text = parse_note(signed.note).text
    submitted = text + "\n" + witness.cosign(text, 1_790_000_000).line()
    assert checkpoints.accept_cosignatures(db, clock, submitted) == ["ngo.example/w1"]
    assert checkpoints.accept_cosignatures(db, clock, submitted) == ["ngo.example/w1"]  # idempotent
    published = checkpoints.published_note(db, signed)
    assert published.startswith(signed.note)
    assert published.count("\u2014 ") == 2
    [(name, cosignature)] = checkpoints.cosignatures(db, signed)
    assert name == "ngo.example/w1"
    assert cosignature.cosigned_at.timestamp() == 1_790_000_000
    assert audit_events(db, event="audit.witness_added")[0].object_id == "ngo.example/w1"


def test_cosignatures_that_do_not_hold_are_refused(
    db: Session, clock: FrozenClock, signer: NoteSigner, filled: int
) -> None:
    registered, stranger = _witness(), _witness("stranger.example/w", seed=9)
    checkpoints.add_witness(call_of(db, clock), registered.verifier.vkey())
    signed = checkpoints.sign_checkpoint(db, clock, signer)
    assert signed is not None
    text = parse_note(signed.note).text
    with pytest.raises(InvalidInput, match="no cosignature by a registered witness"):
        checkpoints.accept_cosignatures(db, clock, text + "\n" + stranger.cosign(text, 1).line())
    forged = NoteSigner("ngo.example/w1", bytes([8]) * 32, COSIGNATURE_ED25519)
    with pytest.raises(InvalidInput, match=r"is not by ngo\.example/w1"):
        checkpoints.accept_cosignatures(db, clock, text + "\n" + forged.cosign(text, 1).line())
    head = parse_checkpoint(text)
    other = Checkpoint(head.origin, head.size + 1, head.root).text()
    with pytest.raises(NotFound, match="never signed"):
        checkpoints.accept_cosignatures(
            db, clock, other + "\n" + registered.cosign(other, 1).line()
        )
    with pytest.raises(InvalidInput, match="not a cosigned checkpoint"):
        checkpoints.accept_cosignatures(db, clock, "hello")


def test_witness_registration_checks_the_key(
    db: Session, clock: FrozenClock, signer: NoteSigner
) -> None:
    with pytest.raises(InvalidInput, match="cosignature key"):
        checkpoints.add_witness(call_of(db, clock), signer.verifier.vkey())  # a 0x01 note key
    with pytest.raises(InvalidInput, match="verifier key"):
        checkpoints.add_witness(call_of(db, clock), "not-a-key")
    checkpoints.add_witness(call_of(db, clock), _witness().verifier.vkey())
    with pytest.raises(Conflict, match="registered already"):
        checkpoints.add_witness(call_of(db, clock), _witness(seed=3).verifier.vkey())


def test_a_shrunk_log_is_not_signed(
    db: Session, clock: FrozenClock, signer: NoteSigner, filled: int, tamper: Callable[[str], None]
) -> None:
    checkpoints.sign_checkpoint(db, clock, signer)
    tamper("UPDATE audit_log_state SET size = size - 1")
    with pytest.raises(TamperDetected, match="refusing to sign a smaller log"):
        checkpoints.sign_checkpoint(db, clock, signer)
