"""The cases API: members shown with the case, added and removed with a reason, and a case
answered 404 to whoever is not to know of it, exactly as for a case that does not exist."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from custos.cases import service as cases
from custos.context import Call
from custos.permissions import Role
from helpers import bearer

MakeUser = Callable[..., tuple[str, str]]


@pytest.fixture
def case_id(ivan: Call) -> int:
    case = cases.open_case(ivan, "12/2026-0457", "cpc-kz-199", "a robbery")
    cases.add_person(ivan, case.reference, "P1")
    return case.id


def test_members_over_the_api(client: TestClient, case_id: int, make_user: MakeUser) -> None:
    olga = bearer(make_user(Role.INVESTIGATOR, "olga")[1])
    approver_name, approver_token = make_user(Role.APPROVER)
    approver = bearer(approver_token)
    assert client.get(f"/api/cases/{case_id}", headers=olga).status_code == 404
    added = client.post(
        f"/api/cases/{case_id}/members",
        headers=approver,
        json={"name": "olga", "reason": "ivan is on leave"},
    )
    assert added.status_code == 201, added.text
    assert (added.json()["name"], added.json()["added_by"]) == ("olga", approver_name)
    detail = client.get(f"/api/cases/{case_id}", headers=olga).json()
    assert [(m["name"], m["reason"]) for m in detail["members"]] == [
        ("ivan", "opened the case"),
        ("olga", "ivan is on leave"),
    ]
    assert [c["id"] for c in client.get("/api/cases", headers=olga).json()] == [case_id]
    refused = client.post(
        f"/api/cases/{case_id}/members", headers=olga, json={"name": "nobody", "reason": "x"}
    )
    assert (refused.status_code, refused.json()["field"]) == (422, "name")
    removed = client.post(
        f"/api/cases/{case_id}/members/ivan/remove", headers=olga, json={"reason": "on leave"}
    )
    assert removed.json() == {"grants_revoked": [], "holds_released": []}
    last = client.post(
        f"/api/cases/{case_id}/members/olga/remove", headers=approver, json={"reason": "x"}
    )
    assert last.status_code == 409
    assert "the last member" in last.json()["detail"]


def test_a_case_not_ones_own_is_answered_like_one_that_does_not_exist(
    client: TestClient, case_id: int, make_user: MakeUser
) -> None:
    outsider = bearer(make_user(Role.INVESTIGATOR)[1])
    for method, path, body in (
        ("GET", "", None),
        ("POST", "/persons", {"label": "P2"}),
        ("POST", "/persons/P1/clear", {"reason": "x"}),
        ("POST", "/members", {"name": "ivan", "reason": "x"}),
        ("POST", "/members/ivan/remove", {"reason": "x"}),
        ("POST", "/close", {"reason": "x"}),
    ):
        theirs = client.request(method, f"/api/cases/{case_id}{path}", headers=outsider, json=body)
        none = client.request(method, f"/api/cases/999999{path}", headers=outsider, json=body)
        assert (theirs.status_code, none.status_code) == (404, 404), path
        assert theirs.json() == {"error": "not_found", "detail": f"no case {case_id}"}
        assert none.json() == {"error": "not_found", "detail": "no case 999999"}
    assert client.get("/api/cases", headers=outsider).json() == []
