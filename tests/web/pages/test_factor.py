"""Signing in with a second factor on the web: enrolment at the first sign-in, the code at each
after; without the code a session reaches nothing (codes computed by a real TOTP library)."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Call
from custos.permissions import Role
from custos.runtime import Runtime
from custos.users import service as users
from custos.users.policy import RequestStatus
from helpers import (
    CHEAP_PASSWORDS,
    audit_events,
    enrol_factor,
    own_account,
    page_client,
    sign_in_page,
)

HTML = {"Accept": "text/html"}
PASSWORD = "a phrase of her own choosing"


@pytest.fixture
def judge(call: Call) -> str:
    """An approver with a password of her own and no second factor yet."""
    own_account(call, "judge", Role.APPROVER, PASSWORD)
    return "judge"


def _password(client: TestClient, name: str, next: str = "/cases") -> str:
    answer = client.post("/login", data={"name": name, "password": PASSWORD, "next": next})
    assert answer.status_code == 303
    return answer.headers["location"]


def _secret_on(html: str) -> str:
    found = re.search(r'id="secret">([A-Z2-7 ]+)<', html)
    assert found, "the enrolment page shows no key"
    return found[1].replace(" ", "")


def test_the_first_sign_in_enrols_and_the_next_asks_for_the_code(
    client: TestClient, judge: str, clock: FrozenClock, db: Session
) -> None:
    assert _password(client, judge) == "/account/second-factor?next=/cases"
    # Until the factor is set up the session reaches nothing: pages lead back, the API refuses.
    assert (
        client.get("/cases", headers=HTML)
        .headers["location"]
        .startswith("/account/second-factor?next=")
    )
    api = client.get("/api/me")
    assert (api.status_code, api.json()["error"]) == (403, "second_factor_required")
    page = client.get("/account/second-factor?next=/cases", headers=HTML)
    assert page.status_code == 200
    assert "<svg" in page.text  # the QR code, drawn on the server
    app = pyotp.TOTP(_secret_on(page.text))

    wrong = client.post(
        "/account/second-factor", headers=HTML, data={"code": "12345", "next": "/cases"}
    )
    assert wrong.status_code == 422
    assert "6 digits" in wrong.text
    assert _secret_on(wrong.text) == app.secret  # the same key, still to be confirmed
    done = client.post(
        "/account/second-factor",
        headers=HTML,
        data={"code": app.at(clock.now()), "next": "/cases"},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/cases")
    assert client.get("/cases", headers=HTML).status_code == 200
    enrolled = client.get("/account/second-factor", headers=HTML)
    assert "was set up on" in enrolled.text
    assert 'id="secret"' not in enrolled.text  # the key is never shown again

    client.post("/logout")
    clock.advance(timedelta(minutes=1))
    assert _password(client, judge, "/requests") == "/login/code?next=/requests"
    assert client.get("/requests", headers=HTML).headers["location"].startswith("/login/code")
    assert "Your code" in client.get("/login/code", headers=HTML).text
    old = app.at(clock.now() - timedelta(minutes=5))
    stale = client.post("/login/code", headers=HTML, data={"code": old, "next": "/requests"})
    assert stale.status_code == 403
    assert "wrong, or was used already" in stale.text
    signed = client.post(
        "/login/code", headers=HTML, data={"code": app.at(clock.now()), "next": "/requests"}
    )
    assert (signed.status_code, signed.headers["location"]) == (303, "/requests")
    assert client.get("/requests", headers=HTML).status_code == 200
    events = [e.event for e in audit_events(db, object_id="judge")]
    assert events.count("second_factor.enrolled") == 1
    assert events.count("second_factor.given") == 2  # the wrong one and the right one


def test_a_role_without_a_second_factor_signs_in_with_the_password_alone(
    client: TestClient, call: Call
) -> None:
    own_account(call, "ivan", Role.INVESTIGATOR, PASSWORD)
    assert _password(client, "ivan") == "/cases"
    assert client.get("/login/code", headers=HTML).headers["location"] == "/cameras"


def test_a_one_time_password_is_replaced_after_the_factor_is_set_up(
    client: TestClient, call: Call, clock: FrozenClock
) -> None:
    _user, temporary = users.create_user(
        call, name="olga", role=Role.ADMIN, passwords=CHEAP_PASSWORDS
    )
    answer = client.post("/login", data={"name": "olga", "password": temporary})
    assert answer.headers["location"].startswith("/account/second-factor")
    # The password cannot be changed (nor a token issued) before the factor is set up.
    assert (
        client.get("/account", headers=HTML)
        .headers["location"]
        .startswith("/account/second-factor")
    )
    page = client.get("/account/second-factor", headers=HTML)
    code = pyotp.TOTP(_secret_on(page.text)).at(clock.now())
    done = client.post("/account/second-factor", headers=HTML, data={"code": code})
    assert done.headers["location"] == "/account"
    assert "Choose your own password" in client.get("/account", headers=HTML).text


def test_a_lost_factor_is_removed_by_two_people_and_enrolled_anew(
    client: TestClient, app: FastAPI, call: Call, runtime: Runtime, judge: str, db: Session
) -> None:
    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    enrol_factor(db, clock, runtime.sealer, judge)
    admins = {
        name: own_account(call, name, Role.ADMIN, PASSWORD, runtime.sealer)
        for name in ("olga", "pavel")
    }
    signed = sign_in_page(client, "olga", PASSWORD, clock, admins["olga"], next="/users")
    assert signed.headers["location"] == "/users"
    page = client.get("/users", headers=HTML)
    assert re.search(r'data-factor="judge">enrolled<', page.text)
    asked = client.post("/users/judge/reset-factor", headers=HTML)
    assert asked.headers["location"] == "/users#account-requests"
    assert "its second factor removed" in client.get("/users", headers=HTML).text
    assert users.get_user(db, judge).second_factor  # nothing changes until a second person

    with page_client(app) as second:
        sign_in_page(second, "pavel", PASSWORD, clock, admins["pavel"], next="/users")
        (waiting,) = users.list_requests(db, RequestStatus.PENDING)
        confirmed = second.post(f"/users/requests/{waiting.id}/confirm", headers=HTML)
        assert confirmed.status_code == 303
    db.expire_all()
    assert not users.get_user(db, judge).second_factor
    with page_client(app) as holder:
        answer = holder.post("/login", data={"name": judge, "password": PASSWORD})
        assert answer.headers["location"].startswith("/account/second-factor")
