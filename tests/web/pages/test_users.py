"""Account pages: a refused password change is the 403 the API gives, the page shown again; a
locked-out account shows as such on the users page, and the admin lifts the lock-out there; an
account change near footage waits on the users page until a second person decides it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Call, Principal
from custos.errors import Unauthenticated
from custos.permissions import Role
from custos.runtime import Runtime
from custos.users import policy
from custos.users import service as users
from helpers import (
    CHEAP_PASSWORDS,
    ServedCustos,
    audit_events,
    call_of,
    own_account,
    page_client,
    sign_in_page,
)

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


def test_disabling_oneself_is_409_in_the_row(
    call: Call, client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    secret = own_account(call, "ada", Role.ADMIN, PASSWORD, runtime.sealer)
    sign_in_page(client, "ada", PASSWORD, clock, secret)
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
    call: Call, client: TestClient, db: Session, clock: FrozenClock, runtime: Runtime
) -> None:
    secret = own_account(call, "ada", Role.ADMIN, PASSWORD, runtime.sealer)
    users.create_user(call, name="olga", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS)
    _fail_sign_ins(db, clock, "olga", "198.51.100.7", policy.ACCOUNT_FAILURES)
    for i in range(policy.ADDRESS_FAILURES):
        _fail_sign_ins(db, clock, f"guess{i}", "203.0.113.9", 1)
    until = (clock.now() + policy.LOCKOUT).isoformat()
    sign_in_page(client, "ada", PASSWORD, clock, secret)

    page = client.get("/users", headers=HTML)
    assert page.status_code == 200
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
    call: Call, client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    secret = own_account(call, "ada", Role.ADMIN, PASSWORD, runtime.sealer)
    sign_in_page(client, "ada", PASSWORD, clock, secret)
    response = client.post(
        "/users/lockouts/lift", headers=HTML, data={"address": "10.1.1.1", "user": "olga"}
    )
    assert response.status_code == 404
    assert "no lock-out of &#39;olga&#39; from 10.1.1.1" in response.text


# --- account changes that wait for a second person ------------------------------------------


@pytest.fixture
def signed_in(
    app: FastAPI, call: Call, runtime: Runtime, clock: FrozenClock
) -> Iterator[Callable[[str, Role], TestClient]]:
    """Browsers of people who hold an account of their own (and its authenticator), each
    signed in."""
    opened: list[TestClient] = []

    def _open(name: str, role: Role) -> TestClient:
        secret = own_account(call, name, role, PASSWORD, runtime.sealer)
        client = page_client(app)
        opened.append(client.__enter__())
        assert sign_in_page(client, name, PASSWORD, clock, secret).status_code == 303
        return client

    yield _open
    for client in opened:
        client.__exit__(None, None, None)


def _row(page: str, request_id: int) -> str:
    row = re.search(rf'<tr data-request="{request_id}">.*?</tr>', page, re.S)
    assert row, page
    return row[0]


def test_the_asker_sees_the_change_waiting_and_another_admin_confirms_it(
    signed_in: Callable[[str, Role], TestClient], db: Session
) -> None:
    ada, bea = signed_in("ada", Role.ADMIN), signed_in("bea", Role.ADMIN)
    asked = ada.post(
        "/users", headers=HTML, data={"name": "ivan", "role": "investigator", "display_name": "I"}
    )
    assert asked.status_code == 202
    assert 'id="filed"' in asked.text
    assert "One-time password" not in asked.text
    [waiting] = users.list_requests(db)
    row = _row(asked.text, waiting.id)
    assert "a new account with the investigator role" in row
    assert "ada (you)" in row
    assert 'data-waiting="' in row
    assert "/confirm" not in row
    assert "you asked for this change" in row
    # The asker's own try to confirm is refused, on the page as in the API.
    refused = ada.post(f"/users/requests/{waiting.id}/confirm", headers=HTML)
    assert refused.status_code == 403
    assert "you asked for this change" in refused.text

    theirs = bea.get("/users", headers=HTML).text
    row = _row(theirs, waiting.id)
    assert f'action="/users/requests/{waiting.id}/confirm"' in row
    assert f'action="/users/requests/{waiting.id}/refuse"' in row
    assert f'<time datetime="{waiting.asked_at.isoformat()}">' in row
    confirmed = bea.post(f"/users/requests/{waiting.id}/confirm", headers=HTML)
    assert confirmed.status_code == 200
    password = re.search(r'<p class="secret mono">(\S+)</p>', confirmed.text)
    assert password, confirmed.text
    assert "One-time password for <strong>ivan</strong>" in confirmed.text
    after = ada.get("/users", headers=HTML).text
    assert password[1] not in after
    assert "No account change is waiting." in after
    assert 'data-user="ivan"' in after


def test_the_dpo_refuses_on_the_users_page_and_a_refusal_without_a_reason_keeps_the_form(
    signed_in: Callable[[str, Role], TestClient], db: Session, call: Call
) -> None:
    ada, dora = signed_in("ada", Role.ADMIN), signed_in("dora", Role.DPO)
    users.create_user(call, name="sam", role=Role.AUDITOR, passwords=CHEAP_PASSWORDS)
    moved = ada.post("/users/sam/role", headers=HTML, data={"role": "approver"})
    assert (moved.status_code, moved.headers["location"]) == (303, "/users#account-requests")
    [waiting] = users.list_requests(db)
    assert users.get_user(db, "sam").role is Role.AUDITOR
    page = dora.get("/users", headers=HTML)
    assert page.status_code == 200
    assert "the approver role, in place of auditor" in _row(page.text, waiting.id)
    assert 'data-change-waiting="sam"' in page.text
    # The DPO decides; managing accounts stays the admins'.
    assert "Add a user" not in page.text
    assert 'action="/users/sam/disable"' not in page.text
    too_long = "x" * 1001
    refused = dora.post(
        f"/users/requests/{waiting.id}/refuse", headers=HTML, data={"reason": too_long}
    )
    assert refused.status_code == 422
    assert f'value="{too_long}"' in _row(refused.text, waiting.id)
    assert f'id="request:{waiting.id}-reason-error"' in refused.text
    done = dora.post(
        f"/users/requests/{waiting.id}/refuse", headers=HTML, data={"reason": "not agreed"}
    )
    assert done.status_code == 303
    db.expire_all()
    assert users.get_request(db, waiting.id).refusal_reason == "not agreed"
    assert users.get_user(db, "sam").role is Role.AUDITOR


def test_the_holder_is_told_at_sign_in_who_reset_the_password(
    app: FastAPI, signed_in: Callable[[str, Role], TestClient], db: Session, call: Call
) -> None:
    ada, dora = signed_in("ada", Role.ADMIN), signed_in("dora", Role.DPO)
    ivan = signed_in("ivan", Role.INVESTIGATOR)
    assert ada.post("/users/ivan/reset-password", headers=HTML).status_code == 303
    assert ivan.get("/account", headers=HTML).status_code == 200  # waiting: nothing changed
    [waiting] = users.list_requests(db)
    confirmed = dora.post(f"/users/requests/{waiting.id}/confirm", headers=HTML)
    password = re.search(r'<p class="secret mono">(\S+)</p>', confirmed.text)
    assert password
    assert ivan.get("/account", headers=HTML).status_code == 401  # the old session ended
    with page_client(app) as again:
        signed = again.post("/login", data={"name": "ivan", "password": password[1]})
        assert signed.headers["location"] == "/account"
        account = again.get("/account", headers=HTML).text
    told = re.search(r'<p class="notice card" role="status" id="password-reset">.*?</p>', account)
    assert told, account
    assert "asked by ada (admin), confirmed by dora (dpo)" in told[0]
    assert "<time datetime=" in told[0]


@pytest.mark.browser
def test_in_the_browser_one_admin_asks_and_another_confirms(
    tmp_path: Path, browser: Browser
) -> None:
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        call = call_of(session, runtime.clock)
        for name in ("ada", "bea"):
            user, temporary = users.create_user(
                call, name=name, role=Role.ADMIN, passwords=CHEAP_PASSWORDS
            )
            assert temporary is not None
            principal = Principal(user.id, name, Role.ADMIN, "session")
            users.change_own_password(
                call, principal, temporary, PASSWORD, passwords=CHEAP_PASSWORDS
            )
    server.start()

    def _signed_in(name: str) -> Page:
        page = browser.new_context(timezone_id="Asia/Almaty").new_page()
        page.goto(f"{server.url}/login?next=/users")
        page.fill('input[name="name"]', name)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        # The first sign-in sets up the authenticator: scan the code, or type the key shown.
        page.wait_for_selector("#enrol-form")
        assert page.locator("#qr svg").is_visible()
        key = page.locator("#secret").inner_text().replace(" ", "")
        page.fill('input[name="code"]', pyotp.TOTP(key).now())
        page.click('#enrol-form button[type="submit"]')
        page.wait_for_selector("#user-form")
        return page

    try:
        ada = _signed_in("ada")
        form = ada.locator("#user-form")
        form.locator('input[name="name"]').fill("ivan")
        form.locator('input[name="display_name"]').fill("Ivan Petrov")
        form.locator('select[name="role"]').select_option("investigator")
        form.locator('button[type="submit"]').click()
        ada.wait_for_selector("#filed")
        row = ada.locator("tr[data-request]")
        assert "waiting for a second person" in row.inner_text()
        assert row.locator("form.confirm").count() == 0
        assert ada.locator(".secret").count() == 0
        # The time asked is shown in the viewer's zone; the UTC text is only the fallback.
        assert "UTC" not in row.locator("time").inner_text()
        ada.screenshot(path=str(tmp_path / "asked.png"), full_page=True)

        bea = _signed_in("bea")
        row = bea.locator("tr[data-request]")
        assert "a new account with the investigator role" in row.inner_text()
        assert "ada" in row.inner_text()
        row.locator("form.confirm button").click()
        bea.wait_for_selector("#issued")
        password = bea.locator("#issued .secret").inner_text()
        assert len(password) == 20
        assert bea.locator('tr[data-user="ivan"]').count() == 1
        bea.screenshot(path=str(tmp_path / "confirmed.png"), full_page=True)

        ada.reload()
        assert password not in ada.content()
        assert ada.locator('tr[data-user="ivan"]').count() == 1
        assert "No account change is waiting." in ada.locator("#account-requests").inner_text()
        print(f"screenshots: {tmp_path / 'asked.png'}, {tmp_path / 'confirmed.png'}")
    finally:
        server.stop()
