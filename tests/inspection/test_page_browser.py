"""The inspection page in headless Chromium over real HTTP: a DPO signs in with the second
factor and sees the findings, gravest first, with the signed report to download."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from custos.permissions import Role
from helpers import (
    ServedCustos,
    call_of,
    own_account,
    register_camera,
    signed_in_with_code,
    withdraw_zone_statements,
)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "inspection"
PASSWORD = "a long browser password"

pytestmark = pytest.mark.browser


def test_a_dpo_reads_the_findings_and_fetches_the_signed_report(
    tmp_path: Path, browser: Browser
) -> None:
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        seed = own_account(
            call_of(session, runtime.clock), "dana", Role.DPO, PASSWORD, runtime.sealer
        )
    assert seed is not None
    register_camera(runtime, "school-1", "rtsp://school.example/1", tags=["school"])
    with runtime.sessions() as session:
        withdraw_zone_statements(session)
    server.start()
    try:
        page = signed_in_with_code(
            browser, server.url, "dana", PASSWORD, seed, "/inspection",
            viewport={"width": 1200, "height": 900},
        )  # fmt: skip
        page.wait_for_selector("#findings")
        row = page.locator("#findings tr[data-rule='sensitive_without_zones']")
        assert "school-1" in row.inner_text()
        assert page.locator("#findings tr[data-rule='no_witness']").count() == 1
        with page.expect_download() as download:
            page.click("#report-pdf")
        assert download.value.suggested_filename.endswith(".pdf")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "inspection.png"), full_page=True)
        page.click("#languages a[hreflang='kk']")
        page.wait_for_selector("#findings")
        assert page.inner_text("h1") != "Compliance inspection"
        page.screenshot(path=str(ARTIFACTS / "inspection-kk.png"), full_page=True)
    finally:
        server.stop()
