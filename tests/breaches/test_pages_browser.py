"""The breach register in headless Chromium over real HTTP: a DPO records a breach (a refusal
keeps what was typed), reads the notice written from it and its due time, records the sending;
the register shows it, in English and Russian. Screenshots kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from custos.permissions import Role
from helpers import ServedCustos, call_of, own_account, signed_in_with_code

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "breaches"
PASSWORD = "a long browser password"

pytestmark = pytest.mark.browser


def test_a_dpo_records_a_breach_reads_its_notice_and_records_the_sending(
    tmp_path: Path, browser: Browser
) -> None:
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        seed = own_account(
            call_of(session, runtime.clock), "dana", Role.DPO, PASSWORD, runtime.sealer
        )
    assert seed is not None
    server.start()
    try:
        page = signed_in_with_code(
            browser, server.url, "dana", PASSWORD, seed, "/breaches",
            viewport={"width": 1200, "height": 1000}, timezone_id="Asia/Almaty",
        )  # fmt: skip
        form = page.locator("#new-breach")
        form.wait_for()
        now = runtime.clock.now()
        form.locator("[name=summary]").fill("an export link mailed to the wrong court")
        form.locator("[name=discovered_at]").fill(
            (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        )
        form.locator("[name=people_affected]").fill("2")
        form.locator("[name=categories][value=exports]").check()
        form.locator("[name=measures]").fill("the link revoked; a new one issued")
        page.click("#breach-save")
        page.wait_for_selector("#new-breach .field-error")
        assert "discovered before it is recorded" in page.inner_text("#new-breach")
        assert page.input_value("#new-breach [name=summary]") == (
            "an export link mailed to the wrong court"
        )
        assert page.locator("#new-breach [name=categories][value=exports]").is_checked()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "1-refused.png"), full_page=True)

        earlier = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        page.locator("#new-breach [name=discovered_at]").fill(earlier)
        page.click("#breach-save")
        page.wait_for_selector("#notice-body")
        assert "is due" in page.inner_text("#deadline")
        assert "UTC" not in page.inner_text("#deadline time")  # in the viewer's zone
        assert "an export link mailed to the wrong court" in page.inner_text("#notice-body")
        page.screenshot(path=str(ARTIFACTS / "2-recorded.png"), full_page=True)
        page.fill("#notified-form [name=channel]", "the authority's portal")
        page.fill("#notified-form [name=sent_reference]", "PD-2026-114")
        page.click("#notified-form button[type=submit]")
        page.wait_for_selector("#notified")
        assert "PD-2026-114" in page.inner_text("#notified")
        page.screenshot(path=str(ARTIFACTS / "3-notified.png"), full_page=True)
        page.click("#languages a[hreflang='ru']")
        page.wait_for_selector("#notice-body")
        assert page.inner_text("h1").startswith("Нарушение BR-")
        page.goto(f"{server.url}/breaches")
        row = page.locator("#breaches tr[data-breach]").first
        assert "уведомлено" in row.inner_text()
        page.screenshot(path=str(ARTIFACTS / "4-register-ru.png"), full_page=True)
    finally:
        server.stop()
