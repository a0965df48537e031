"""The accounts API: tokens that always end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from custos.context import Call
from custos.permissions import Role
from custos.users import policy
from helpers import bearer


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
