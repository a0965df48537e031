"""The breach register over the real services: a breach recorded on a Friday evening is due
on Monday; a late notice raises an alert, its sending clears it; every step audited; the API
and the pages keep what was typed when they refuse."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.breaches import service
from custos.breaches.policy import Facts, Status
from custos.clock import FrozenClock
from custos.context import Actor
from custos.errors import Conflict, InvalidInput
from custos.health import service as health
from custos.permissions import Role
from helpers import audit_events, bearer, call_of

ALMATY = ZoneInfo("Asia/Almaty")
FRIDAY_EVENING = datetime(2026, 12, 4, 19, 30, tzinfo=ALMATY)
DANA = Actor("dana", "dpo")


def _facts(discovered: datetime) -> Facts:
    return Facts(
        summary="an exported package was sent to the wrong court",
        discovered_at=discovered,
        categories=("exports", "cases"),
        people_affected=2,
        consequences="two people's faces seen by a court clerk not in the case",
        measures="the link revoked within the hour; the clerk confirmed deletion",
    )


def test_a_breach_found_on_friday_evening_is_due_on_monday_and_alerts_when_late(
    db: Session, clock: FrozenClock
) -> None:
    clock.set(FRIDAY_EVENING.astimezone(UTC) + timedelta(minutes=20))
    breach = service.record_breach(call_of(db, clock, DANA), _facts(FRIDAY_EVENING))
    assert breach.reference == f"BR-{breach.id}"
    assert breach.due_at.astimezone(ALMATY) == datetime(2026, 12, 7, 19, 30, tzinfo=ALMATY)
    [recorded] = audit_events(db, event="breach.recorded")
    assert recorded.details["due_at"] == breach.due_at.isoformat()
    assert recorded.recipient == "the authorised body in the field of personal data protection"

    system = call_of(db, clock, Actor("system"))
    clock.set(breach.due_at - timedelta(minutes=1))
    assert health.evaluate_breach_alerts(system).raised == []
    clock.set(breach.due_at + timedelta(minutes=1))
    assert health.evaluate_breach_alerts(system).raised == [breach.reference]
    assert health.evaluate_breach_alerts(system).raised == []  # raised once
    (alert,) = health.active_alerts(db, health.BREACH_NOTICE_OVERDUE)
    assert "is not recorded as sent" in alert.detail

    text = service.notice(breach, call_of(db, clock).profile, "City Safety Centre", "dpo@city")
    assert "an exported package was sent to the wrong court" in text
    sent = service.mark_notified(
        call_of(db, clock, DANA), breach.reference, "the authority's portal", "PD-77",
        "City Safety Centre", "dpo@city",
    )  # fmt: skip
    assert (sent.status, sent.notice_reference, sent.notice_text) == (
        Status.NOTIFIED,
        "PD-77",
        text,
    )
    [notified] = audit_events(db, event="breach.notified")
    assert notified.details["on_time"] is False
    assert health.evaluate_breach_alerts(system).cleared == [breach.reference]
    with pytest.raises(Conflict, match="notified already"):
        service.mark_notified(call_of(db, clock, DANA), breach.reference, "letter", "", "x", "y")


def test_a_breach_cannot_be_found_in_the_future_and_needs_its_measures(
    db: Session, clock: FrozenClock
) -> None:
    with pytest.raises(InvalidInput, match="discovered before it is recorded"):
        service.record_breach(call_of(db, clock, DANA), _facts(clock.now() + timedelta(hours=1)))
    bare = Facts(**{**_facts(clock.now()).__dict__, "measures": " "})
    with pytest.raises(InvalidInput, match="say what was done"):
        service.record_breach(call_of(db, clock, DANA), bare)
    assert service.breaches(db) == []


def test_the_api_records_lists_and_notifies_and_keeps_the_roles(
    client: TestClient, clock: FrozenClock, make_user: Callable[..., tuple[str, str]]
) -> None:
    dpo = bearer(make_user(Role.DPO)[1])
    auditor = bearer(make_user(Role.AUDITOR)[1])
    body = {
        "summary": "a camera's stream was reachable without a password",
        "discovered_at": (clock.now() - timedelta(hours=3)).isoformat(),
        "categories": ["live"],
        "people_affected": 40,
        "measures": "the stream closed; passwords changed",
    }
    made = client.post("/api/breaches", headers=dpo, json=body)
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    assert made.json()["overdue"] is False
    assert client.post("/api/breaches", headers=auditor, json=body).status_code == 403
    wrong = client.post("/api/breaches", headers=dpo, json={**body, "categories": ["faces"]})
    assert wrong.status_code == 422
    assert "unknown categories: faces" in wrong.json()["detail"]
    listed = client.get("/api/breaches", headers=auditor).json()
    assert [b["reference"] for b in listed] == [reference]
    notice = client.get(f"/api/breaches/{reference}/notice", headers=auditor)
    assert notice.headers["content-type"].startswith("text/plain")
    assert "a camera's stream was reachable without a password" in notice.text
    done = client.post(
        f"/api/breaches/{reference}/notified", headers=dpo, json={"channel": "e-mail"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "notified"
    again = client.post(f"/api/breaches/{reference}/notified", headers=dpo, json={"channel": "x"})
    assert again.status_code == 409


def test_a_refused_breach_form_keeps_what_was_typed(
    client: TestClient, clock: FrozenClock, make_user: Callable[..., tuple[str, str]]
) -> None:
    dpo = {**bearer(make_user(Role.DPO)[1]), "Accept": "text/html"}
    future = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    typed = {
        "summary": "a printout of a request left in a corridor",
        "discovered_at": future,
        "categories": ["cases"],
        "people_affected": "1",
        "measures": "collected and shredded",
    }
    refused = client.post("/breaches", headers=dpo, data=typed)
    assert refused.status_code == 422
    assert "a printout of a request left in a corridor" in refused.text
    assert 'value="cases" checked' in refused.text
    assert "discovered before it is recorded" in refused.text
    typed["discovered_at"] = (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    made = client.post("/breaches", headers=dpo, data=typed)
    assert made.status_code == 303
    page = client.get(made.headers["location"], headers=dpo)
    assert 'id="notice-body"' in page.text
    assert "collected and shredded" in page.text
