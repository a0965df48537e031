"""The key-encryption key file: created once, 0600, and refused when others can read it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from custos.errors import ConfigError, NotInitialised
from custos.storage.keys import KEK_BYTES, create_kek, load_kek


def test_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "kek.key"
    assert create_kek(path)
    key = load_kek(path)
    assert len(key) == KEK_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not create_kek(path)
    assert load_kek(path) == key


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kek.key"
    create_kek(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="open to other users"):
        load_kek(path)


def test_truncated_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kek.key"
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="holds 5 bytes"):
        load_kek(path)


def test_missing_key_says_to_initialise(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised, match="custos init"):
        load_kek(tmp_path / "none.key")
