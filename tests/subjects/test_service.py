"""Data-subject requests over the real services: received on a Friday under kz-nvms, due on
the Wednesday; an alert a day before and when late, cleared by the answer; a refusal with its
ground; the extension eu-edpb allows once; all audited; the forms keep what was typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Actor
from custos.errors import Conflict, InvalidInput
from custos.health import service as health
from custos.permissions import Role
from custos.profile import load_profile
from custos.subjects import service
from custos.subjects.policy import Asked, Status
from helpers import audit_events, bearer, call_of

ALMATY = ZoneInfo("Asia/Almaty")
DANA = Actor("dana", "dpo")


def _asked(received: datetime) -> Asked:
    return Asked(
        received, "in_person", "ID card shown at the desk",
        "Abay Avenue at the Republic Square crossing, 1 December 2026, 09:10-09:20",
        "post to the address on the ID card",
    )  # fmt: skip


def test_a_request_received_on_friday_is_due_on_wednesday_and_alerts_a_day_before(
    db: Session, clock: FrozenClock
) -> None:
    friday = datetime(2026, 12, 4, 17, 0, tzinfo=ALMATY)
    clock.set(friday.astimezone(UTC) + timedelta(minutes=5))
    made = service.receive(call_of(db, clock, DANA), _asked(friday))
    assert made.due_at.astimezone(ALMATY) == datetime(2026, 12, 9, 17, 0, tzinfo=ALMATY)
    [received] = audit_events(db, event="subject.request_received")
    assert received.details["due_at"] == made.due_at.isoformat()

    system = call_of(db, clock, Actor("system"))
    assert health.evaluate_subject_request_alerts(system).raised == []
    clock.set(made.due_at - timedelta(hours=20))
    assert health.evaluate_subject_request_alerts(system).raised == [made.reference]
    (alert,) = health.active_alerts(db, health.SUBJECT_REQUEST_DUE)
    assert "is due" in alert.detail

    answered = service.answer(
        call_of(db, clock, DANA), made.reference,
        "footage of one camera, 09:10-09:20 on 1 December, kept until 31 December",
    )  # fmt: skip
    assert answered.status is Status.ANSWERED
    [entry] = audit_events(db, event="subject.request_answered")
    assert entry.details["on_time"] is True
    assert health.evaluate_subject_request_alerts(system).cleared == [made.reference]
    with pytest.raises(Conflict, match="answered already"):
        service.refuse(call_of(db, clock, DANA), made.reference, "too late to refuse")
    with pytest.raises(Conflict, match="answered already"):
        service.extend(call_of(db, clock, DANA), made.reference, "x")


def test_a_refusal_needs_its_ground_and_the_extension_is_the_profiles(
    db: Session, clock: FrozenClock
) -> None:
    made = service.receive(call_of(db, clock, DANA), _asked(clock.now() - timedelta(hours=1)))
    with pytest.raises(Conflict, match="no extension"):
        service.extend(call_of(db, clock, DANA), made.reference, "many cameras")
    with pytest.raises(InvalidInput, match="legal ground"):
        service.refuse(call_of(db, clock, DANA), made.reference, "  ")
    refused = service.refuse(call_of(db, clock, DANA), made.reference, "identity not proven")
    assert (refused.status, refused.answer) == (Status.REFUSED, "identity not proven")

    eu = call_of(db, clock, DANA, profile=load_profile("eu-edpb").profile)
    other = service.receive(eu, _asked(clock.now() - timedelta(hours=1)))
    assert other.due_at == datetime(2026, 12, 30, 11, 0, tzinfo=UTC)  # a month after
    put_off = service.extend(eu, other.reference, "forty hours of footage to go through")
    assert put_off.due_at == datetime(2027, 2, 28, 11, 0, tzinfo=UTC)  # 30 February: the 28th
    with pytest.raises(Conflict, match="once already"):
        service.extend(eu, other.reference, "again")


def test_the_api_and_the_form(
    client: TestClient, clock: FrozenClock, make_user: Callable[..., tuple[str, str]]
) -> None:
    dpo = bearer(make_user(Role.DPO)[1])
    auditor = bearer(make_user(Role.AUDITOR)[1])
    body = {
        "received_at": (clock.now() - timedelta(hours=2)).isoformat(),
        "channel": "letter",
        "identity_check": "notarised copy of the ID card",
        "times_and_places": "the market gate, 30 November, around noon",
        "contact": "the letter's return address",
    }
    made = client.post("/api/subject-requests", headers=dpo, json=body)
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    assert client.post("/api/subject-requests", headers=auditor, json=body).status_code == 403
    assert [
        r["reference"] for r in client.get("/api/subject-requests", headers=auditor).json()
    ] == [reference]
    done = client.post(
        f"/api/subject-requests/{reference}/answer", headers=dpo, json={"text": "none held"}
    )
    assert done.json()["status"] == "answered"

    page = {**dpo, "Accept": "text/html"}
    typed = {**body, "received_at": (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
    refused = client.post("/subject-requests", headers=page, data=typed)
    assert refused.status_code == 422
    assert "the market gate, 30 November, around noon" in refused.text
    assert "received before it is recorded" in refused.text
    typed["received_at"] = (clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    saved = client.post("/subject-requests", headers=page, data=typed)
    assert saved.status_code == 303
    shown = client.get(saved.headers["location"], headers=page)
    assert 'id="deadline"' in shown.text
