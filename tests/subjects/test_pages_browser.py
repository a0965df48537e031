"""Requests of the people filmed in headless Chromium over real HTTP: the DPO records one (a
refusal keeps what was typed), sees when it is due, answers it, opens its case for an
investigator; in Kazakh too. Screenshots kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from custos.permissions import Role
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, ServedCustos, call_of, own_account, signed_in_with_code

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "subjects"
PASSWORD = "a long browser password"

pytestmark = pytest.mark.browser


def test_a_dpo_records_a_persons_request_and_answers_it(tmp_path: Path, browser: Browser) -> None:
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        seed = own_account(
            call_of(session, runtime.clock), "dana", Role.DPO, PASSWORD, runtime.sealer
        )
        users.create_user(
            call_of(session, runtime.clock), name="ivan", role=Role.INVESTIGATOR,
            passwords=CHEAP_PASSWORDS,
        )  # fmt: skip
    assert seed is not None
    server.start()
    try:
        page = signed_in_with_code(
            browser, server.url, "dana", PASSWORD, seed, "/subject-requests",
            viewport={"width": 1200, "height": 1000}, timezone_id="Asia/Almaty",
        )  # fmt: skip
        form = page.locator("#new-request")
        form.wait_for()
        now = runtime.clock.now()
        form.locator("[name=received_at]").fill(
            (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        )
        form.locator("[name=channel]").select_option("letter")
        form.locator("[name=identity_check]").fill("notarised copy of the ID card")
        form.locator("[name=times_and_places]").fill("the market gate, 30 November, about noon")
        form.locator("[name=contact]").fill("the return address of the letter")
        page.click("#request-save")
        page.wait_for_selector("#new-request .field-error")
        assert page.input_value("#new-request [name=times_and_places]") == (
            "the market gate, 30 November, about noon"
        )
        assert page.input_value("#new-request [name=channel]") == "letter"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "1-refused.png"), full_page=True)
        earlier = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        page.locator("#new-request [name=received_at]").fill(earlier)
        page.click("#request-save")
        page.wait_for_selector("#deadline")
        assert "must be told what is held by" in page.inner_text("#deadline")
        page.screenshot(path=str(ARTIFACTS / "2-received.png"), full_page=True)
        page.fill(
            "#decide-form [name=answer]", "footage of one camera, 12:00-12:10, kept to 30 December"
        )
        page.click("#answer-button")
        page.wait_for_selector("#answer")
        assert "kept to 30 December" in page.inner_text("#answer")
        # The footage goes out through a case the officer opens for an investigator.
        page.select_option("#assign-form [name=investigator]", "ivan")
        page.fill("#assign-form [name=reason]", "on duty for requests this week")
        page.click("#assign-button")
        page.wait_for_selector("#case")
        assert "by dana for ivan, who asks for these times and places" in page.inner_text("#case")
        assert "No access request yet." in page.inner_text("#footage-steps")
        assert page.locator("#assign-form").count() == 0
        page.screenshot(path=str(ARTIFACTS / "3-assigned.png"), full_page=True)
        page.click("#languages a[hreflang='kk']")
        page.wait_for_selector("#answer")
        assert page.inner_text("h1").startswith("Сұрау DSR-")
        page.screenshot(path=str(ARTIFACTS / "4-answered-kk.png"), full_page=True)
    finally:
        server.stop()
