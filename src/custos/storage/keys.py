"""Key files: the key-encryption key and the signing keys, each readable by its owner only."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from custos.errors import ConfigError, NotInitialised

KEK_BYTES = 32
SIGNING_KEY_BYTES = 32


def create_kek(path: Path) -> bool:
    """Create the KEK file (0600, in a 0700 folder) unless it exists; True if created."""
    return _create_secret(path, KEK_BYTES)


def _create_secret(path: Path, length: int) -> bool:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        write_owner_only(path, secrets.token_bytes(length))
    except FileExistsError:
        _read_secret(path, length)
        return False
    return True


def write_owner_only(path: Path, data: bytes) -> None:
    """Write a new file that only its owner can read; FileExistsError if `path` exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def load_kek(path: Path) -> bytes:
    """Read the KEK, refusing a file that others can read or that has the wrong size."""
    return _read_secret(path, KEK_BYTES)


def _read_secret(path: Path, length: int) -> bytes:
    check_owner_only(path)
    key = path.read_bytes()
    if len(key) != length:
        raise ConfigError(f"key file {path} holds {len(key)} bytes, not {length}")
    return key


def check_owner_only(path: Path) -> None:
    """Refuse a key file that is missing or that other users can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise NotInitialised(f"key file {path} does not exist; run `custos init`") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"key file {path} is open to other users (mode {stat.filemode(mode)}); "
            f"run `chmod 600 {path}`"
        )


def create_signing_key(path: Path) -> bool:
    """Create an Ed25519 private key file (32 raw bytes, 0600) unless it exists; True if created."""
    return _create_secret(path, SIGNING_KEY_BYTES)


def load_signing_key(path: Path) -> bytes:
    """Read an Ed25519 private key file, refusing one that others can read."""
    return _read_secret(path, SIGNING_KEY_BYTES)
