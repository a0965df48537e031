"""The digest a sealed blob is known by: in its index row, in the audit log, in export manifests.

A digest names its algorithm: `blake3:` and 64 hex digits (BLAKE3, 256 bits). Blobs sealed
before digests named their algorithm carry 64 hex digits alone, which are SHA-256; `matches`
checks either, so everything stored stays provable.

BLAKE3 rather than SHA-256 because a recorder hashes every byte every camera sends: BLAKE3 hashes
about four times faster here (it works on 1 KiB chunks side by side in vector registers, where
SHA-256 is one long chain), and SHA-256 was the largest single part of recording's CPU
(docs/benchmarks.md). Both give 128 bits of collision resistance. What recipients of an export
check themselves (the files of the package) stays SHA-256, which every operating system ships.
"""

from __future__ import annotations

import hashlib
import hmac

from blake3 import blake3

ALGORITHM = "blake3"
_PREFIX = f"{ALGORITHM}:"


def digest(data: bytes | memoryview) -> str:
    """The digest of `data`, written with its algorithm."""
    return _PREFIX + blake3(data).hexdigest()


def algorithm(value: str) -> str:
    """The algorithm `value` was made with: `blake3`, or `sha256` for a bare hex digest."""
    return ALGORITHM if value.startswith(_PREFIX) else "sha256"


def matches(expected: str, data: bytes | memoryview) -> bool:
    """Whether `data` has the digest `expected` (either form)."""
    blake = algorithm(expected) == ALGORITHM
    actual = digest(data) if blake else hashlib.sha256(data).hexdigest()
    return hmac.compare_digest(actual, expected)
