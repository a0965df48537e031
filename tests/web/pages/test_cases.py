"""Case pages: a refused action shows the case again with the status the error has in the
API (404 for a person who is not there, 409 for one added twice), not a blanket 422; the
members of a case are shown, added and removed there, and anyone else is shown a case that
does not exist."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.cases import service as cases
from custos.context import Call
from custos.permissions import Role
from helpers import audit_events, bearer

HTML = {"Accept": "text/html"}


@pytest.fixture
def case_id(ivan: Call) -> int:
    case = cases.open_case(ivan, "12/2026-0457", "cpc-kz-199", "a robbery")
    cases.add_person(ivan, case.reference, "P1")
    return case.id


@pytest.fixture
def investigator(
    ivan: Call, case_id: int, make_user: Callable[..., tuple[str, str]]
) -> dict[str, str]:
    """The page headers of an investigator ivan added to his case."""
    name, token = make_user(Role.INVESTIGATOR)
    cases.add_member(ivan, "12/2026-0457", name, "works the case with ivan")
    return {**bearer(token), **HTML}


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


# --- members on the case page -----------------------------------------------------------------


def test_the_case_page_lists_the_members_and_adds_one_from_the_investigators(
    client: TestClient,
    db: Session,
    case_id: int,
    investigator: dict[str, str],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    make_user(Role.INVESTIGATOR, "olga")
    make_user(Role.APPROVER, "aida")
    page = client.get(f"/cases/{case_id}", headers=investigator).text
    assert '<tr data-member="ivan">' in page
    assert "opened the case" in page
    picker = page[page.index('id="member-form"') :]
    picker = picker[: picker.index("</select>")]
    assert "<option >olga</option>" in picker
    assert "aida" not in picker  # only investigators are members
    assert "ivan" not in picker  # a member already

    added = client.post(
        f"/cases/{case_id}/members",
        headers=investigator,
        data={"name": "olga", "reason": "she interviewed the witness"},
    )
    assert (added.status_code, added.headers["location"]) == (303, f"/cases/{case_id}")
    page = client.get(f"/cases/{case_id}", headers=investigator).text
    assert '<tr data-member="olga">' in page
    assert "she interviewed the witness" in page
    entry = audit_events(db, event="case.member_added")[-1]
    assert (entry.details, entry.justification) == (
        {"member": "olga"},
        "she interviewed the witness",
    )


def test_a_refused_member_form_keeps_the_choice_and_the_reason(
    client: TestClient,
    case_id: int,
    investigator: dict[str, str],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    make_user(Role.INVESTIGATOR, "olga")
    twice = client.post(
        f"/cases/{case_id}/members",
        headers=investigator,
        data={"name": "ivan", "reason": "the opener again"},
    )
    assert twice.status_code == 409
    assert re.search(
        r"<option selected>ivan</option></select>"
        r'<span class="field-error" id="member-name-error" role="alert">'
        r"ivan is a member of case 12/2026-0457 already</span>",
        twice.text,
    )
    assert 'name="reason" value="the opener again"' in twice.text
    no_reason = client.post(
        f"/cases/{case_id}/members", headers=investigator, data={"name": "olga", "reason": " "}
    )
    assert no_reason.status_code == 422
    assert "<option selected>olga</option>" in no_reason.text
    assert re.search(
        r'name="reason" value=" " required placeholder="why they need to know">'
        r'<span class="field-error" id="member-reason-error" role="alert">say why olga joins',
        no_reason.text,
    )


def test_a_member_is_removed_from_the_page_with_a_reason(
    client: TestClient, db: Session, case_id: int, investigator: dict[str, str]
) -> None:
    removed = client.post(
        f"/cases/{case_id}/members/ivan/remove",
        headers=investigator,
        data={"reason": "moved to another unit"},
    )
    assert removed.status_code == 303
    page = client.get(f"/cases/{case_id}", headers=investigator).text
    assert '<tr data-member="ivan">' not in page
    assert '<tr class="muted" data-former-member="ivan">' in page
    assert "moved to another unit" in page
    # The one member left cannot be removed: the page says so instead of offering the form.
    assert "the last member" in page
    (entry,) = audit_events(db, event="case.member_removed")
    assert (entry.details, entry.justification) == ({"member": "ivan"}, "moved to another unit")


def test_an_approver_sees_the_case_and_its_members_but_not_the_investigation_forms(
    client: TestClient, case_id: int, make_user: Callable[..., tuple[str, str]]
) -> None:
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    page = client.get(f"/cases/{case_id}", headers=approver)
    assert page.status_code == 200
    assert 'id="member-form"' in page.text
    for form in ('id="person-form"', 'id="request-form"', 'id="close-form"', "/clear"):
        assert form not in page.text
    listed = client.get("/cases", headers=approver).text
    assert f'<tr data-case="{case_id}">' in listed
    assert 'id="case-form"' not in listed  # approvers do not open cases


def test_an_investigator_outside_the_case_is_shown_a_case_that_does_not_exist(
    client: TestClient, db: Session, case_id: int, make_user: Callable[..., tuple[str, str]]
) -> None:
    outsider = {**bearer(make_user(Role.INVESTIGATOR)[1]), **HTML}
    unknown = client.get("/cases/999999", headers=outsider)
    for method, url, data in (
        ("GET", f"/cases/{case_id}", None),
        ("POST", f"/cases/{case_id}/persons", {"label": "P2"}),
        ("POST", f"/cases/{case_id}/persons/P1/clear", {"reason": "x"}),
        ("POST", f"/cases/{case_id}/members", {"name": "ivan", "reason": "x"}),
        ("POST", f"/cases/{case_id}/members/ivan/remove", {"reason": "x"}),
        ("POST", f"/cases/{case_id}/close", {"reason": "x"}),
        ("POST", f"/cases/{case_id}/requests", {"persons": "P1"}),
    ):
        response = client.request(method, url, headers=outsider, data=data)
        assert response.status_code == 404, url
        assert f"no case {case_id}" in response.text
        assert "12/2026-0457" not in response.text
        # The same page as for an id that names no case, but for the id.
        assert response.text.replace(f"no case {case_id}", "no case N") == unknown.text.replace(
            "no case 999999", "no case N"
        )
    listed = client.get("/cases", headers=outsider).text
    assert "data-case=" not in listed
    assert "No case of yours." in listed
    refused = audit_events(db, event="case.refused")
    assert len(refused) == 7
    assert {e.case_ref for e in refused} == {"12/2026-0457"}
    assert cases.persons(db, cases.get_case(db, "12/2026-0457"))[0].cleared_at is None


def test_a_person_is_added_with_their_role_and_a_bad_role_keeps_the_form(
    client: TestClient, case_id: int, investigator: dict[str, str]
) -> None:
    added = client.post(
        f"/cases/{case_id}/persons",
        headers=investigator,
        data={"label": "W1", "role": "witness", "minor": "1"},
        follow_redirects=True,
    )
    assert added.status_code == 200
    row = re.search(r'<tr data-person="W1">(.*?)</tr>', added.text, re.S)
    assert row is not None
    assert '<td data-role="witness">witness</td>' in row.group(1)
    assert "in the case" in row.group(1)  # a witness is not under suspicion
    bad = client.post(
        f"/cases/{case_id}/persons", headers=investigator, data={"label": "W2", "role": "mayor"}
    )
    assert bad.status_code == 422
    assert 'value="W2"' in bad.text
