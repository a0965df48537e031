"""The accounts API: tokens that always end, and a password change that ends the account's
other sessions and tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from custos.context import Call, Principal
from custos.permissions import Role
from custos.users import policy
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, bearer

ATTACKER = ("198.51.100.7", 40000)
REAL_USER = ("192.0.2.10", 40000)
PASSWORD = "a long and private phrase"


@pytest.fixture
def at(app: FastAPI) -> Iterator[Callable[[tuple[str, int]], TestClient]]:
    """HTTPS clients that connect from a given client address (and send this site's Origin)."""
    opened: list[TestClient] = []

    def _client(address: tuple[str, int]) -> TestClient:
        client = TestClient(
            app,
            base_url="https://testserver",
            follow_redirects=False,
            client=address,
            headers={"Origin": "https://testserver"},
        )
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
    [error] = response.json()["detail"]
    assert error["loc"][-1] == "days"


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
