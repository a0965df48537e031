"""Case rules: references, pseudonymous labels, legal bases, closed cases, holds inside cases,
and who sees and does what in a case (members, approvers, everyone else)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.cases.policy import (
    ACT_WORDS,
    CaseAct,
    CaseKind,
    CaseStatus,
    Refusal,
    acts,
    change_problem,
    hold_person_problem,
    hold_problem,
    label_problem,
    legal_basis_problem,
    member_problem,
    open_problem,
    orphan_reason,
    reference_problem,
    refusal,
    refusal_reason,
    removal_problem,
    sees_every_case,
)
from custos.permissions import Role


@pytest.mark.parametrize(
    ("reference", "ok"),
    [("12/2026-0457", True), ("A", True), ("", False), ("a b", False), ("x" * 65, False)],
)
def test_references(reference, ok) -> None:
    assert (reference_problem(reference) is None) is ok


@pytest.mark.parametrize(
    ("label", "ok"),
    [
        ("P1", True),
        ("suspect-A", True),
        ("witness.2", True),
        ("1P", False),  # starts with a digit
        ("Ivan Petrov", False),  # a name with a space: labels are pseudonyms
        ("P850101300123", False),  # carries an identity number
        ("", False),
        ("P" * 33, False),
    ],
)
def test_person_labels_are_pseudonyms(label, ok) -> None:
    assert (label_problem(label) is None) is ok


def test_legal_basis_must_be_a_ground_of_the_policy() -> None:
    assert legal_basis_problem("cpc-kz-199", ["cpc-kz-199", "cpc-kz-231"]) is None
    problem = legal_basis_problem("gdpr-6-1-f", ["cpc-kz-199", "cpc-kz-231"])
    assert problem is not None
    assert "cpc-kz-199, cpc-kz-231" in problem


def test_a_closed_case_cannot_change() -> None:
    assert change_problem(CaseStatus.OPEN) is None
    assert change_problem(CaseStatus.CLOSED) == "the case is closed"


@pytest.mark.parametrize(
    ("status", "problem", "orphaned"),
    [
        (CaseStatus.OPEN, None, None),
        (CaseStatus.CLOSED, "case 12/2026-0457 is closed", "case closed"),
        (None, "no case '12/2026-0457': a hold is placed inside an open case", "no such case"),
    ],
)
def test_a_hold_goes_only_inside_an_open_case(status, problem, orphaned) -> None:
    found = hold_problem("12/2026-0457", status)
    assert (found is None) if problem is None else (problem in (found or ""))
    assert orphan_reason(status) == orphaned


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("P1", None),
        ("P2", "P2 of case C-1 is cleared"),
        ("P9", "case C-1 has no person 'P9'"),
    ],
)
def test_a_hold_for_a_person_needs_them_in_the_case_and_not_cleared(label, problem) -> None:
    found = hold_person_problem("C-1", label, {"P1": False, "P2": True})
    assert (found is None) if problem is None else (problem in (found or ""))


@given(st.sampled_from([None, *CaseStatus]))
def test_a_hold_may_be_placed_exactly_where_it_would_not_be_orphaned(status) -> None:
    assert (hold_problem("C-1", status) is None) == (orphan_reason(status) is None)


# --- need to know: who sees a case and who acts in it -----------------------------------------

ROLES = [None, *Role]
EVERY_ACT = frozenset(CaseAct)
INVESTIGATING = {CaseAct.ADD_PERSON, CaseAct.CLEAR_PERSON, CaseAct.REQUEST, CaseAct.REVIEW}


@pytest.mark.parametrize(
    ("role", "member", "allowed"),
    [
        (Role.INVESTIGATOR, True, EVERY_ACT),
        (Role.INVESTIGATOR, False, frozenset()),
        (Role.APPROVER, False, {CaseAct.SEE, CaseAct.MEMBERS}),
        (Role.APPROVER, True, {CaseAct.SEE, CaseAct.MEMBERS}),  # approvers never investigate
        (Role.OPERATOR, True, frozenset()),
        (Role.DPO, False, frozenset()),
        (Role.AUDITOR, False, frozenset()),
        (Role.ADMIN, True, frozenset()),
        (None, True, frozenset()),  # the command line, the system: no part in any case
    ],
)
def test_who_does_what_in_a_case(role, member, allowed) -> None:
    assert acts(role, member) == allowed


@pytest.mark.parametrize(
    ("role", "member", "allowed"),
    [
        # The investigator the officer assigned: everything but other persons and devices.
        (Role.INVESTIGATOR, True, EVERY_ACT - {CaseAct.ADD_PERSON, CaseAct.INSPECT_DEVICE}),
        (Role.INVESTIGATOR, False, frozenset()),
        (Role.APPROVER, False, {CaseAct.SEE, CaseAct.MEMBERS}),
        (Role.DPO, False, {CaseAct.SEE, CaseAct.CLOSE}),  # never the footage
        (Role.AUDITOR, False, frozenset()),
        (Role.ADMIN, False, frozenset()),
    ],
)
def test_who_does_what_in_a_subject_access_case(role, member, allowed) -> None:
    assert acts(role, member, CaseKind.SUBJECT_ACCESS) == allowed


@pytest.mark.parametrize(
    ("role", "kind", "refused"),
    [
        (Role.INVESTIGATOR, CaseKind.CRIMINAL, False),
        (Role.DPO, CaseKind.CRIMINAL, True),
        (Role.DPO, CaseKind.SUBJECT_ACCESS, False),
        (Role.INVESTIGATOR, CaseKind.SUBJECT_ACCESS, True),
        (Role.ADMIN, CaseKind.SUBJECT_ACCESS, True),
    ],
)
def test_who_opens_which_kind_of_case(role, kind, refused) -> None:
    assert (open_problem(role, kind) is not None) is refused


@pytest.mark.parametrize(
    ("role", "member", "act", "answer"),
    [
        (Role.INVESTIGATOR, True, CaseAct.CLOSE, None),
        (Role.INVESTIGATOR, False, CaseAct.SEE, Refusal.UNKNOWN),
        (Role.INVESTIGATOR, False, CaseAct.REQUEST, Refusal.UNKNOWN),
        (Role.INVESTIGATOR, False, CaseAct.REVIEW, Refusal.UNKNOWN),
        (Role.APPROVER, False, CaseAct.SEE, None),
        (Role.APPROVER, False, CaseAct.MEMBERS, None),
        (Role.APPROVER, False, CaseAct.ADD_PERSON, Refusal.FORBIDDEN),
        (Role.APPROVER, False, CaseAct.CLOSE, Refusal.FORBIDDEN),
        (Role.APPROVER, False, CaseAct.REVIEW, Refusal.FORBIDDEN),
        (Role.ADMIN, False, CaseAct.SEE, Refusal.UNKNOWN),
    ],
)
def test_a_refusal_is_unknown_to_whoever_may_not_see_the_case(role, member, act, answer) -> None:
    assert refusal(role, member, act) == answer


def test_the_reason_of_a_refusal() -> None:
    assert refusal_reason(Role.INVESTIGATOR, Refusal.UNKNOWN, CaseAct.SEE) == (
        "not a member of the case"
    )
    reason = refusal_reason(Role.APPROVER, Refusal.FORBIDDEN, CaseAct.ADD_PERSON)
    assert reason.startswith("the approver role does not add persons to a case")
    assert set(ACT_WORDS) == EVERY_ACT


@given(st.sampled_from(ROLES), st.booleans(), st.sampled_from(list(CaseAct)))
def test_whoever_acts_in_a_case_sees_it(role, member, act) -> None:
    if act in acts(role, member):
        assert CaseAct.SEE in acts(role, member)
    answer = refusal(role, member, act)
    assert (answer is None) == (act in acts(role, member))
    # A refusal tells that the case exists exactly when the caller may see it.
    if answer is not None:
        assert (answer is Refusal.UNKNOWN) == (CaseAct.SEE not in acts(role, member))


@given(st.sampled_from(ROLES), st.booleans())
def test_only_a_member_investigates_and_only_a_member_or_an_approver_sees(role, member) -> None:
    allowed = acts(role, member)
    if allowed & INVESTIGATING or CaseAct.CLOSE in allowed:
        assert (role, member) == (Role.INVESTIGATOR, True)
    if CaseAct.SEE in allowed:
        assert role == Role.APPROVER or (role == Role.INVESTIGATOR and member)
    # Membership never takes anything away, and no one but an approver sees a case unasked.
    assert acts(role, False) <= acts(role, True)
    assert sees_every_case(role) == (role == Role.APPROVER)


def test_only_an_investigator_opens_a_case() -> None:
    assert open_problem(Role.INVESTIGATOR) is None
    for role in [None, *(r for r in Role if r is not Role.INVESTIGATOR)]:
        assert (
            open_problem(role) == "only an investigator opens a case, and becomes its first member"
        )


@pytest.mark.parametrize(
    ("role", "active", "problem"),
    [
        (Role.INVESTIGATOR, True, None),
        (Role.INVESTIGATOR, False, "olga's account is disabled"),
        (Role.APPROVER, True, "olga is not an investigator: only investigators are members"),
        (Role.ADMIN, True, "olga is not an investigator"),
        (None, False, "no account 'olga'"),
    ],
)
def test_only_an_active_investigator_becomes_a_member(role, active, problem) -> None:
    found = member_problem("olga", role, active)
    assert (found is None) if problem is None else (problem in (found or ""))


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ({"ivan", "olga"}, None),
        ({"ivan"}, "ivan is the last member of case C-1: add another member first"),
    ],
)
def test_the_last_member_stays(members, problem) -> None:
    assert removal_problem("C-1", "ivan", members) == problem


NAMES = st.sampled_from(["ivan", "olga", "petr", "aida"])


@given(st.sets(NAMES, min_size=1), st.lists(NAMES, max_size=8))
def test_removals_the_rule_allows_never_leave_a_case_without_a_member(members, leaving) -> None:
    for name in leaving:
        if name in members and removal_problem("C-1", name, members) is None:
            members = members - {name}
    assert members
