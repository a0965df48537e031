"""The key-encryption key (KEK): 32 random bytes in a file only its owner can read."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from custos.errors import ConfigError, NotInitialised

KEK_BYTES = 32


def create_kek(path: Path) -> bool:
    """Create the KEK file (0600, in a 0700 folder) unless it exists; True if created."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        load_kek(path)
        return False
    try:
        os.write(descriptor, secrets.token_bytes(KEK_BYTES))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return True


def load_kek(path: Path) -> bytes:
    """Read the KEK, refusing a file that others can read or that has the wrong size."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise NotInitialised(f"key file {path} does not exist; run `custos init`") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"key file {path} is open to other users (mode {stat.filemode(mode)}); "
            f"run `chmod 600 {path}`"
        )
    key = path.read_bytes()
    if len(key) != KEK_BYTES:
        raise ConfigError(f"key file {path} holds {len(key)} bytes, not {KEK_BYTES}")
    return key
