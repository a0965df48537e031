"""Exporting in headless Chromium over real HTTP: the investigator exports a bookmarked range
to the prosecutor from the review page, the link downloads once and then refuses, the case
page lists the export, and the auditor reads the disclosure. Screenshots are kept in
tests/artifacts/exports/."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from custos.access import service as access
from custos.access.policy import Window
from custos.cases import service as cases
from custos.context import Actor
from custos.exports import service as exports
from custos.exports.policy import RecipientRole
from custos.permissions import Role
from custos.recording.media import SegmentFile
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from helpers import ServedCustos, call_of, investigator, own_account, register_camera

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "exports"
PASSWORD = "a long browser password"
PEOPLE = {"ivan": Role.INVESTIGATOR, "anna": Role.APPROVER, "otto": Role.AUDITOR}

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path, two_people: SegmentFile) -> Iterator[tuple[ServedCustos, int, int]]:
    """A served Custos: footage of two people, Ivan's grant over it that allows export, a
    bookmark he left at its fourth second, and a prosecutor on the recipients list."""
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        for name, role in PEOPLE.items():
            own_account(call_of(session, runtime.clock), name, role, PASSWORD, runtime.sealer)
    camera_id = register_camera(runtime, "hall", "rtsp://hall.example/live")
    filmed = runtime.clock.now().replace(microsecond=0) - timedelta(minutes=10)
    writer = SegmentWriter(
        runtime.sessions,
        runtime.clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )
    feed = CameraFeed(camera_id, "hall", "rtsp://x/y", False, 10, "Almaty")
    for index in range(3):
        writer.store(feed, two_people, filmed + timedelta(seconds=2 * index))
    with runtime.sessions() as session:
        ivan = call_of(session, runtime.clock, investigator("ivan"))
        case = cases.open_case(ivan, "12/2026-0460", "cpc-kz-199", "a fight in the hall")
        cases.add_person(ivan, case.reference, "P1")
        filed = access.file_request(
            ivan,
            case_id=case.id,
            windows=[Window("hall", filmed, filmed + timedelta(seconds=6))],
            persons=["P1"],
            purpose="the prosecutor asks for the footage",
            justification="P1 is seen striking",
            identification=False,
            export=True,
        )
        anna = call_of(session, runtime.clock, Actor("anna", "approver"))
        grant = access.approve(anna, filed.id)
        access.add_bookmark(ivan, grant.id, grant.windows[0].id, 4.0, "the blow")
        exports.add_recipient(
            call_of(session, runtime.clock),
            name="Prosecutor B. Nurlanov",
            organisation="Almaty City Prosecutor's Office",
            role=RecipientRole.PROSECUTOR,
        )
        grant_id, case_id = grant.id, case.id
    server.start()
    yield server, grant_id, case_id
    server.stop()


def _sign_in(browser: Browser, url: str, name: str, seed: str | None = None) -> Page:
    page = browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
    page.goto(f"{url}/login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_selector("header.top .who")
    return page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_bookmarked_range_is_exported_to_the_prosecutor_and_downloaded_once(
    served: tuple[ServedCustos, int, int], browser: Browser
) -> None:
    server, grant_id, case_id = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ivan = _sign_in(browser, server.url, "ivan")
    ivan.goto(f"{server.url}/grants/{grant_id}/review")
    panel = ivan.locator("#export-panel")
    panel.locator("#export-bookmarks label", has_text="the blow").locator("input").check()
    panel.locator("#export-recipient").select_option(index=1)
    _shot(ivan, "1-export-form")
    ivan.click("#export")
    ivan.wait_for_selector("#export-link")
    link = ivan.input_value("#link")
    assert "/exports/download/exp_" in link
    assert "Prosecutor B. Nurlanov" in ivan.inner_text("main")
    _shot(ivan, "2-export-recorded")

    ivan.goto(f"{server.url}/cases/{case_id}")
    row = ivan.locator("#exports tr[data-export]")
    deadline = time.monotonic() + 120
    while "ready" not in row.inner_text():
        if time.monotonic() > deadline or "failed" in row.inner_text():
            pytest.fail("the package was not made: " + row.inner_text())
        time.sleep(0.5)
        ivan.reload()
    assert "Prosecutor B. Nurlanov" in row.inner_text()
    assert "1 download(s) left" in row.inner_text()
    _shot(ivan, "3-case-exports")

    prosecutor = browser.new_context().new_page()  # no account, only the link
    first = prosecutor.request.get(link)
    assert first.status == 200
    with zipfile.ZipFile(io.BytesIO(first.body())) as archive:
        names = archive.namelist()
    assert any(name.endswith("/manifest.json") for name in names)
    assert any("/video/01-hall-" in name for name in names)
    again = prosecutor.request.get(link)
    assert again.status == 409
    assert "used as many times" in again.text()

    # The prosecutor lost the file: Ivan gives a new link from the case page, then revokes it.
    ivan.goto(f"{server.url}/cases/{case_id}")
    manage = ivan.locator("#exports tr[data-export] details.manage-export")
    manage.locator("summary").click()
    manage.locator(".renew-link input[name=downloads]").fill("2")
    _shot(ivan, "4-case-manage-export")
    manage.locator(".renew-link button").click()
    ivan.wait_for_selector("#export-link")
    assert "A new link for export" in ivan.inner_text("h1")
    renewed = ivan.input_value("#link")
    assert renewed != link
    assert prosecutor.request.get(link).status == 404  # the first link no longer works
    ivan.goto(f"{server.url}/cases/{case_id}")
    manage.locator("summary").click()
    manage.locator(".revoke-export button").click()  # no reason: refused, nothing lost
    assert ivan.locator(".revoke-export input[name=reason]:invalid").count() == 1
    manage.locator(".revoke-export input[name=reason]").fill("sent to the wrong office")
    manage.locator(".revoke-export button").click()
    ivan.wait_for_url(f"**/cases/{case_id}#exports")
    assert "revoked: sent to the wrong office" in ivan.inner_text("#exports")
    assert ivan.locator("details.manage-export").count() == 0
    _shot(ivan, "5-case-export-revoked")
    refused = prosecutor.request.get(renewed)
    assert refused.status == 409
    assert "revoked" in refused.text()

    otto = _sign_in(browser, server.url, "otto")
    otto.goto(f"{server.url}/audit?action=disclose")
    log = otto.inner_text("main")
    assert "export.created" in log
    assert "export.downloaded" in log
    assert "Prosecutor B. Nurlanov" in log
    _shot(otto, "6-audit-disclosures")
