"""The register of device inspections in headless Chromium over real HTTP: an investigator
records an inspection inside a state of emergency (a refusal keeps what was typed), stores
what was copied, prints the person's receipt; anyone checks the receipt on the public page.
Screenshots kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from custos.cases import service as cases
from custos.permissions import Role
from custos.retention import emergency
from helpers import INVESTIGATOR, ServedCustos, call_of, own_account

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "devices"
PASSWORD = "a long browser password"

pytestmark = pytest.mark.browser


def test_an_inspection_is_recorded_and_its_receipt_checked_by_anyone(
    tmp_path: Path, browser: Browser
) -> None:
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        own_account(call_of(session, runtime.clock), "ivan", Role.INVESTIGATOR, PASSWORD)
        ivan = call_of(session, runtime.clock, INVESTIGATOR)
        case = cases.open_case(ivan, "12/2026-0990", "cpc-kz-199", "unrest on the square")
        cases.add_person(ivan, case.reference, "P1")
        emergency.declare(
            call_of(session, runtime.clock), regions=["Almaty"],
            start=runtime.clock.now() - timedelta(days=2), end=None,
            decree_ref="Decree No. 12 of the President",
        )  # fmt: skip
    server.start()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        context = browser.new_context(viewport={"width": 1200, "height": 1100})
        page = context.new_page()
        page.goto(f"{server.url}/login?next=/device-inspections")
        page.fill('input[name="name"]', "ivan")
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        form = page.locator("#new-inspection")
        form.wait_for()
        at = (runtime.clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        form.locator("[name=legal_basis]").fill("Law on the state of emergency, art. 13")
        form.locator("[name=officer]").fill("Lt. A. Serikov, badge 4411")
        form.locator("[name=inspected_at]").fill(at)
        form.locator("[name=region]").fill("Astana")
        form.locator("[name=place]").fill("checkpoint on Al-Farabi Avenue")
        form.locator("[name=device]").fill("black Samsung phone")
        form.locator("[name=examined][value=messages]").check()
        form.locator("[name=examined][value=photos]").check()
        form.locator("[name=copied][value=photos]").check()
        form.locator("[name=person]").fill("P1")
        page.click("#inspection-save")
        page.wait_for_selector("#new-inspection .field-error")
        assert "covers Almaty, not Astana" in page.inner_text("#new-inspection")
        assert page.input_value("#new-inspection [name=device]") == "black Samsung phone"
        assert page.is_checked("#new-inspection [name=copied][value=photos]")
        page.screenshot(path=str(ARTIFACTS / "1-refused.png"), full_page=True)
        page.fill("#new-inspection [name=region]", "Almaty")
        page.click("#inspection-save")
        page.wait_for_selector("#receipt")
        assert "black Samsung phone" in page.inner_text("#record")
        photo = tmp_path / "photo.jpg"
        photo.write_bytes(b"\xff\xd8 a photo as copied from the phone")
        page.set_input_files("#copy-form [name=data]", str(photo))
        page.click("#copy-save")
        page.wait_for_selector("#copies tr[data-copy]")
        assert "sealed" in page.inner_text("#copies")
        assert "Kept sealed until" in page.inner_text("#kept-until")
        page.screenshot(path=str(ARTIFACTS / "2-recorded.png"), full_page=True)
        page.click("#print-receipt")
        page.wait_for_selector("#receipt-check")
        check = page.get_attribute("#receipt-check", "href") or ""
        page.screenshot(path=str(ARTIFACTS / "3-receipt.png"), full_page=True)

        anyone = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        anyone.goto(f"{server.url}{check}")
        result = anyone.locator("#receipt-result")
        assert result.get_attribute("data-registered") == "yes"
        assert "Registered" in result.inner_text()
        assert "Samsung" not in anyone.inner_text("main")
        anyone.screenshot(path=str(ARTIFACTS / "4-checked.png"), full_page=True)
        anyone.fill("#receipt-form [name=leaf]", "A" * 43)
        anyone.click("#receipt-form button")
        anyone.wait_for_selector('#receipt-result[data-registered="no"]')
        anyone.screenshot(path=str(ARTIFACTS / "5-not-found.png"), full_page=True)
    finally:
        server.stop()
