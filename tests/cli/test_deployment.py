"""`custos init`: set-up that can run again, and what commands say before it has run."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from helpers import custos


def test_init_is_idempotent(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = custos(capsys, "init")
    assert code == 0
    assert "first admin   admin / " in out
    key = (data_dir / "keys" / "kek.key").read_bytes()
    assert stat.S_IMODE((data_dir / "keys" / "kek.key").stat().st_mode) == 0o600
    password = (data_dir / "initial-admin-password").read_text().strip()
    assert password in out
    code, out, _ = custos(capsys, "init")
    assert code == 0
    assert "first admin" not in out
    assert "(kept)" in out
    assert (data_dir / "keys" / "kek.key").read_bytes() == key
    code, out, _ = custos(capsys, "user", "list", "--json")
    assert [u["name"] for u in json.loads(out)] == ["admin"]


def test_commands_before_init_say_so(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = custos(capsys, "camera", "list")
    assert code == 3
    assert "custos init" in err
