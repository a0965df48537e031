"""One error body everywhere, bounded numbers and strict times, and a document that says so.

Every route and page is walked: an id too large for a database column, or below 1, is 422 with
the error body, never a 500; times that are bare numbers are refused; and the OpenAPI document
describes the error body and the statuses each operation answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from custos.deps import Admits, public
from custos.http import MAX_ID, MAX_INT
from custos.permissions import Role
from helpers import bearer

TOO_LARGE = 2**64  # what overflowed a 64-bit column and used to answer 500
# 2**31 was a 500 on PostgreSQL, whose id columns are 32-bit; 2**64 on both.
OUT_OF_RANGE = [str(TOO_LARGE), str(MAX_INT + 1), str(MAX_ID + 1), "0", "-1"]


def _admitted(route: APIRoute) -> frozenset[Role] | None:
    """The roles a route admits; None for a public route."""
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, Admits):
            return dependant.call.roles
        if dependant.call is public:
            return None
        stack.extend(dependant.dependencies)
    return None


def _id_routes(app: FastAPI) -> Iterator[tuple[str, str, list[str], frozenset[Role] | None]]:
    """(method, path, integer path parameters, admitted roles) of every route with integer ids."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        integers = [
            param.name
            for param in route.dependant.path_params
            if param.field_info.annotation is int
        ]
        if integers:
            for method in sorted(route.methods):
                yield method, context.path_format or route.path_format, integers, _admitted(route)


def _fill(path: str, number: str) -> str:
    """`path` with every parameter a harmless word, and every id `number`."""
    return re.sub(r"\{(\w+)\}", lambda m: number if m[1].endswith("_id") else "x", path)


def test_the_walk_finds_the_routes_and_pages_with_ids(app: FastAPI) -> None:
    found = {(method, path) for method, path, _, _ in _id_routes(app)}
    assert ("GET", "/api/cases/{case_id}") in found
    assert ("POST", "/api/holds/{hold_id}/release") in found
    assert ("GET", "/grants/{grant_id}/review") in found  # a page
    assert len(found) >= 25  # 14 API routes and 13 pages when written


@pytest.mark.parametrize("number", OUT_OF_RANGE)
def test_an_id_out_of_range_is_422_on_every_route(
    client: TestClient, app: FastAPI, tokens: dict[Role, str], number: str
) -> None:
    answered = 0
    for method, path, integers, roles in _id_routes(app):
        role = sorted(roles)[0] if roles else Role.ADMIN
        response = client.request(
            method, _fill(path, number), headers=bearer(tokens[role]), json={}
        )
        assert response.status_code == 422, (method, path, response.text)
        body = response.json()
        assert body["error"] == "invalid_input", (method, path)
        assert any(f"{name}: " in body["detail"] for name in integers), body
        answered += 1
    assert answered >= 25


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (f"/api/access-requests?case_id={TOO_LARGE}", "case_id"),
        (f"/api/grants?case_id={TOO_LARGE}", "case_id"),
        (f"/api/audit/entries?before={TOO_LARGE}", "before"),
        ("/api/audit/entries?before=-1", "before"),
        (f"/transparency/proof/inclusion?index={TOO_LARGE}&size=1", "index"),
        (f"/transparency/proof/inclusion?index=0&size={TOO_LARGE}", "size"),
        (f"/transparency/proof/consistency?from=1&to={TOO_LARGE}", "to"),
        (f"/transparency/proof/consistency?from={TOO_LARGE}&to=1", "from"),
        (f"/audit?before={TOO_LARGE}", "before"),
    ],
)
def test_a_query_number_out_of_range_is_422(
    client: TestClient, tokens: dict[Role, str], url: str, name: str
) -> None:
    role = Role.AUDITOR if "audit" in url else Role.APPROVER
    response = client.get(url, headers=bearer(tokens[role]))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == name


def test_a_track_number_out_of_range_is_refused_like_any_other_slip(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    url = f"/api/grants/1/windows/1/segments/x/video?reveal={TOO_LARGE}&reason=asked"
    response = client.get(url, headers=bearer(tokens[Role.INVESTIGATOR]))
    assert response.status_code == 422
    assert response.json()["field"] == "reveal"


@pytest.mark.parametrize("value", ["0.5", "1764500000", "1e9", "-1", "noon", "14:05", "30.11.2026"])
def test_a_time_without_a_date_is_refused_with_a_clear_message(
    client: TestClient, tokens: dict[Role, str], value: str
) -> None:
    response = client.get(
        "/api/retention/plan", params={"at": value}, headers=bearer(tokens[Role.DPO])
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "at"
    assert "ISO 8601 date and time" in body["detail"]
    assert "2026-11-30T14:05:00Z" in body["detail"]


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:59:59-14:00"])
def test_a_time_outside_the_years_is_refused(
    client: TestClient, tokens: dict[Role, str], value: str
) -> None:
    response = client.get(
        "/api/audit/entries", params={"until": value}, headers=bearer(tokens[Role.AUDITOR])
    )
    assert response.status_code == 422
    assert "between the years 1970 and 8999" in response.json()["detail"]


def test_iso_times_with_a_date_are_read_and_without_a_zone_are_utc(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    headers = bearer(tokens[Role.DPO])
    for value, expected in [
        ("2026-11-30", "2026-11-30T00:00:00Z"),
        ("2026-11-30T14:05", "2026-11-30T14:05:00Z"),
        ("2026-11-30T19:05:00+05:00", "2026-11-30T14:05:00Z"),
    ]:
        response = client.get("/api/retention/plan", params={"at": value}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["at"] == expected


def test_a_time_in_a_body_that_is_a_number_is_refused(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    response = client.post(
        "/api/emergencies",
        headers=bearer(tokens[Role.ADMIN]),
        json={"regions": ["Almaty"], "start": 0.5, "decree_ref": "decree 1"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "start"
    assert "ISO 8601" in response.json()["detail"]


def test_a_case_id_too_large_in_a_body_is_422(client: TestClient, tokens: dict[Role, str]) -> None:
    body = {
        "case_id": TOO_LARGE,
        "windows": [{"camera": "x", "start": "2026-11-30T10:00", "end": "2026-11-30T11:00"}],
        "persons": ["P1"],
        "purpose": "p",
        "justification": "j",
    }
    response = client.post(
        "/api/access-requests", headers=bearer(tokens[Role.INVESTIGATOR]), json=body
    )
    assert response.status_code == 422
    assert response.json()["field"] == "case_id"


def test_every_error_has_the_one_body(client: TestClient, tokens: dict[Role, str]) -> None:
    answers = {
        "unknown path": client.get("/api/nowhere"),
        "wrong method": client.delete("/api/cameras"),
        "no credentials": client.get("/api/cameras"),
        "role not admitted": client.get("/api/users", headers=bearer(tokens[Role.OPERATOR])),
        "not found": client.get("/api/cameras/absent", headers=bearer(tokens[Role.OPERATOR])),
        "invalid": client.get("/api/cases/abc", headers=bearer(tokens[Role.INVESTIGATOR])),
    }
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "unknown path": 404,
        "wrong method": 405,
        "no credentials": 401,
        "role not admitted": 403,
        "not found": 404,
        "invalid": 422,
    }
    for name, response in answers.items():
        body = response.json()
        assert set(body) <= {"error", "detail", "field"}, name
        assert isinstance(body["error"], str), name
        assert isinstance(body["detail"], str), name
        assert body["detail"], name
    assert answers["unknown path"].json()["error"] == "not_found"
    assert answers["wrong method"].json()["error"] == "method_not_allowed"
    assert "GET" in answers["wrong method"].headers["allow"]
    assert answers["invalid"].json()["field"] == "case_id"


def test_a_browser_gets_a_page_for_a_refused_input(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    response = client.get(
        f"/cases/{TOO_LARGE}",
        headers={**bearer(tokens[Role.INVESTIGATOR]), "Accept": "text/html"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "case_id" in response.text
    unknown = client.get("/nowhere", headers={"Accept": "text/html"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")


# --- the document ------------------------------------------------------------------------------


def _operations(document: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_the_document_describes_the_error_body_not_fastapis(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert set(schemas["ErrorOut"]["required"]) == {"error", "detail"}
    assert "HTTPValidationError" not in str(document)
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or path == "/healthz":
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)


def test_the_document_lists_the_statuses_each_operation_answers(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    statuses = {
        (method, path): set(operation["responses"])
        for method, path, operation in _operations(document)
    }
    # A caller check: 401 and 403; a path naming something: 404; any input: 422.
    assert {"401", "403", "404", "422"} <= statuses[("GET", "/api/cases/{case_id}")]
    assert {"401", "403"} <= statuses[("GET", "/api/me")]
    assert "422" not in statuses[("GET", "/api/me")]
    # Public routes ask for no credentials.
    assert "401" not in statuses[("GET", "/transparency/proof/inclusion")]
    assert "422" in statuses[("GET", "/transparency/proof/inclusion")]
    # What a route declared: conflicts, and a 404 for what a body names.
    assert "409" in statuses[("POST", "/api/cameras")]
    assert "409" in statuses[("POST", "/api/access-requests/{request_id}/approve")]
    assert {"404", "409"} <= statuses[("POST", "/api/access-requests")]
    assert "404" in statuses[("POST", "/api/holds")]
    assert statuses[("GET", "/healthz")] == {"200", "503"}


def test_the_document_bounds_every_integer_parameter(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            options = schema.get("anyOf", [schema])
            for option in options:
                if option.get("type") == "integer":
                    assert option.get("maximum", 0) <= MAX_INT, (method, path, parameter)
                    assert "maximum" in option, (method, path, parameter["name"])
                    assert option.get("minimum", -1) >= 0, (method, path, parameter["name"])


# --- NUL characters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/api/cases", '{"reference": "12/2026-1\\u0000", "legal_basis": "x"}'),
        ("POST", "/api/lockouts/lift", '{"address": "10.0.0.1", "user": "\\u0000"}'),
        ("GET", "/api/cameras?tag=%00", None),
        ("GET", "/api/cameras/a%00b", None),
    ],
    ids=["json-body", "json-body-admin", "query", "path"],
)
def test_a_nul_character_anywhere_is_422_before_any_route(
    client: TestClient, tokens: dict[Role, str], method: str, url: str, body: str | None
) -> None:
    headers = {**bearer(tokens[Role.ADMIN]), "Content-Type": "application/json"}
    response = client.request(method, url, headers=headers, content=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert "NUL" in response.json()["detail"]


def test_a_nul_character_in_a_form_is_refused_with_a_page(client: TestClient) -> None:
    response = client.post(
        "/login",
        content="username=admin%00&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "NUL" in response.text


def test_text_that_only_looks_like_a_nul_reaches_the_route(
    client: TestClient, tokens: dict[Role, str]
) -> None:
    # An escaped backslash before "u0000", and "%00" in JSON text, are characters like others.
    body = '{"address": "10.0.0.9", "user": "a\\\\u0000 100%00"}'
    response = client.post(
        "/api/lockouts/lift",
        headers={**bearer(tokens[Role.ADMIN]), "Content-Type": "application/json"},
        content=body,
    )
    assert response.status_code == 404, response.text  # no such lock-out: the route answered
