"""Cases against a real database: opened on a legal ground, persons cleared, cases closed,
holds released, members added and removed, each seen and worked on by its members alone;
every step audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.audit.policy import Outcome
from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.cases import service as cases
from custos.cases.policy import CaseAct, CaseStatus
from custos.clock import FrozenClock
from custos.context import Call
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound
from custos.permissions import Role
from custos.retention import holds
from custos.users import service as users
from helpers import APPROVER, INVESTIGATOR, audit_events, call_of, investigator

MakeUser = Callable[..., tuple[str, str]]


@pytest.fixture
def case(ivan: Call, db: Session, clock: FrozenClock) -> str:
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
    cases.open_case(ivan, "12/2026-0457", "cpc-kz-199", "robbery at gate")
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


def test_a_case_opens_on_a_ground_of_the_policy(ivan: Call, db: Session) -> None:
    with pytest.raises(InvalidInput, match="not a legal basis of the policy"):
        cases.open_case(ivan, "C-1", "gdpr-6-1-f", "x")
    with pytest.raises(InvalidInput, match="case reference"):
        cases.open_case(ivan, "C 1", "cpc-kz-199", "x")
    with pytest.raises(InvalidInput, match="say what"):
        cases.open_case(ivan, "C-1", "cpc-kz-199", " ")
    opened = cases.open_case(ivan, "C-1", "cpc-kz-199", "theft")
    assert opened.status is CaseStatus.OPEN
    with pytest.raises(Conflict):
        cases.open_case(ivan, "C-1", "cpc-kz-199", "again")
    (entry,) = audit_events(db, event="case.opened")
    assert (entry.case_ref, entry.legal_basis) == ("C-1", "cpc-kz-199")


def test_persons_are_pseudonyms_with_flags(ivan: Call, db: Session, case: str) -> None:
    cases.add_person(ivan, case, "P1")
    cases.add_person(ivan, case, "P2", minor=True)
    with pytest.raises(InvalidInput, match="pseudonym"):
        cases.add_person(ivan, case, "Ivan Petrov")
    with pytest.raises(Conflict):
        cases.add_person(ivan, case, "P1")
    found = cases.persons(db, cases.get_case(db, case))
    assert [(p.label, p.minor) for p in found] == [("P1", False), ("P2", True)]
    assert len(audit_events(db, event="case.person_added")) == 2


def test_clearing_a_person_releases_only_their_holds(
    ivan: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    cases.add_person(ivan, case, "P1")
    cases.add_person(ivan, case, "P2")
    theirs, others, whole_case = (
        _hold(db, clock, "P1"),
        _hold(db, clock, "P2"),
        _hold(db, clock, None),
    )
    with pytest.raises(InvalidInput, match="say why"):
        access.clear_person(ivan, case, "P1", "")
    ended = access.clear_person(ivan, case, "P1", "alibi confirmed")
    assert ended.holds_released == [theirs]
    live = {hold.id for hold in holds.list_holds(db)}
    assert live == {others, whole_case}
    (entry,) = audit_events(db, event="case.person_cleared")
    assert entry.justification == "alibi confirmed"
    with pytest.raises(Conflict, match="cleared already"):
        access.clear_person(ivan, case, "P1", "again")
    with pytest.raises(NotFound):
        access.clear_person(ivan, case, "P9", "who")


def test_closing_a_case_releases_its_holds_and_freezes_it(
    ivan: Call, db: Session, clock: FrozenClock, case: str
) -> None:
    first, second = _hold(db, clock, None), _hold(db, clock, "P1")
    ended = access.close_case(ivan, case, "verdict delivered")
    assert sorted(ended.holds_released) == sorted([first, second])
    assert holds.list_holds(db) == []
    closed = cases.get_case(db, case)
    assert (closed.status, closed.closed_reason) == (CaseStatus.CLOSED, "verdict delivered")
    with pytest.raises(Conflict, match="closed"):
        cases.add_person(ivan, case, "P3")
    with pytest.raises(Conflict, match="closed"):
        access.close_case(ivan, case, "again")
    assert len(audit_events(db, event="case.closed")) == 1
    assert len(audit_events(db, event="hold.released")) == 2


# --- members: need to know inside the investigation -------------------------------------------


def test_the_investigator_who_opens_a_case_is_its_first_member(
    ivan: Call, call: Call, db: Session
) -> None:
    with pytest.raises(Forbidden, match="only an investigator opens a case"):
        cases.open_case(call, "C-1", "cpc-kz-199", "theft")  # the tester is an admin
    with pytest.raises(Forbidden, match="only an investigator"):
        cases.open_case(call_of(db, ivan.clock, APPROVER), "C-1", "cpc-kz-199", "theft")
    opened = cases.open_case(ivan, "C-1", "cpc-kz-199", "theft")
    (member,) = cases.members(db, opened)
    assert (member.name, member.added_by, member.reason) == ("ivan", "ivan", "opened the case")
    assert member.added_at == opened.opened_at
    (entry,) = audit_events(db, event="case.opened")
    assert entry.details == {"member": "ivan"}


def test_members_are_added_and_removed_with_a_reason_and_each_change_is_audited(
    ivan: Call, call: Call, db: Session, clock: FrozenClock, case: str, make_user: MakeUser
) -> None:
    for name, role in (("olga", Role.INVESTIGATOR), ("petr", Role.INVESTIGATOR)):
        make_user(role, name)
    make_user(Role.APPROVER, "aida")
    make_user(Role.INVESTIGATOR, "gone")
    users.set_active(call, "gone", False)
    opened = cases.get_case(db, case)
    assert cases.member_candidates(db, opened) == ["olga", "petr"]

    added = cases.add_member(ivan, case, "olga", "  knows the gate's cameras ")
    assert (added.name, added.added_by, added.reason) == (
        "olga",
        "ivan",
        "knows the gate's cameras",
    )
    with pytest.raises(Conflict, match="olga is a member of case 12/2026-0457 already"):
        cases.add_member(ivan, case, "olga", "again")
    with pytest.raises(InvalidInput, match="aida is not an investigator") as refused:
        cases.add_member(ivan, case, "aida", "the prosecutor")
    assert refused.value.field == "name"
    with pytest.raises(InvalidInput, match="no account 'nobody'"):
        cases.add_member(ivan, case, "nobody", "x")
    with pytest.raises(InvalidInput, match="gone's account is disabled"):
        cases.add_member(ivan, case, "gone", "x")
    with pytest.raises(InvalidInput, match="say why") as refused:
        cases.add_member(ivan, case, "petr", "   ")
    assert refused.value.field == "reason"
    # An approver adds a member too (without becoming one).
    cases.add_member(call_of(db, clock, APPROVER), case, "petr", "ivan is on leave")
    assert [m.name for m in cases.members(db, opened)] == ["ivan", "olga", "petr"]
    assert cases.member_candidates(db, opened) == []

    olga = call_of(db, clock, investigator("olga"))
    ended = access.remove_member(olga, case, "petr", "back from leave")
    assert ended.grants_revoked == []
    with pytest.raises(NotFound, match="petr is not a member"):
        access.remove_member(olga, case, "petr", "again")
    with pytest.raises(InvalidInput, match="say why"):
        access.remove_member(olga, case, "ivan", " ")
    access.remove_member(call_of(db, clock, APPROVER), case, "ivan", "moved to another unit")
    with pytest.raises(Conflict, match="olga is the last member of case 12/2026-0457"):
        access.remove_member(olga, case, "olga", "leaving")
    assert [m.name for m in cases.members(db, opened)] == ["olga"]
    former = cases.members(db, opened, former=True)
    assert [(m.name, m.removed_by, m.removed_reason) for m in former] == [
        ("ivan", "anna", "moved to another unit"),
        ("petr", "olga", "back from leave"),
    ]
    # Added again, a former member is a member as before, for the new reason.
    again = cases.add_member(olga, case, "petr", "a second witness came forward")
    assert (again.removed_at, again.reason) == (None, "a second witness came forward")

    added_entries = audit_events(db, event="case.member_added")
    assert [(e.actor, e.details["member"], e.justification) for e in added_entries] == [
        ("ivan", "olga", "knows the gate's cameras"),
        ("anna", "petr", "ivan is on leave"),
        ("olga", "petr", "a second witness came forward"),
    ]
    removed_entries = audit_events(db, event="case.member_removed")
    assert [(e.actor, e.details["member"], e.case_ref) for e in removed_entries] == [
        ("olga", "petr", case),
        ("anna", "ivan", case),
    ]


def test_only_members_work_on_a_case_and_others_do_not_know_it_exists(
    ivan: Call, db: Session, clock: FrozenClock, case: str, make_user: MakeUser
) -> None:
    make_user(Role.INVESTIGATOR, "olga")
    outsider = call_of(db, clock, investigator("petr"))
    approver = call_of(db, clock, APPROVER)
    opened = cases.get_case(db, case)
    for attempt in (
        lambda: cases.add_person(outsider, case, "P1"),
        lambda: cases.add_member(outsider, case, "olga", "x"),
        lambda: access.close_case(outsider, case, "x"),
        lambda: cases.reach(outsider, opened.id, CaseAct.SEE),
    ):
        with pytest.raises(NotFound) as refused:
            attempt()
        assert str(refused.value) in (f"no case '{case}'", f"no case {opened.id}")
    # An approver sees the case and may change its members, but does not investigate it.
    assert cases.reach(approver, opened.id, CaseAct.SEE) is opened
    for attempt in (
        lambda: cases.add_person(approver, case, "P1"),
        lambda: access.close_case(approver, case, "x"),
    ):
        with pytest.raises(Forbidden, match="approvers decide requests"):
            attempt()
    refusals = audit_events(db, event="case.refused")
    assert [(e.actor, e.outcome, e.details["act"]) for e in refusals] == [
        ("petr", Outcome.DENIED, "add_person"),
        ("petr", Outcome.DENIED, "members"),
        ("petr", Outcome.DENIED, "close"),
        ("petr", Outcome.DENIED, "see"),
        ("anna", Outcome.DENIED, "add_person"),
        ("anna", Outcome.DENIED, "close"),
    ]
    assert {e.case_ref for e in refusals} == {case}
    assert cases.persons(db, opened) == []
    assert opened.status is CaseStatus.OPEN
    # Once added, olga works on it like its opener.
    cases.add_member(ivan, case, "olga", "takes over the witnesses")
    cases.add_person(call_of(db, clock, investigator("olga")), case, "P1")
    assert [p.label for p in cases.persons(db, opened)] == ["P1"]


def test_listings_show_each_investigator_their_own_cases_and_approvers_all(
    ivan: Call, db: Session, clock: FrozenClock, make_user: MakeUser
) -> None:
    make_user(Role.INVESTIGATOR, "ivan")
    make_user(Role.INVESTIGATOR, "olga")
    olga = call_of(db, clock, investigator("olga"))
    cases.open_case(ivan, "C-IVAN", "cpc-kz-199", "ivan's")
    cases.open_case(olga, "C-OLGA", "cpc-kz-199", "olga's")
    shared = cases.open_case(olga, "C-BOTH", "cpc-kz-199", "both")
    cases.add_member(olga, "C-BOTH", "ivan", "the same suspect")

    def seen(viewer: object) -> list[str]:
        return sorted(c.reference for c in cases.visible_cases(db, viewer))  # type: ignore[arg-type]

    assert seen(INVESTIGATOR) == ["C-BOTH", "C-IVAN"]
    assert seen(investigator("olga")) == ["C-BOTH", "C-OLGA"]
    assert seen(investigator("petr")) == []
    assert seen(APPROVER) == ["C-BOTH", "C-IVAN", "C-OLGA"]
    assert seen(call_of(db, clock).actor) == []  # an admin sees no case
    access.remove_member(olga, "C-BOTH", "ivan", "no longer the same suspect")
    assert seen(INVESTIGATOR) == ["C-IVAN"]
    assert cases.visible_case_ids(db, APPROVER) is None
    assert cases.visible_case_ids(db, investigator("olga")) == {
        shared.id,
        cases.get_case(db, "C-OLGA").id,
    }
