"""Password hashing, handed to whoever checks or sets a password (the runtime holds one).

Production uses Argon2id at the library's recommended cost (about 0.4 s a hash on a small
machine); a test suite may build one with cheaper parameters. Nothing is hashed at import.
"""

from __future__ import annotations

import secrets
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hashes and checks passwords with one Argon2 hasher."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy(self) -> str:
        # Checking against this keeps a sign-in for an unknown name as slow as for a known one.
        return self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """The hash to store for `password`."""
        return self._hasher.hash(password)

    def matches(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` is the one `password_hash` was made from (None: no password)."""
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a stored hash was made with other parameters than this hasher's."""
        return self._hasher.check_needs_rehash(password_hash)
