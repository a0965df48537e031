"""Forms in headless Chromium: a refused one keeps what was typed, the reason right under the
field it concerns; a hold is placed from the case picker and kept until a new date; members
of a case are added and removed on its page. The screenshots are kept in the test's folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser

from custos.cases import service as cases
from custos.context import Principal
from custos.permissions import Role
from custos.retention import holds
from custos.users import service as users
from helpers import (
    CHEAP_PASSWORDS,
    INVESTIGATOR,
    ServedCustos,
    call_of,
    own_account,
    register_camera,
)

PASSWORD = "a long browser password"
FORM = "%Y-%m-%dT%H:%M:%S"

TRANSLATED = Path(__file__).resolve().parents[2] / "artifacts" / "pages"

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedCustos]:
    """A served Custos with an operator and the camera plaza-north."""
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        _, temporary = users.create_user(
            call_of(session, runtime.clock),
            name="olga",
            role=Role.OPERATOR,
            passwords=CHEAP_PASSWORDS,
        )
        assert temporary is not None
        user = users.get_user(session, "olga")
        principal = Principal(user.id, "olga", Role.OPERATOR, via="session")
        users.change_own_password(
            call_of(session, runtime.clock),
            principal,
            temporary,
            PASSWORD,
            passwords=CHEAP_PASSWORDS,
        )
    register_camera(runtime, "plaza-north", "rtsp://plaza.example/live")
    server.start()
    yield server
    server.stop()


def test_a_refused_incident_form_in_the_browser(
    served: ServedCustos, browser: Browser, tmp_path: Path
) -> None:
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.goto(f"{served.url}/login?next=/incidents")
    page.fill('input[name="name"]', "olga")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("#incident-form")

    # Not on a whole minute: a time input drops ':00' seconds from the value it gives back.
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    start, end = (
        (now - timedelta(hours=1)).strftime(FORM),
        (now - timedelta(minutes=50)).strftime(FORM),
    )
    form = page.locator("#incident-form")
    form.locator('input[name="cameras"]').fill("plaza-nort")
    form.locator('input[name="start"]').fill(start)
    form.locator('input[name="end"]').fill(end)
    form.locator('input[name="reference"]').fill("CC-KZ art. 293")
    form.locator('textarea[name="description"]').fill("A fight at the fountain")
    form.locator('textarea[name="justification"]').fill("Evidence for the prosecutor")
    form.locator('input[name="offence"]').check()
    form.locator('button[type="submit"]').click()
    page.wait_for_selector("#incident-cameras-error")
    page.screenshot(path=str(tmp_path / "refused-incident.png"), full_page=True)

    form = page.locator("#incident-form")
    assert form.locator('input[name="cameras"]').input_value() == "plaza-nort"
    assert form.locator('input[name="start"]').input_value() == start
    assert form.locator('input[name="end"]').input_value() == end
    assert form.locator('input[name="reference"]').input_value() == "CC-KZ art. 293"
    assert form.locator('textarea[name="description"]').input_value() == "A fight at the fountain"
    assert form.locator('input[name="offence"]').is_checked()
    error = page.locator("#incident-cameras-error")
    assert error.inner_text() == "no camera named 'plaza-nort'"
    # Beside its field: just under the cameras input, flush with its left edge, and in red.
    field = form.locator('input[name="cameras"]').bounding_box()
    shown = error.bounding_box()
    assert field is not None
    assert shown is not None
    assert 0 <= shown["y"] - (field["y"] + field["height"]) < 12
    assert abs(shown["x"] - field["x"]) < 4
    assert error.evaluate("e => getComputedStyle(e).color") == "rgb(179, 38, 30)"
    print(f"screenshot: {tmp_path / 'refused-incident.png'}")


def test_a_hold_is_placed_from_the_case_picker_and_kept_until_a_new_date(
    tmp_path: Path, browser: Browser
) -> None:
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        call = call_of(session, runtime.clock)
        seed = own_account(call, "aida", Role.APPROVER, PASSWORD, runtime.sealer)
        assert seed is not None
        cases.open_case(
            call_of(session, runtime.clock, INVESTIGATOR),
            "12/2026-0457",
            "cpc-kz-199",
            "robbery at the plaza",
        )
    register_camera(runtime, "plaza-north", "rtsp://plaza.example/live")
    server.start()
    try:
        context = browser.new_context(timezone_id="Asia/Almaty")
        page = context.new_page()
        page.goto(f"{server.url}/login?next=/holds")
        page.fill('input[name="name"]', "aida")
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.fill('#code-form input[name="code"]', pyotp.TOTP(seed).now())
        page.click('#code-form button[type="submit"]')
        page.wait_for_selector("#hold-form")
        now = datetime.now(UTC).replace(microsecond=0)
        form = page.locator("#hold-form")
        form.locator('select[name="case_ref"]').select_option("12/2026-0457")
        form.locator('input[name="camera"]').fill("plaza-north")
        form.locator('input[name="start"]').fill((now - timedelta(hours=2)).strftime(FORM))
        form.locator('input[name="end"]').fill((now - timedelta(hours=1)).strftime(FORM))
        form.locator('textarea[name="reason"]').fill("trial next month")
        form.locator('button[type="submit"]').click()
        row = page.locator("tr[data-hold]")
        row.wait_for()
        assert row.locator("[data-camera]").first.inner_text().startswith("plaza-north: ")
        # Times are shown in the viewer's zone (Almaty), the UTC text is only the fallback.
        assert "UTC" not in row.locator("time").first.inner_text()

        keep_until = (now + timedelta(days=100)).strftime(FORM)
        row.locator('input[name="keep_until"]').fill(keep_until)
        row.locator('form.review input[name="reason"]').fill("the trial was postponed")
        row.locator('form.review button[type="submit"]').click()
        page.wait_for_load_state()
        page.screenshot(path=str(tmp_path / "holds.png"), full_page=True)
        with runtime.sessions() as session:
            [hold] = holds.list_holds(session)
            assert hold.review_due == datetime.fromisoformat(keep_until).replace(tzinfo=UTC)
    finally:
        server.stop()


def test_members_are_added_and_removed_on_the_case_page(tmp_path: Path, browser: Browser) -> None:
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        call = call_of(session, runtime.clock)
        for name in ("ivan", "olga"):
            _, temporary = users.create_user(
                call, name=name, role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS
            )
            assert temporary is not None
            user = users.get_user(session, name)
            principal = Principal(user.id, name, Role.INVESTIGATOR, via="session")
            users.change_own_password(
                call, principal, temporary, PASSWORD, passwords=CHEAP_PASSWORDS
            )
        case_id = cases.open_case(
            call_of(session, runtime.clock, INVESTIGATOR), "12/2026-0457", "cpc-kz-199", "a theft"
        ).id
    server.start()
    try:
        page = browser.new_context(timezone_id="Asia/Almaty").new_page()
        page.goto(f"{server.url}/login?next=/cases/{case_id}")
        page.fill('input[name="name"]', "ivan")
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        form = page.locator("#member-form")
        form.wait_for()
        # A reason of blanks passes the browser's check, not the server's: the choice and the
        # reason stay as they were, the message beside the reason.
        form.locator('select[name="name"]').select_option("olga")
        form.locator('input[name="reason"]').fill("   ")
        form.locator('button[type="submit"]').click()
        page.wait_for_selector("#member-reason-error")
        form = page.locator("#member-form")
        assert form.locator('select[name="name"]').input_value() == "olga"
        assert form.locator('input[name="reason"]').input_value() == "   "
        assert page.locator("#member-reason-error").inner_text() == "say why olga joins the case"
        field = form.locator('input[name="reason"]').bounding_box()
        shown = page.locator("#member-reason-error").bounding_box()
        assert field is not None
        assert shown is not None
        assert 0 <= shown["y"] - (field["y"] + field["height"]) < 12

        form.locator('input[name="reason"]').fill("she interviewed the witness")
        form.locator('button[type="submit"]').click()
        row = page.locator('tr[data-member="olga"]')
        row.wait_for()
        assert "she interviewed the witness" in row.inner_text()
        assert "UTC" not in row.locator("time").inner_text()  # in the viewer's zone
        page.screenshot(path=str(tmp_path / "members.png"), full_page=True)

        row.locator('input[name="reason"]').fill("back to the traffic unit")
        row.locator('button[type="submit"]').click()
        page.locator('tr[data-former-member="olga"]').wait_for()
        assert page.locator('tr[data-member="olga"]').count() == 0
        assert (
            "back to the traffic unit" in page.locator('tr[data-former-member="olga"]').inner_text()
        )
        # ivan is the one member left: no form offers to remove him.
        assert page.locator('tr[data-member="ivan"] form').count() == 0
        # The same page in Russian, from the header's switch, and back on the same case.
        page.click("#languages a[hreflang='ru']")
        page.locator("#member-form").wait_for()
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.url.endswith(f"/cases/{case_id}")
        assert "Выйти" in page.inner_text("header.top")
        TRANSLATED.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(TRANSLATED / "case-ru.png"), full_page=True)
    finally:
        server.stop()
