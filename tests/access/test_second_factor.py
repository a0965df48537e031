"""A decision on access needs the approver's second factor: refused without a code, made with
one (codes computed by a real TOTP library from the seed the service sealed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access.models import AccessRequest
from custos.clock import FrozenClock
from custos.context import Call
from custos.permissions import Role
from custos.runtime import Runtime
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, audit_events, bearer, code_now, enrol_factor


def test_a_decision_is_refused_without_a_code_and_made_with_one(
    call: Call,
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    file: Callable[..., AccessRequest],
) -> None:
    users.create_user(call, name="judge", role=Role.APPROVER, passwords=CHEAP_PASSWORDS)
    token = bearer(users.issue_token(call, "judge")[0])
    filed = file()
    approve = f"/api/access-requests/{filed.id}/approve"

    # Not enrolled yet: the token reads, but decides nothing until a factor is set up.
    assert client.get("/api/access-requests", headers=token).status_code == 200
    refused = client.post(approve, headers=token, json={})
    assert refused.status_code == 403
    assert refused.json()["error"] == "second_factor_required"
    assert "set one up" in refused.json()["detail"]

    secret = enrol_factor(db, clock, runtime.sealer, "judge")
    refused = client.post(approve, headers=token, json={})
    assert (refused.status_code, refused.json()["error"]) == (403, "second_factor_required")
    wrong = client.post("/api/me/second-factor", headers=token, json={"code": "000000"})
    assert wrong.status_code == 403
    assert client.post(approve, headers=token, json={}).status_code == 403

    given = client.post(
        "/api/me/second-factor", headers=token, json={"code": code_now(secret, clock)}
    )
    assert given.status_code == 200, given.text
    assert given.json()["until"].startswith((clock.now() + timedelta(minutes=15)).isoformat()[:16])
    approved = client.post(approve, headers=token, json={})
    assert approved.status_code == 201, approved.text

    # A quarter of an hour later the token needs a new code for the next decision.
    clock.advance(timedelta(minutes=16))
    revoke = f"/api/grants/{approved.json()['id']}/revoke"
    assert client.post(revoke, headers=token, json={"reason": "done"}).status_code == 403
    denied = audit_events(db, event="access.denied", actor="judge")
    assert [e.details["second_factor"] for e in denied] == ["enrol", "code", "code", "code"]
