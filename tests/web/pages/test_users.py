"""Account pages: a refused password change is the 403 the API gives, the page shown again."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Call, Principal
from custos.permissions import Role
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, call_of

HTML = {"Accept": "text/html"}
PASSWORD = "a quiet river at dusk"


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
