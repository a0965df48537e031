"""The accounts API: tokens that always end, lock-outs per client address that admins see and
lift, and a password change that ends the account's other sessions and tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.context import Call, Principal
from custos.permissions import Role
from custos.users import policy
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, audit_events, bearer, page_client

ATTACKER = ("198.51.100.7", 40000)
REAL_USER = ("192.0.2.10", 40000)
PASSWORD = "a long and private phrase"


@pytest.fixture
def at(app: FastAPI) -> Iterator[Callable[[tuple[str, int]], TestClient]]:
    """HTTPS clients that connect from a given client address (and send this site's Origin)."""
    opened: list[TestClient] = []

    def _client(address: tuple[str, int]) -> TestClient:
        client = page_client(app, client=address)
        opened.append(client.__enter__())
        return client

    yield _client
    for client in opened:
        client.__exit__(None, None, None)


def _account(call: Call, name: str, role: Role = Role.OPERATOR) -> None:
    user, temporary = users.create_user(call, name=name, role=role, passwords=CHEAP_PASSWORDS)
    assert temporary is not None
    principal = Principal(user.id, name, role, "session")
    users.change_own_password(call, principal, temporary, PASSWORD, passwords=CHEAP_PASSWORDS)


@pytest.mark.parametrize("days", [None, 0, policy.MAX_TOKEN_DAYS + 1, 3650])
def test_a_token_that_would_not_end_or_end_too_late_is_422(
    client: TestClient, make_user: Callable[..., tuple[str, str]], days: int | None
) -> None:
    headers = bearer(make_user(Role.AUDITOR)[1])
    response = client.post("/api/me/tokens", headers=headers, json={"label": "ci", "days": days})
    assert response.status_code == 422
    assert response.json()["field"] == "days"


def test_a_token_ends_when_asked_and_by_default_at_the_maximum(
    client: TestClient, make_user: Callable[..., tuple[str, str]], call: Call
) -> None:
    headers = bearer(make_user(Role.AUDITOR)[1])
    now = call.clock.now()
    short = client.post("/api/me/tokens", headers=headers, json={"days": 7})
    assert short.status_code == 201
    assert short.json()["expires_at"].startswith(str((now + timedelta(days=7)).date()))
    default = client.post("/api/me/tokens", headers=headers, json={})
    longest = now + timedelta(days=policy.MAX_TOKEN_DAYS)
    assert default.json()["expires_at"].startswith(str(longest.date()))
    schema = client.get("/openapi.json").json()["components"]["schemas"]["TokenCreate"]
    assert schema["properties"]["days"]["maximum"] == policy.MAX_TOKEN_DAYS


def test_one_address_locks_the_admin_out_only_for_itself_and_an_admin_lifts_it(
    call: Call,
    at: Callable[[tuple[str, int]], TestClient],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    _account(call, "root", Role.ADMIN)
    attacker, real = at(ATTACKER), at(REAL_USER)
    for _ in range(policy.ACCOUNT_FAILURES + 3):
        refused = attacker.post("/login", data={"name": "root", "password": "guess it"})
        assert refused.status_code == 401
    assert "too many failed sign-ins" in refused.text
    # The real admin, from their own address, signs in as usual.
    signed = real.post("/login", data={"name": "root", "password": PASSWORD})
    assert signed.status_code == 303
    other_admin = bearer(make_user(Role.ADMIN)[1])
    listed = real.get("/api/users/root", headers=other_admin).json()
    assert [(x["user"], x["address"]) for x in listed["lockouts"]] == [("root", ATTACKER[0])]
    everything = real.get("/api/lockouts", headers=other_admin).json()
    assert [(x["user"], x["address"]) for x in everything] == [("root", ATTACKER[0])]
    lifted = real.post("/api/users/root/unlock", headers=other_admin)
    assert lifted.json() == {"user": "root", "addresses": [ATTACKER[0]]}
    assert real.post("/api/users/root/unlock", headers=other_admin).status_code == 409
    assert real.get("/api/lockouts", headers=other_admin).json() == []
    assert attacker.post("/login", data={"name": "root", "password": PASSWORD}).status_code == 303


def test_an_address_locked_out_as_a_whole_is_lifted_by_address(
    call: Call,
    db: Session,
    at: Callable[[tuple[str, int]], TestClient],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    _account(call, "olga")
    attacker = at(ATTACKER)
    for i in range(policy.ADDRESS_FAILURES):
        attacker.post("/login", data={"name": f"guess{i}", "password": "guess it"})
    refused = attacker.post("/login", data={"name": "olga", "password": PASSWORD})
    assert refused.status_code == 401
    assert "from this address" in refused.text
    admin = bearer(make_user(Role.ADMIN)[1])
    listed = attacker.get("/api/lockouts", headers=admin).json()
    assert [(x["user"], x["address"]) for x in listed] == [(None, ATTACKER[0])]
    missing = attacker.post("/api/lockouts/lift", headers=admin, json={"address": "10.9.9.9"})
    assert missing.status_code == 404
    lifted = attacker.post("/api/lockouts/lift", headers=admin, json={"address": ATTACKER[0]})
    assert lifted.status_code == 204
    assert attacker.post("/login", data={"name": "olga", "password": PASSWORD}).status_code == 303
    assert audit_events(db, event="lockout.lifted")[0].details == {"user": None}


def test_changing_the_password_signs_out_every_other_browser_and_token(
    call: Call, at: Callable[[tuple[str, int]], TestClient]
) -> None:
    _account(call, "nia")
    here, there = at(REAL_USER), at(ATTACKER)
    for client in (here, there):
        assert client.post("/login", data={"name": "nia", "password": PASSWORD}).status_code == 303
    token = here.post("/api/me/tokens", json={"label": "laptop"}).json()["token"]
    assert there.get("/api/me", headers=bearer(token)).status_code == 200
    changed = here.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "a fresh private phrase"},
    )
    assert changed.status_code == 204
    assert here.get("/api/me").status_code == 200  # the session that made the change stays
    assert there.get("/api/me").status_code == 401
    assert there.get("/api/me", headers=bearer(token)).status_code == 401


# --- account changes that wait for a second person ------------------------------------------


def _token_of(make_user: Callable[..., tuple[str, str]], name: str, role: Role) -> dict[str, str]:
    """Bearer headers of a person holding an account of `role` (with a code given lately)."""
    return bearer(make_user(role, name)[1])


def test_a_change_near_footage_is_202_and_only_its_confirmer_sees_the_password(
    client: TestClient, call: Call, db: Session, make_user: Callable[..., tuple[str, str]]
) -> None:
    ada, dora = _token_of(make_user, "ada", Role.ADMIN), _token_of(make_user, "dora", Role.DPO)
    asked = client.post("/api/users", headers=ada, json={"name": "ivan", "role": "investigator"})
    assert asked.status_code == 202, asked.text
    body = asked.json()
    assert "password" not in body
    assert (body["kind"], body["user"], body["role"], body["status"], body["asked_by"]) == (
        "create",
        "ivan",
        "investigator",
        "pending",
        "ada",
    )
    assert client.get("/api/users/ivan", headers=ada).status_code == 404
    listed = client.get("/api/account-requests?status=pending", headers=dora).json()
    assert [r["id"] for r in listed] == [body["id"]]
    mine = client.post(f"/api/account-requests/{body['id']}/confirm", headers=ada)
    assert mine.status_code == 403
    assert "you asked for this change" in mine.json()["detail"]
    confirmed = client.post(f"/api/account-requests/{body['id']}/confirm", headers=dora)
    assert confirmed.status_code == 200, confirmed.text
    shown = confirmed.json()
    assert shown["user"]["role"] == "investigator"
    assert shown["request"]["decided_by"] == "dora"
    assert len(shown["password"]) == 20
    again = client.get(f"/api/account-requests/{body['id']}", headers=ada)
    assert shown["password"] not in again.text
    assert again.json()["status"] == "confirmed"
    twice = client.post(f"/api/account-requests/{body['id']}/confirm", headers=dora)
    assert twice.status_code == 409
    schema = client.get("/openapi.json").json()["paths"]["/api/users"]["post"]["responses"]
    assert "AccountRequestOut" in str(schema["202"])


def test_role_changes_resets_and_enabling_over_the_api(
    client: TestClient, call: Call, db: Session, make_user: Callable[..., tuple[str, str]]
) -> None:
    ada, bea = _token_of(make_user, "ada", Role.ADMIN), _token_of(make_user, "bea", Role.ADMIN)
    _account(call, "sam", Role.AUDITOR)
    _account(call, "ivan", Role.INVESTIGATOR)
    # Taking power away, and an auditor's reset, are made at once.
    down = client.post("/api/users/ivan/role", headers=ada, json={"role": "auditor"})
    assert (down.status_code, down.json()["role"]) == (200, "auditor")
    reset = client.post("/api/users/sam/reset-password", headers=ada)
    assert (reset.status_code, len(reset.json()["password"])) == (200, 20)
    same = client.post("/api/users/sam/role", headers=ada, json={"role": "auditor"})
    assert same.status_code == 409
    up = client.post("/api/users/sam/role", headers=ada, json={"role": "approver"})
    assert (up.status_code, up.json()["role_before"], up.json()["role"]) == (
        202,
        "auditor",
        "approver",
    )
    waits = client.post("/api/users/sam/disable", headers=ada)  # disabling is never held up
    assert waits.status_code == 200
    assert client.post("/api/users/sam/enable", headers=ada).status_code == 409  # one waits
    refused = client.post(
        f"/api/account-requests/{up.json()['id']}/refuse", headers=bea, json={"reason": ""}
    )
    assert refused.status_code == 422
    done = client.post(
        f"/api/account-requests/{up.json()['id']}/refuse", headers=bea, json={"reason": "no"}
    )
    assert (done.status_code, done.json()["refusal_reason"]) == (200, "no")
    back = client.post("/api/users/ivan/role", headers=ada, json={"role": "investigator"})
    assert back.status_code == 202
    enable = client.post("/api/users/sam/enable", headers=ada)
    assert enable.status_code == 200  # an auditor: at once
    mine = client.post("/api/users/ada/role", headers=ada, json={"role": "auditor"})
    assert mine.status_code == 409
    audited = [e.event for e in audit_events(db) if e.event.startswith("account_request.")]
    assert audited == [
        "account_request.filed",
        "account_request.refused",
        "account_request.filed",
    ]


def test_the_holder_reads_who_reset_the_password_in_their_own_account(
    call: Call,
    at: Callable[[tuple[str, int]], TestClient],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    _account(call, "ivan", Role.INVESTIGATOR)
    ada, dora = _token_of(make_user, "ada", Role.ADMIN), _token_of(make_user, "dora", Role.DPO)
    here = at(REAL_USER)
    asked = here.post("/api/users/ivan/reset-password", headers=ada)
    assert asked.status_code == 202
    assert here.post("/login", data={"name": "ivan", "password": PASSWORD}).status_code == 303
    assert here.get("/api/me").json()["password_reset_at"] is None
    confirmed = here.post(f"/api/account-requests/{asked.json()['id']}/confirm", headers=dora)
    password = confirmed.json()["password"]
    assert here.get("/api/me").status_code == 401  # the session ended with the reset
    assert here.post("/login", data={"name": "ivan", "password": password}).status_code == 303
    me = here.get("/api/me").json()
    assert me["password_reset_by"] == "asked by ada (admin), confirmed by dora (dpo)"
    assert me["password_reset_at"] is not None


def test_the_asker_never_sees_a_one_time_password_and_cannot_confirm_their_own_request(
    client: TestClient, call: Call, db: Session, make_user: Callable[..., tuple[str, str]]
) -> None:
    ada, dora = _token_of(make_user, "ada", Role.ADMIN), _token_of(make_user, "dora", Role.DPO)
    _account(call, "ivan", Role.INVESTIGATOR)
    _account(call, "sam", Role.AUDITOR)
    _account(call, "olga", Role.OPERATOR)
    users.set_active(call, "olga", False)
    seen: list[str] = []  # everything the asker is answered

    def _as_asker(method: str, url: str, **kwargs: Any) -> Any:
        answer = client.request(method, url, headers=ada, **kwargs)
        seen.append(answer.text)
        return answer

    asked = [
        _as_asker("POST", "/api/users", json={"name": "nina", "role": "approver"}),
        _as_asker("POST", "/api/users/sam/role", json={"role": "investigator"}),
        _as_asker("POST", "/api/users/olga/enable"),
        _as_asker("POST", "/api/users/ivan/reset-password"),
    ]
    assert [a.status_code for a in asked] == [202] * 4
    passwords = []
    for answer in asked:
        request_id = answer.json()["id"]
        refused = _as_asker("POST", f"/api/account-requests/{request_id}/confirm")
        assert refused.status_code == 403
        assert refused.json()["detail"].startswith("you asked for this change")
        confirmed = client.post(f"/api/account-requests/{request_id}/confirm", headers=dora)
        assert confirmed.status_code == 200
        if confirmed.json()["password"] is not None:
            passwords.append(confirmed.json()["password"])
        _as_asker("GET", f"/api/account-requests/{request_id}")
    assert len(passwords) == 3  # the new account, the promotion and the reset; enabling: none
    _as_asker("GET", "/api/account-requests")
    _as_asker("GET", "/api/users")
    page = client.get("/users", headers={**ada, "Accept": "text/html"})
    seen.append(page.text)
    for password in passwords:
        assert not [text for text in seen if password in text]
        assert not [e for e in audit_events(db) if password in str(e.details)]
    denied = audit_events(db, event="account_request.confirmed", outcome="denied")
    assert [e.actor for e in denied] == ["ada"] * 4
