"""Account pages: a refused password change is the 403 the API gives, the page shown again; a
locked-out account shows as such on the users page, and the admin lifts the lock-out there."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Call, Principal
from custos.errors import Unauthenticated
from custos.permissions import Role
from custos.users import policy
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, audit_events, call_of

HTML = {"Accept": "text/html"}
PASSWORD = "a quiet river at dusk"
HOUR = timedelta(hours=1)


def _signed_in(client: TestClient, db: Session, clock: FrozenClock) -> None:
    call = call_of(db, clock)
    user, temporary = users.create_user(
        call, name="olga", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert temporary is not None
    principal = Principal(user.id, "olga", Role.OPERATOR, "session")
    users.change_own_password(call, principal, temporary, PASSWORD, passwords=CHEAP_PASSWORDS)
    signed = client.post("/login", data={"name": "olga", "password": PASSWORD})
    assert signed.status_code == 303


def test_a_wrong_current_password_is_403_on_the_account_page(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    _signed_in(client, db, clock)
    response = client.post(
        "/account/password",
        headers=HTML,
        data={
            "current_password": "not it at all",
            "new_password": "a brand new phrase",
            "confirm_password": "a brand new phrase",
        },
    )
    assert response.status_code == 403
    assert "Your account" in response.text
    assert "The password was not changed: the current password is wrong" in response.text
    assert "a brand new phrase" not in response.text  # passwords are never sent back


def test_disabling_oneself_is_409_in_the_row(call: Call, client: TestClient) -> None:
    admin, temporary = users.create_user(
        call, name="ada", role=Role.ADMIN, passwords=CHEAP_PASSWORDS
    )
    assert temporary is not None
    principal = Principal(admin.id, "ada", Role.ADMIN, "session")
    users.change_own_password(call, principal, temporary, PASSWORD, passwords=CHEAP_PASSWORDS)
    client.post("/login", data={"name": "ada", "password": PASSWORD})
    response = client.post("/users/ada/disable", headers=HTML)
    assert response.status_code == 409
    assert "you cannot disable your own account" in response.text
    assert "Add a user" in response.text


def _fail_sign_ins(db: Session, clock: FrozenClock, name: str, address: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            users.login(
                db, clock, name, "not the password", address, HOUR, passwords=CHEAP_PASSWORDS
            )


def test_a_locked_account_is_shown_as_such_and_the_admin_lifts_it(
    call: Call, client: TestClient, db: Session, clock: FrozenClock
) -> None:
    admin, temporary = users.create_user(
        call, name="ada", role=Role.ADMIN, passwords=CHEAP_PASSWORDS
    )
    assert temporary is not None
    principal = Principal(admin.id, "ada", Role.ADMIN, "session")
    users.change_own_password(call, principal, temporary, PASSWORD, passwords=CHEAP_PASSWORDS)
    users.create_user(call, name="olga", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS)
    _fail_sign_ins(db, clock, "olga", "198.51.100.7", policy.ACCOUNT_FAILURES)
    for i in range(policy.ADDRESS_FAILURES):
        _fail_sign_ins(db, clock, f"guess{i}", "203.0.113.9", 1)
    client.post("/login", data={"name": "ada", "password": PASSWORD})

    page = client.get("/users", headers=HTML)
    assert page.status_code == 200
    until = (clock.now() + policy.LOCKOUT).isoformat()
    row = re.search(r'<tr data-user="olga">.*?</tr>', page.text, re.S)
    assert row, page.text
    assert re.search(
        r'<strong class="locked" data-locked="olga">locked out</strong> from 198\.51\.100\.7 '
        rf'until <time datetime="{re.escape(until)}">',
        row[0],
    )
    assert 'action="/users/olga/unlock"' in row[0]
    ada = re.search(r'<tr data-user="ada">.*?</tr>', page.text, re.S)
    assert ada
    assert "locked out" not in ada[0]
    assert 'data-lockout="olga@198.51.100.7"' in page.text
    assert 'data-lockout="@203.0.113.9"' in page.text
    assert "every account" in page.text

    lifted = client.post("/users/olga/unlock", headers=HTML)
    assert (lifted.status_code, lifted.headers["location"]) == (303, "/users")
    again = client.post("/users/olga/unlock", headers=HTML)
    assert again.status_code == 409
    assert "&#39;olga&#39; is not locked out" in again.text
    address = client.post(
        "/users/lockouts/lift", headers=HTML, data={"address": "203.0.113.9", "user": ""}
    )
    assert address.status_code == 303
    after = client.get("/users", headers=HTML).text
    assert "No account or address is locked out." in after
    assert [e.object_id for e in audit_events(db, event="user.unlocked")] == ["olga"]
    assert [e.object_id for e in audit_events(db, event="lockout.lifted")] == ["203.0.113.9"]


def test_lifting_a_lock_out_that_is_gone_says_so_above_the_list(
    call: Call, client: TestClient
) -> None:
    admin, temporary = users.create_user(
        call, name="ada", role=Role.ADMIN, passwords=CHEAP_PASSWORDS
    )
    assert temporary is not None
    principal = Principal(admin.id, "ada", Role.ADMIN, "session")
    users.change_own_password(call, principal, temporary, PASSWORD, passwords=CHEAP_PASSWORDS)
    client.post("/login", data={"name": "ada", "password": PASSWORD})
    response = client.post(
        "/users/lockouts/lift", headers=HTML, data={"address": "10.1.1.1", "user": "olga"}
    )
    assert response.status_code == 404
    assert "no lock-out of &#39;olga&#39; from 10.1.1.1" in response.text
