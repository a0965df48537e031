"""Case rules: references, pseudonymous labels, legal bases, closed cases."""

from __future__ import annotations

import pytest

from custos.cases.policy import (
    CaseStatus,
    change_problem,
    label_problem,
    legal_basis_problem,
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
