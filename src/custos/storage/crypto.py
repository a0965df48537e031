"""Sealing: a fresh AES-256-GCM key per blob, wrapped under the key-encryption key (RFC 3394).

Destroying the wrapped key destroys the blob: without it the ciphertext is noise, wherever
copies of it went. The associated data binds a blob to what it claims to be (its segment id and
camera), so a blob moved to another row fails to open.

What is derived from a blob (the tracks of the people in a segment, say) is sealed under a key
derived from the blob's own data key (HKDF-SHA256, a label per use): destroying the blob's
wrapped key destroys what was derived from it too, with no second key to find and shred.
"""

from __future__ import annotations

import hashlib
import hmac
import mmap
import os
import threading
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from custos.errors import TamperDetected
from custos.storage.digest import digest

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
# What a reusable buffer reserves at first: a 10 s segment of 1080p at up to 12 Mbit/s fits.
RESERVED_BYTES = 16 << 20


def private_memory(size: int) -> mmap.mmap:
    """Private anonymous memory of at least `size` bytes, in whole pages.

    The kernel supplies a page when it is first written, so reserving more than is used costs
    no memory, and growing within the reservation costs no copy. (`mmap.mmap(-1, n)` alone
    would map shared memory, dearer to fault in.)
    """
    pages = max(1, -(-size // mmap.PAGESIZE))
    return mmap.mmap(-1, pages * mmap.PAGESIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)


@dataclass(frozen=True)
class Sealed:
    """A sealed blob and what is needed to open it again."""

    ciphertext: bytes | memoryview
    digest: str  # of the ciphertext (custos.storage.digest)
    wrapped_key: bytes
    nonce: bytes
    kek_id: str


class SealBuffer:
    """Reusable, page-aligned memory for ciphertext (an anonymous mapping).

    Page alignment lets the folder store write it straight to disk, past the page cache. It
    grows by replacement, so views handed out earlier stay valid.
    """

    def __init__(self) -> None:
        self._map: mmap.mmap | None = None

    @property
    def capacity(self) -> int:
        """Bytes it holds without growing."""
        return 0 if self._map is None else len(self._map)

    def view(self, size: int) -> memoryview:
        """A writable view of `size` bytes, starting on a page boundary."""
        if self._map is None or self.capacity < size:
            self._map = private_memory(max(size, 2 * self.capacity, RESERVED_BYTES))
        assert self._map is not None
        return memoryview(self._map)[:size]


class SealBuffers:
    """A few SealBuffers used in turn: one is taken for each segment sealed and given back once
    that segment is stored, so a recorder does not fault in fresh memory for every segment.

    Taking from an empty pool makes a new buffer; giving back to a full one lets the buffer go.
    """

    def __init__(self, keep: int = 4) -> None:
        self._keep = keep
        self._free: list[SealBuffer] = []
        self._lock = threading.Lock()

    def take(self) -> SealBuffer:
        """A buffer no one else uses until it is given back."""
        with self._lock:
            return self._free.pop() if self._free else SealBuffer()

    def give(self, buffer: SealBuffer) -> None:
        """Take `buffer` back; whatever was sealed into it must no longer be needed."""
        with self._lock:
            if len(self._free) < self._keep:
                self._free.append(buffer)


def kek_id(kek: bytes) -> str:
    """A short public name for a key-encryption key (it reveals nothing of the key)."""
    return hmac.new(kek, b"custos key-encryption key id", hashlib.sha256).hexdigest()[:16]


class Sealer:
    """Seals and opens blobs under one key-encryption key."""

    def __init__(self, kek: bytes) -> None:
        if len(kek) != DATA_KEY_BYTES:
            raise ValueError("the key-encryption key must be 32 bytes")
        self._kek = kek
        self.kek_id = kek_id(kek)

    def seal(
        self,
        plaintext: bytes | memoryview,
        associated_data: bytes,
        into: SealBuffer | None = None,
    ) -> Sealed:
        """Encrypt under a fresh data key; the plaintext is never copied or written anywhere.

        With `into`, the ciphertext is written into that reusable buffer (grown if too small)
        and returned as a view of it, valid until the buffer is used again.
        """
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        cipher = AESGCM(data_key)
        ciphertext: bytes | memoryview
        if into is None:
            ciphertext = cipher.encrypt(nonce, plaintext, associated_data)
        else:
            ciphertext = into.view(len(plaintext) + TAG_BYTES)
            cipher.encrypt_into(nonce, plaintext, associated_data, ciphertext)
        return Sealed(
            ciphertext=ciphertext,
            digest=digest(ciphertext),
            wrapped_key=aes_key_wrap(self._kek, data_key),
            nonce=nonce,
            kek_id=self.kek_id,
        )

    def open(
        self, ciphertext: bytes, wrapped_key: bytes, nonce: bytes, associated_data: bytes
    ) -> bytes:
        """Decrypt; TamperDetected if the key, the ciphertext or the binding does not check out."""
        data_key = self._unwrap(wrapped_key)
        try:
            return AESGCM(data_key).decrypt(nonce, ciphertext, associated_data)
        except InvalidTag:
            raise TamperDetected("the ciphertext or its binding has been altered") from None

    def _unwrap(self, wrapped_key: bytes) -> bytes:
        try:
            return aes_key_unwrap(self._kek, wrapped_key)
        except InvalidUnwrap:
            raise TamperDetected(
                "the data key does not unwrap under this key-encryption key"
            ) from None

    def _derived(self, wrapped_key: bytes, label: bytes) -> AESGCM:
        derived = HKDF(algorithm=hashes.SHA256(), length=DATA_KEY_BYTES, salt=None, info=label)
        return AESGCM(derived.derive(self._unwrap(wrapped_key)))

    def seal_derived(
        self, wrapped_key: bytes, label: bytes, plaintext: bytes, associated_data: bytes
    ) -> bytes:
        """Seal `plaintext` under a key derived from a blob's data key; nonce and ciphertext.

        It opens only while that data key exists (`open_derived`): shredding the blob's key
        shreds this too.
        """
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._derived(wrapped_key, label).encrypt(nonce, plaintext, associated_data)
        return nonce + sealed

    def open_derived(
        self, wrapped_key: bytes, label: bytes, sealed: bytes, associated_data: bytes
    ) -> bytes:
        """Open what `seal_derived` sealed; TamperDetected if any part does not check out."""
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._derived(wrapped_key, label).decrypt(nonce, ciphertext, associated_data)
        except InvalidTag:
            raise TamperDetected("the sealed data or its binding has been altered") from None
