"""Sealing: every blob has its own key, opens only under its own binding, and shows any change."""

from __future__ import annotations

import ctypes
import mmap
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.errors import TamperDetected
from custos.storage.crypto import (
    RESERVED_BYTES,
    SealBuffer,
    SealBuffers,
    Sealer,
    kek_id,
    private_memory,
)

KEK = bytes(range(32))
SEALER = Sealer(KEK)
AAD = b"custos-segment-v1\x00abc\x001"


def test_round_trip_and_fresh_keys() -> None:
    first = SEALER.seal(b"frame data" * 100, AAD)
    second = SEALER.seal(b"frame data" * 100, AAD)
    assert first.wrapped_key != second.wrapped_key
    assert first.ciphertext != second.ciphertext
    assert len(first.wrapped_key) == 40  # RFC 3394 wrap of a 256-bit key
    assert (
        SEALER.open(bytes(first.ciphertext), first.wrapped_key, first.nonce, AAD)
        == b"frame data" * 100
    )


def test_ciphertext_hides_the_plaintext() -> None:
    plaintext = b"\x00\x00\x00\x18ftypisom" + b"mdat" * 1000
    sealed = SEALER.seal(plaintext, AAD)
    for marker in (b"ftyp", b"mdat", b"isom"):
        assert marker not in bytes(sealed.ciphertext)


def test_another_binding_does_not_open() -> None:
    sealed = SEALER.seal(b"x" * 64, AAD)
    with pytest.raises(TamperDetected, match="altered"):
        SEALER.open(
            bytes(sealed.ciphertext), sealed.wrapped_key, sealed.nonce, AAD.replace(b"abc", b"abd")
        )


def test_another_kek_does_not_unwrap() -> None:
    sealed = SEALER.seal(b"x" * 64, AAD)
    with pytest.raises(TamperDetected, match="does not unwrap"):
        Sealer(os.urandom(32)).open(bytes(sealed.ciphertext), sealed.wrapped_key, sealed.nonce, AAD)


@settings(max_examples=60)
@given(st.binary(min_size=1, max_size=512), st.data())
def test_any_flipped_bit_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    sealed = SEALER.seal(plaintext, AAD)
    ciphertext = bytearray(sealed.ciphertext)
    bit = data.draw(st.integers(min_value=0, max_value=len(ciphertext) * 8 - 1))
    ciphertext[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(TamperDetected):
        SEALER.open(bytes(ciphertext), sealed.wrapped_key, sealed.nonce, AAD)


def test_reusable_buffer_gives_the_same_result_and_keeps_old_views() -> None:
    buffer = SealBuffer()
    small = SEALER.seal(b"a" * 10, AAD, into=buffer)
    kept = bytes(small.ciphertext)
    large = SEALER.seal(b"b" * RESERVED_BYTES, AAD, into=buffer)  # past the reservation
    assert bytes(small.ciphertext) == kept  # growing replaced the memory instead of resizing it
    assert SEALER.open(bytes(large.ciphertext), large.wrapped_key, large.nonce, AAD) == (
        b"b" * RESERVED_BYTES
    )
    assert isinstance(large.ciphertext, memoryview)


def test_sealed_views_start_on_a_page_boundary() -> None:
    buffer = SealBuffer()
    for size in (1, 5000, 3 * mmap.PAGESIZE + 7):
        view = SEALER.seal(b"x" * size, AAD, into=buffer).ciphertext
        assert isinstance(view, memoryview)
        assert ctypes.addressof(ctypes.c_char.from_buffer(view)) % mmap.PAGESIZE == 0
    assert buffer.capacity % mmap.PAGESIZE == 0


def test_buffer_pool_reuses_what_is_given_back_and_keeps_only_a_few() -> None:
    pool = SealBuffers(keep=2)
    first, second, third = pool.take(), pool.take(), pool.take()
    assert len({id(first), id(second), id(third)}) == 3  # none is handed out twice
    for buffer in (first, second, third):
        pool.give(buffer)
    again = {id(pool.take()), id(pool.take())}
    assert again == {id(first), id(second)}  # the third was let go
    assert id(pool.take()) not in {id(first), id(second), id(third)}


def test_kek_id_is_stable_and_short() -> None:
    assert kek_id(KEK) == SEALER.kek_id
    assert len(kek_id(KEK)) == 16
    assert kek_id(os.urandom(32)) != kek_id(KEK)


def _resident_kib(kind: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {kind} in /proc/self/status")


def test_sealed_memory_is_the_processs_own_not_shared_memory() -> None:
    before = _resident_kib("RssShmem")
    view = SealBuffer().view(8 << 20)
    view[:] = b"\x01" * len(view)  # touch every page
    assert _resident_kib("RssShmem") - before < 1024


def test_reserved_memory_costs_nothing_until_it_is_written() -> None:
    before = _resident_kib("RssAnon")
    memory = private_memory(RESERVED_BYTES)
    assert len(memory) == RESERVED_BYTES
    assert _resident_kib("RssAnon") - before < 1024
    for page in range(0, 4 << 20, mmap.PAGESIZE):
        memory[page] = 1
    assert 3 << 10 < _resident_kib("RssAnon") - before < 5 << 10  # the 4 MiB written, no more
