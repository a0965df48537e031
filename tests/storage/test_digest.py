"""Ciphertext digests: BLAKE3 written with its name, bare hex read as SHA-256."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from custos.storage import digest

# The BLAKE3 paper's test vector for the empty input.
EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"


def test_a_digest_names_blake3_and_carries_256_bits() -> None:
    assert digest.digest(b"") == f"blake3:{EMPTY}"
    assert digest.algorithm(digest.digest(b"x")) == "blake3"
    assert len(digest.digest(b"x")) == len("blake3:") + 64


def test_views_and_bytes_give_the_same_digest() -> None:
    data = bytes(range(256)) * 5000
    assert digest.digest(memoryview(data)[: len(data)]) == digest.digest(data)


def test_a_bare_hex_digest_is_sha256() -> None:
    value = hashlib.sha256(b"footage").hexdigest()
    assert digest.algorithm(value) == "sha256"
    assert digest.matches(value, b"footage")
    assert not digest.matches(value, b"footagE")


@given(st.binary(max_size=4096), st.integers(min_value=0, max_value=4095))
def test_a_changed_byte_never_matches(data: bytes, where: int) -> None:
    kept = digest.digest(data)
    assert digest.matches(kept, data)
    if data:
        changed = bytearray(data)
        changed[where % len(data)] ^= 0x01
        assert not digest.matches(kept, bytes(changed))
        assert not digest.matches(hashlib.sha256(data).hexdigest(), bytes(changed))
