"""Case rules: references, pseudonymous labels, legal bases, closed cases, holds inside cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.cases.policy import (
    CaseStatus,
    change_problem,
    hold_person_problem,
    hold_problem,
    label_problem,
    legal_basis_problem,
    orphan_reason,
    reference_problem,
)


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
