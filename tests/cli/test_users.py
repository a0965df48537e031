"""`custos user`: accounts, one-time passwords, tokens and the exit codes of mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import custos


def test_users(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    custos(capsys, "init")
    code, out, _ = custos(capsys, "user", "add", "ivan", "--role", "investigator")
    assert code == 0
    assert "one-time password for ivan (investigator): " in out
    code, out, _ = custos(capsys, "user", "add", "watchdog", "--role", "auditor", "--token")
    assert code == 0
    assert "token for watchdog (auditor): cst_" in out
    code, _, err = custos(capsys, "user", "add", "ivan", "--role", "operator")
    assert code == 6
    assert "exists already" in err
    code, _, err = custos(capsys, "user", "add", "eve", "--role", "superuser")
    assert code == 2
    assert "superuser" in err
    assert custos(capsys, "user", "disable", "ivan")[0] == 0
    code, out, _ = custos(capsys, "user", "list", "--json")
    assert {u["name"]: u["active"] for u in json.loads(out)} == {
        "admin": True,
        "ivan": False,
        "watchdog": True,
    }
    code, out, _ = custos(capsys, "user", "reset-password", "ghost")
    assert code == 5


def test_a_token_lives_at_most_the_maximum(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    custos(capsys, "user", "add", "watchdog", "--role", "auditor", "--token")
    code, _, err = custos(capsys, "user", "token", "watchdog", "--days", "91")
    assert code == 2
    assert "less than or equal to 90" in err
    code, out, _ = custos(capsys, "user", "token", "watchdog", "--days", "7")
    assert code == 0
    assert "expires " in out
