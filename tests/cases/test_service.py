"""Cases against a real database: opened on a legal ground, persons cleared, cases closed,
holds released, every step audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.cases import service as cases
from custos.cases.policy import CaseStatus
from custos.clock import FrozenClock
from custos.context import Call
from custos.errors import Conflict, InvalidInput, NotFound
from custos.retention import holds
from helpers import audit_events, call_of


@pytest.fixture
def case(call: Call, db: Session, clock: FrozenClock) -> str:
    cameras.register_camera(
        call_of(db, clock),
        CameraCreate.model_validate(
            {
                "name": "gate",
                "source_url": "rtsp://10.0.0.5/live",
                "category": "other",
                "region": "A",
            }
        ),
    )
    cases.open_case(call, "12/2026-0457", "cpc-kz-199", "robbery at gate")
    return "12/2026-0457"


def _hold(db: Session, clock: FrozenClock, person: str | None) -> int:
    now = clock.now()
    hold = holds.place_hold(
        call_of(db, clock),
        case_ref="12/2026-0457",
        scopes=[holds.Scope("gate", now - timedelta(hours=2), now - timedelta(hours=1))],
        reason="evidence",
        person_ref=person,
    )
    return hold.id


def test_a_case_opens_on_a_ground_of_the_policy(call: Call, db: Session) -> None:
    with pytest.raises(InvalidInput, match="not a legal basis of the policy"):
        cases.open_case(call, "C-1", "gdpr-6-1-f", "x")
    with pytest.raises(InvalidInput, match="case reference"):
        cases.open_case(call, "C 1", "cpc-kz-199", "x")
    with pytest.raises(InvalidInput, match="say what"):
        cases.open_case(call, "C-1", "cpc-kz-199", " ")
    opened = cases.open_case(call, "C-1", "cpc-kz-199", "theft")
    assert opened.status is CaseStatus.OPEN
    with pytest.raises(Conflict):
        cases.open_case(call, "C-1", "cpc-kz-199", "again")
    (entry,) = audit_events(db, event="case.opened")
    assert (entry.case_ref, entry.legal_basis) == ("C-1", "cpc-kz-199")


def test_persons_are_pseudonyms_with_flags(call: Call, db: Session, case: str) -> None:
    cases.add_person(call, case, "P1")
    cases.add_person(call, case, "P2", minor=True)
    with pytest.raises(InvalidInput, match="pseudonym"):
        cases.add_person(call, case, "Ivan Petrov")
    with pytest.raises(Conflict):
        cases.add_person(call, case, "P1")
    found = cases.persons(db, cases.get_case(db, case))
    assert [(p.label, p.minor) for p in found] == [("P1", False), ("P2", True)]
    assert len(audit_events(db, event="case.person_added")) == 2


def test_clearing_a_person_releases_only_their_holds(
    call: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    cases.add_person(call, case, "P1")
    cases.add_person(call, case, "P2")
    theirs, others, whole_case = (
        _hold(db, clock, "P1"),
        _hold(db, clock, "P2"),
        _hold(db, clock, None),
    )
    with pytest.raises(InvalidInput, match="say why"):
        access.clear_person(call, case, "P1", "")
    ended = access.clear_person(call, case, "P1", "alibi confirmed")
    assert ended.holds_released == [theirs]
    live = {hold.id for hold in holds.list_holds(db)}
    assert live == {others, whole_case}
    (entry,) = audit_events(db, event="case.person_cleared")
    assert entry.justification == "alibi confirmed"
    with pytest.raises(Conflict, match="cleared already"):
        access.clear_person(call, case, "P1", "again")
    with pytest.raises(NotFound):
        access.clear_person(call, case, "P9", "who")


def test_closing_a_case_releases_its_holds_and_freezes_it(
    call: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    first, second = _hold(db, clock, None), _hold(db, clock, "P1")
    ended = access.close_case(call, case, "verdict delivered")
    assert sorted(ended.holds_released) == sorted([first, second])
    assert holds.list_holds(db) == []
    closed = cases.get_case(db, case)
    assert (closed.status, closed.closed_reason) == (CaseStatus.CLOSED, "verdict delivered")
    with pytest.raises(Conflict, match="closed"):
        cases.add_person(call, case, "P3")
    with pytest.raises(Conflict, match="closed"):
        access.close_case(call, case, "again")
    assert len(audit_events(db, event="case.closed")) == 1
    assert len(audit_events(db, event="hold.released")) == 2
