"""Legal holds inside cases, against a real database: only an open case (and a person of it)
takes a hold, closing the case releases it, a review moves its date on the record, and holds
left outside any open case are listed as orphaned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.cases import holds as case_holds
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.context import Call
from custos.errors import Conflict, InvalidInput, NotFound
from custos.retention import holds
from helpers import audit_events

CASE = "12/2026-0457"


@pytest.fixture
def case(ivan: Call, call: Call) -> str:
    cameras.register_camera(
        call,
        CameraCreate.model_validate(
            {
                "name": "gate",
                "source_url": "rtsp://10.0.0.5/live",
                "category": "other",
                "region": "A",
            }
        ),
    )
    cases.open_case(ivan, CASE, "cpc-kz-199", "robbery at gate")
    cases.add_person(ivan, CASE, "P1")
    return CASE


def _scopes(clock: FrozenClock) -> list[holds.Scope]:
    now = clock.now()
    return [holds.Scope("gate", now - timedelta(hours=2), now - timedelta(hours=1))]


def _place(
    call: Call, clock: FrozenClock, case_ref: str = CASE, person: str | None = None
) -> holds.LegalHold:
    return case_holds.place_hold(
        call, case_ref=case_ref, scopes=_scopes(clock), reason="evidence", person_ref=person
    )


def test_a_hold_on_an_unknown_case_is_refused(
    call: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    with pytest.raises(NotFound, match="no case '12/2026-457': a hold is placed inside") as e:
        _place(call, clock, "12/2026-457")
    assert isinstance(e.value, case_holds.NoSuchCase)
    with pytest.raises(InvalidInput, match="choose one"):
        _place(call, clock, " ")
    assert holds.list_holds(db) == []
    assert audit_events(db, event="hold.placed") == []


def test_a_hold_on_a_closed_case_is_refused(
    ivan: Call, call: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    access.close_case(ivan, case, "verdict delivered")
    with pytest.raises(Conflict, match="case 12/2026-0457 is closed"):
        _place(call, clock)
    assert holds.list_holds(db) == []


def test_a_hold_for_a_person_needs_a_person_of_the_case_not_cleared(
    ivan: Call, call: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    with pytest.raises(InvalidInput, match="has no person 'P9'") as e:
        _place(call, clock, person="P9")
    assert e.value.field == "person_ref"
    cases.add_person(ivan, case, "P2")
    access.clear_person(ivan, case, "P2", "alibi confirmed")
    with pytest.raises(InvalidInput, match="P2 of case 12/2026-0457 is cleared"):
        _place(call, clock, person="P2")
    placed = _place(call, clock, person="P1")
    assert (placed.case_ref, placed.person_ref) == (CASE, "P1")
    [entry] = audit_events(db, event="hold.placed")
    assert (entry.case_ref, entry.object_id) == (CASE, str(placed.id))


def test_closing_the_case_releases_its_holds_on_the_record(
    ivan: Call, call: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    first, second = _place(call, clock), _place(call, clock, person="P1")
    ended = access.close_case(ivan, case, "verdict delivered")
    assert sorted(ended.holds_released) == sorted([first.id, second.id])
    assert case_holds.list_holds(db) == []
    released = audit_events(db, event="hold.released")
    assert sorted(int(e.object_id or 0) for e in released) == sorted([first.id, second.id])
    assert {e.justification for e in released} == {"case closed: verdict delivered"}
    assert {e.case_ref for e in released} == {CASE}


def test_a_review_moves_the_date_and_is_audited(
    call: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    hold = _place(call, clock)
    first_due = hold.review_due
    keep_until = clock.now() + timedelta(days=150)
    reviewed = case_holds.review_hold(call, hold.id, keep_until, "trial set for spring")
    assert reviewed.review_due == keep_until != first_due
    [entry] = audit_events(db, event="hold.reviewed")
    assert (entry.object_id, entry.case_ref, entry.justification) == (
        str(hold.id),
        CASE,
        "trial set for spring",
    )
    assert entry.details == {
        "previous_review": first_due.isoformat(),
        "next_review": keep_until.isoformat(),
    }
    with pytest.raises(InvalidInput, match="within 180 days"):
        case_holds.review_hold(call, hold.id, clock.now() + timedelta(days=181), "longer")
    with pytest.raises(InvalidInput, match="within 180 days"):
        case_holds.review_hold(call, hold.id, clock.now() - timedelta(days=1), "in the past")
    with pytest.raises(InvalidInput, match="needs a note"):
        case_holds.review_hold(call, hold.id, keep_until, " ")
    case_holds.release_hold(call, hold.id, "no longer needed")
    with pytest.raises(Conflict, match="released already"):
        case_holds.review_hold(call, hold.id, keep_until, "again")
    with pytest.raises(NotFound, match="no legal hold 999999"):
        case_holds.review_hold(call, 999999, keep_until, "none")
    assert len(audit_events(db, event="hold.reviewed")) == 1


def test_holds_outside_any_open_case_are_listed_as_orphaned_and_only_released(
    ivan: Call, call: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    inside = _place(call, clock)
    # As holds could be placed before the case was checked: on a typo, and on a closed case.
    typo = holds.place_hold(call, case_ref="12/2026-457", scopes=_scopes(clock), reason="typo")
    cases.open_case(ivan, "C-OLD", "cpc-kz-199", "old case")
    access.close_case(ivan, "C-OLD", "done")
    late = holds.place_hold(call, case_ref="C-OLD", scopes=_scopes(clock), reason="late")
    listed = {entry.hold.id: entry for entry in case_holds.list_holds(db)}
    assert {k: v.orphaned for k, v in listed.items()} == {
        inside.id: None,
        typo.id: "no such case",
        late.id: "case closed",
    }
    assert [s.camera for s in listed[inside.id].scopes] == ["gate"]  # by name, not by id
    orphans = case_holds.list_holds(db, orphaned_only=True)
    assert sorted(entry.hold.id for entry in orphans) == sorted([typo.id, late.id])
    with pytest.raises(Conflict, match="names no open case \\(12/2026-457\\): release it"):
        case_holds.review_hold(call, typo.id, clock.now() + timedelta(days=30), "keep")
    case_holds.release_hold(call, typo.id, "placed on a typo")
    assert [e.hold.id for e in case_holds.list_holds(db, orphaned_only=True)] == [late.id]


def test_the_picker_offers_open_cases_only(ivan: Call, call: Call, db: Session, case: str) -> None:
    cases.open_case(ivan, "C-2", "cpc-kz-199", "second")
    cases.open_case(ivan, "C-3", "cpc-kz-199", "third")
    access.close_case(ivan, "C-3", "done")
    assert sorted(c.reference for c in case_holds.open_cases(db)) == sorted([CASE, "C-2"])
