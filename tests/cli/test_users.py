"""`custos user`: accounts, one-time passwords, tokens, lock-outs, the account changes that wait
for a second person, and the exit codes of mistakes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from custos.config import load_settings
from custos.context import Actor
from custos.errors import Unauthenticated
from custos.permissions import Role
from custos.setup import open_runtime
from custos.users import policy
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, call_of, custos, enrol_factor


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


def test_lock_outs_are_listed_and_lifted(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    runtime = open_runtime(load_settings(), passwords=CHEAP_PASSWORDS)
    try:
        with runtime.sessions() as session:
            users.create_user(
                call_of(session, runtime.clock),
                name="olga",
                role=Role.OPERATOR,
                passwords=CHEAP_PASSWORDS,
            )
            for address in ("198.51.100.7", "198.51.100.8"):
                for _ in range(policy.ACCOUNT_FAILURES):
                    with pytest.raises(Unauthenticated):
                        users.login(
                            session,
                            runtime.clock,
                            "olga",
                            "not the password",
                            address,
                            timedelta(hours=1),
                            passwords=CHEAP_PASSWORDS,
                        )
    finally:
        runtime.close()
    code, out, _ = custos(capsys, "user", "lockouts", "--json")
    assert code == 0
    assert sorted((x["user"], x["address"]) for x in json.loads(out)) == [
        ("olga", "198.51.100.7"),
        ("olga", "198.51.100.8"),
    ]
    code, out, _ = custos(capsys, "user", "unlock", "olga", "--address", "198.51.100.8")
    assert (code, out.strip()) == (0, "olga may sign in again from 198.51.100.8")
    code, out, _ = custos(capsys, "user", "unlock", "olga")
    assert (code, out.strip()) == (0, "olga may sign in again from 198.51.100.7")
    code, _, err = custos(capsys, "user", "unlock", "olga")
    assert code == 6
    assert "not locked out" in err
    code, _, err = custos(capsys, "user", "unlock", "--address", "10.0.0.1")
    assert code == 5
    assert "no lock-out of the address 10.0.0.1" in err


def test_the_shell_creates_accounts_near_footage_at_once_and_decides_waiting_changes(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bootstrap path: from the server's shell, no second person is asked.
    assert custos(capsys, "init")[0] == 0
    code, out, _ = custos(capsys, "user", "add", "ivan", "--role", "investigator")
    assert (code, "one-time password for ivan (investigator): " in out) == (0, True)
    code, out, _ = custos(capsys, "user", "add", "sam", "--role", "auditor")
    code, out, _ = custos(capsys, "user", "role", "sam", "--role", "approver")
    assert code == 0
    assert "sam now has the approver role" in out
    assert "one-time password for sam: " in out  # a promotion renews the password
    code, out, _ = custos(capsys, "user", "role", "sam", "--role", "approver")
    assert code == 6
    # Changes a signed-in admin asked for wait; the shell lists and decides them.
    runtime = open_runtime(load_settings(), passwords=CHEAP_PASSWORDS)
    try:
        with runtime.sessions() as session:
            admin = users.get_user(session, users.FIRST_ADMIN)
            asker = call_of(session, runtime.clock, Actor("admin", "admin", admin.id))
            for kind, name, role in (
                (policy.ChangeKind.CREATE, "olga", Role.OPERATOR),
                (policy.ChangeKind.RESET, "ivan", None),
            ):
                changed = users.make_or_ask(asker, kind, name, role=role, passwords=CHEAP_PASSWORDS)
                assert changed.request is not None
    finally:
        runtime.close()
    code, out, _ = custos(capsys, "user", "requests", "--json")
    waiting = json.loads(out)
    assert [(r["user"], r["kind"], r["asked_by"]) for r in waiting] == [
        ("ivan", "reset_password", "admin"),
        ("olga", "create", "admin"),
    ]
    assert all("password" not in r for r in waiting)
    reset, olga = (r["id"] for r in waiting)
    code, out, _ = custos(capsys, "user", "confirm", str(olga))
    assert code == 0
    assert f"request {olga} confirmed: olga (operator)" in out
    assert "one-time password for olga: " in out
    code, _, err = custos(capsys, "user", "refuse", str(reset), "--reason", " ")
    assert (code, "say why" in err) == (4, True)
    code, out, _ = custos(capsys, "user", "refuse", str(reset), "--reason", "not asked by ivan")
    assert (code, out.strip()) == (0, f"request {reset} refused")
    code, _, err = custos(capsys, "user", "confirm", str(reset))
    assert (code, "refused already" in err) == (6, True)
    code, out, _ = custos(capsys, "user", "requests", "--json")
    assert json.loads(out) == []
    code, out, _ = custos(capsys, "user", "requests", "--all")
    assert "confirmed" in out
    assert "refused" in out


def test_the_shell_removes_a_lost_second_factor(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    custos(capsys, "user", "add", "anna", "--role", "approver")
    runtime = open_runtime(load_settings())
    try:
        with runtime.sessions() as session:
            enrol_factor(session, runtime.clock, runtime.sealer, "anna")
    finally:
        runtime.close()
    code, out, _ = custos(capsys, "user", "list")
    assert code == 0
    assert "enrolled" in out
    code, out, _ = custos(capsys, "user", "reset-factor", "anna")
    assert code == 0
    assert "a new one is set up at the next sign-in" in out
    code, out, _ = custos(capsys, "user", "list", "--json")
    assert {u["name"]: u["second_factor"] for u in json.loads(out)} == {
        "admin": False,
        "anna": False,
    }
    code, _, err = custos(capsys, "user", "reset-factor", "anna")
    assert code == 6
    assert "no second factor to remove" in err
