"""Case pages: a refused action shows the case again with the status the error has in the
API (404 for a person who is not there, 409 for one added twice), not a blanket 422."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from custos.cases import service as cases
from custos.context import Call
from custos.permissions import Role
from helpers import bearer

HTML = {"Accept": "text/html"}


@pytest.fixture
def case_id(call: Call) -> int:
    case = cases.open_case(call, "12/2026-0457", "cpc-kz-199", "a robbery")
    cases.add_person(call, case.reference, "P1")
    return case.id


@pytest.fixture
def investigator(make_user: Callable[..., tuple[str, str]]) -> dict[str, str]:
    return {**bearer(make_user(Role.INVESTIGATOR)[1]), **HTML}


def test_clearing_a_person_who_is_not_in_the_case_is_404_on_the_case_page(
    client: TestClient, case_id: int, investigator: dict[str, str]
) -> None:
    response = client.post(
        f"/cases/{case_id}/persons/P7/clear", headers=investigator, data={"reason": "alibi"}
    )
    assert response.status_code == 404
    assert "Case 12/2026-0457" in response.text  # the case page, not the error page
    assert "case 12/2026-0457 has no person &#39;P7&#39;" in response.text


def test_adding_a_person_twice_is_409_beside_the_label(
    client: TestClient, case_id: int, investigator: dict[str, str]
) -> None:
    response = client.post(
        f"/cases/{case_id}/persons", headers=investigator, data={"label": "P1", "minor": "1"}
    )
    assert response.status_code == 409
    assert re.search(
        r'<input name="label" value="P1" required placeholder="P1">'
        r'<span class="field-error" id="person-label-error" role="alert">'
        r"case 12/2026-0457 has a person &#39;P1&#39; already</span>",
        response.text,
    )
    assert 'name="minor" value="1" checked' in response.text


def test_opening_a_case_twice_is_409_beside_the_reference_with_the_form_kept(
    client: TestClient, case_id: int, investigator: dict[str, str]
) -> None:
    response = client.post(
        "/cases",
        headers=investigator,
        data={
            "reference": "12/2026-0457",
            "legal_basis": "cpc-kz-199",
            "description": "the same robbery",
        },
    )
    assert response.status_code == 409
    assert re.search(
        r'name="reference" value="12/2026-0457" required placeholder="12/2026-0457">'
        r'<span class="field-error" id="case-reference-error"',
        response.text,
    )
    assert '<option value="cpc-kz-199" selected>' in response.text
    assert ">the same robbery</textarea>" in response.text


def test_an_unknown_case_is_404_whatever_the_form(
    client: TestClient, investigator: dict[str, str]
) -> None:
    response = client.post("/cases/999/close", headers=investigator, data={"reason": "x"})
    assert response.status_code == 404
    assert "no case 999" in response.text
