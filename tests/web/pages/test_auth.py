"""Signing in again: a form sent after the session ended shows the sign-in page saying so, and
signing in leads back to the page the form was on, never off the site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from custos.clock import FrozenClock
from custos.context import Call, Principal
from custos.permissions import Role
from custos.runtime import Runtime
from custos.users import service as users
from helpers import CHEAP_PASSWORDS

HTML = {"Accept": "text/html"}
PASSWORD = "a quiet river at dusk"
ENDED = "Your session ended; sign in again to go on."


@pytest.fixture
def expired(call: Call, client: TestClient, clock: FrozenClock, runtime: Runtime) -> None:
    """An operator signed in, whose session has since run out."""
    user, temporary = users.create_user(
        call, name="olga", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert temporary is not None
    principal = Principal(user.id, "olga", Role.OPERATOR, "session")
    users.change_own_password(call, principal, temporary, PASSWORD, passwords=CHEAP_PASSWORDS)
    assert client.post("/login", data={"name": "olga", "password": PASSWORD}).status_code == 303
    assert client.get("/incidents", headers=HTML).status_code == 200
    clock.advance(timedelta(hours=runtime.settings.session_hours, minutes=1))


def _next_of(html: str) -> str:
    marker = 'name="next" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_a_form_sent_after_the_session_ended_says_so_and_leads_back(
    client: TestClient, expired: None
) -> None:
    response = client.post(
        "/incidents",
        headers={**HTML, "Referer": "https://testserver/incidents"},
        data={"cameras": "gate", "reference": "r"},
    )
    assert response.status_code == 401
    assert '<form method="post" action="/login">' in response.text
    assert ENDED in response.text
    assert _next_of(response.text) == "/incidents"
    assert 'custos_session=""' in response.headers["set-cookie"]  # the dead cookie is dropped
    back = client.post(
        "/login", data={"name": "olga", "password": PASSWORD, "next": _next_of(response.text)}
    )
    assert (back.status_code, back.headers["location"]) == (303, "/incidents")
    assert client.get("/incidents", headers=HTML).status_code == 200


@pytest.mark.parametrize(
    ("target", "page"),
    [
        ("/cameras/gate/suspend", "/cameras/gate"),
        ("/holds/4/release", "/holds"),
        ("/cases/3/persons", "/cases/3"),
        ("/requests/8/approve", "/requests/8"),
        ("/retention/emergencies/2/end", "/retention"),
        ("/account/password", "/account"),
        ("/grants/5/revoke", "/cameras"),
    ],
)
def test_without_a_referer_the_form_leads_back_to_the_nearest_page_above_it(
    client: TestClient, expired: None, target: str, page: str
) -> None:
    response = client.post(target, headers=HTML, data={"reason": "x"})
    assert response.status_code == 401
    assert ENDED in response.text
    assert _next_of(response.text) == page


def test_a_referer_from_another_site_is_not_followed(client: TestClient, expired: None) -> None:
    response = client.post(
        "/incidents",
        headers={**HTML, "Referer": "https://evil.example/phish"},
        data={"cameras": "gate"},
    )
    assert response.status_code == 401
    assert _next_of(response.text) == "/incidents"


def test_a_page_asked_for_with_an_ended_session_says_so_too(
    client: TestClient, expired: None
) -> None:
    response = client.get("/retention", headers=HTML)
    assert response.status_code == 401
    assert ENDED in response.text
    assert _next_of(response.text) == "/retention"


def test_a_first_visit_is_not_told_a_session_ended(client: TestClient) -> None:
    response = client.get("/cameras", headers=HTML)
    assert response.status_code == 401
    assert ENDED not in response.text
