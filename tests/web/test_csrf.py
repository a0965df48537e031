"""Cross-site request forgery: sign-in, sign-out and a change each refuse a request that lacks
this site's Origin or the form's token, or carries another session's token.

These tests use a plain `TestClient`, which sends nothing a browser would add on its own: each
request carries exactly the headers and fields written here. The token is read from the page,
as a browser's form holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.context import Call
from custos.permissions import Role
from custos.runtime import Runtime
from custos.web import csrf
from helpers import audit_events, own_account, register_camera

SITE = "https://testserver"
HTML = {"Accept": "text/html"}
PASSWORD = "a password of her own"


@pytest.fixture
def olga(call: Call) -> str:
    """An operator with a password of her own."""
    own_account(call, "olga", Role.OPERATOR, PASSWORD)
    return "olga"


@pytest.fixture
def plain(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=SITE, follow_redirects=False) as client:
        yield client


def token_on(html: str) -> str:
    found = re.search(rf'name="{csrf.FIELD}" value="([0-9a-f]*)"', html)
    assert found, "the page's form carries no token"
    return found[1]


def signed_in(client: TestClient, name: str) -> str:
    """Sign in through the form as a browser would; the token of the signed-in pages."""
    form = client.get("/login", headers=HTML)
    answer = client.post(
        "/login",
        headers={**HTML, "Origin": SITE},
        data={"name": name, "password": PASSWORD, csrf.FIELD: token_on(form.text)},
    )
    assert answer.status_code == 303, answer.text
    return token_on(client.get("/account", headers=HTML).text)


# --- signing in -------------------------------------------------------------------------------


def test_the_sign_in_form_works_with_its_token_and_origin(plain: TestClient, olga: str) -> None:
    signed_in(plain, olga)
    assert "custos_session" in plain.cookies


@pytest.mark.parametrize(
    "forged",
    ["no origin and no token", "another site", "the other scheme", "another browser's token"],
)
def test_a_forged_sign_in_is_refused(
    app: FastAPI, plain: TestClient, olga: str, db: Session, forged: str
) -> None:
    """Login CSRF: a page elsewhere signs the victim's browser in to an account it chose."""
    token = token_on(plain.get("/login", headers=HTML).text)
    headers: dict[str, str] = {**HTML, "Origin": SITE}
    fields = {"name": olga, "password": PASSWORD, csrf.FIELD: token}
    if forged == "no origin and no token":
        del headers["Origin"]
        del fields[csrf.FIELD]
    elif forged == "another site":
        headers["Origin"] = "https://evil.example"
    elif forged == "the other scheme":
        headers["Origin"] = "http://testserver"
    else:
        with TestClient(app, base_url=SITE) as attacker:
            fields[csrf.FIELD] = token_on(attacker.get("/login", headers=HTML).text)
    answer = plain.post("/login", headers=headers, data=fields)
    assert answer.status_code == 403
    assert "custos_session" not in plain.cookies
    # The page is the sign-in form again, with the name kept and a new cookie to send it with.
    assert 'action="/login"' in answer.text
    assert 'value="olga"' in answer.text
    assert audit_events(db, event="login") == []


# --- a change, and signing out ----------------------------------------------------------------


@pytest.fixture
def camera(runtime: Runtime) -> str:
    register_camera(runtime, "gate-1", "rtsp://cam.example/live")
    return "gate-1"


def _status(db: Session, name: str) -> str:
    db.expire_all()
    return str(cameras.get_camera(db, name).status)


@pytest.mark.parametrize(
    "forged",
    [
        "no origin and no token",
        "no origin",
        "no token",
        "another site",
        "the other scheme",
        "another session's token",
        "the sign-in token",
    ],
)
def test_a_forged_change_is_refused_and_nothing_changes(
    app: FastAPI, plain: TestClient, olga: str, camera: str, db: Session, forged: str
) -> None:
    token = signed_in(plain, olga)
    headers: dict[str, str] = {**HTML, "Origin": SITE}
    fields = {csrf.FIELD: token}
    if "no origin" in forged:
        del headers["Origin"]
    if "no token" in forged:
        del fields[csrf.FIELD]
    if forged == "another site":
        headers["Origin"] = "https://evil.example"
    elif forged == "the other scheme":
        headers["Origin"] = "http://testserver"
    elif forged == "another session's token":
        with TestClient(app, base_url=SITE, follow_redirects=False) as other:
            fields[csrf.FIELD] = signed_in(other, olga)
    elif forged == "the sign-in token":
        fields[csrf.FIELD] = token_on(plain.get("/login", headers=HTML).text)
    before = _status(db, camera)
    answer = plain.post(f"/cameras/{camera}/suspend", headers=headers, data=fields)
    assert answer.status_code == 403, answer.text
    assert _status(db, camera) == before
    # The same request from the page itself goes through.
    done = plain.post(
        f"/cameras/{camera}/suspend", headers={**HTML, "Origin": SITE}, data={csrf.FIELD: token}
    )
    assert done.status_code == 303
    assert _status(db, camera) == "suspended"


def test_a_script_sends_the_token_in_a_header(plain: TestClient, olga: str, camera: str) -> None:
    token = signed_in(plain, olga)
    answer = plain.post(
        f"/cameras/{camera}/suspend", headers={**HTML, "Origin": SITE, "X-CSRF-Token": token}
    )
    assert answer.status_code == 303


@pytest.mark.parametrize("forged", ["no origin and no token", "another site", "another token"])
def test_a_forged_sign_out_is_refused(
    app: FastAPI, plain: TestClient, olga: str, forged: str
) -> None:
    token = signed_in(plain, olga)
    headers: dict[str, str] = {**HTML, "Origin": SITE}
    fields = {csrf.FIELD: token}
    if forged == "no origin and no token":
        headers, fields = HTML, {}
    elif forged == "another site":
        headers["Origin"] = "https://evil.example"
    else:
        with TestClient(app, base_url=SITE, follow_redirects=False) as other:
            fields[csrf.FIELD] = signed_in(other, olga)
    assert plain.post("/logout", headers=headers, data=fields).status_code == 403
    assert plain.get("/account", headers=HTML).status_code == 200  # still signed in
    signed_out = plain.post("/logout", headers={**HTML, "Origin": SITE}, data={csrf.FIELD: token})
    assert signed_out.status_code == 303
    assert plain.get("/account", headers=HTML).status_code == 401


def test_an_api_token_needs_neither(
    plain: TestClient, camera: str, tokens: dict[Role, str]
) -> None:
    """A bearer token is no ambient credential: a page elsewhere cannot make a browser send it."""
    answer = plain.post(
        f"/api/cameras/{camera}/suspend",
        headers={"Authorization": f"Bearer {tokens[Role.OPERATOR]}"},
        json={"reason": "maintenance"},
    )
    assert answer.status_code < 300, answer.text


def test_the_refusal_says_why_in_the_api_error_body(
    plain: TestClient, olga: str, camera: str
) -> None:
    signed_in(plain, olga)
    answer = plain.post(f"/cameras/{camera}/suspend", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"
    assert "another site" in answer.json()["detail"]


# --- every form carries the token; TLS answers carry HSTS -------------------------------------


def test_every_form_that_sends_a_change_carries_the_token() -> None:
    posts = 0
    for template in (Path(csrf.__file__).parent / "templates").glob("*.html"):
        text = template.read_text()
        for form in re.finditer(r"<form\b[^>]*>", text):
            if 'method="post"' not in form[0]:
                continue
            posts += 1
            assert text[form.end() :].startswith("{{ csrf_field("), f"{template.name}: {form[0]}"
    assert posts >= 30


def test_answers_over_tls_tell_the_browser_to_stay_on_tls(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as tls:
        assert tls.get("/login").headers["strict-transport-security"] == "max-age=31536000"
    with TestClient(app, base_url="http://testserver") as plain_http:
        assert "strict-transport-security" not in plain_http.get("/login").headers
