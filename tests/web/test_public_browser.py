"""The public pages in headless Chromium, without signing in: the camera register with its map
and the readable policy; screenshots kept."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from custos.access import service as access
from custos.access.policy import Window
from custos.audit import checkpoint as checkpoints
from custos.cases import service as cases
from custos.context import Actor
from helpers import ServedCustos, call_of, investigator, register_camera

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "public"

pytestmark = pytest.mark.browser

CAMERAS = (
    ("plaza-north", 43.2380, 76.9457, [], "Public order on Republic Square"),
    ("school-gate", 43.2567, 76.9286, ["school"], "Road safety at the school crossing"),
    ("market-east", 43.2650, 76.9550, [], "Theft at the market"),
    ("ministry-lobby", 43.2290, 76.9100, [], "Protection of a state building"),
)


def test_anyone_reads_the_register_with_its_map_and_the_policy(
    tmp_path: Path, browser: Browser
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = ServedCustos(tmp_path / "data")
    for name, lat, lon, tags, purpose in CAMERAS:
        register_camera(
            server.runtime, name, f"rtsp://{name}.example/1", latitude=lat, longitude=lon,
            tags=tags, purpose=purpose, operator_org="City Public Safety Centre",
            signage="Signs at every entrance",
        )  # fmt: skip
    runtime = server.runtime
    with runtime.sessions() as session:  # a little activity for the figures, and a checkpoint
        ivan = call_of(session, runtime.clock, investigator("ivan"))
        case = cases.open_case(ivan, "12/2026-0500", "cpc-kz-199", "a theft at the market")
        cases.add_person(ivan, case.reference, "P1")
        now = runtime.clock.now()
        for minutes in (60, 30):
            asked = access.file_request(
                ivan, case_id=case.id, persons=["P1"], purpose="p", justification="j",
                windows=[Window("market-east", now - timedelta(minutes=minutes), now)],
                identification=False,
            )  # fmt: skip
            access.approve(call_of(session, runtime.clock, Actor("anna", "approver")), asked.id)
        signer = checkpoints.log_signer(session, runtime.log_key)
        checkpoints.sign_checkpoint(session, runtime.clock, signer)
    server.start()
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{server.url}/register")
        assert page.locator("#register tr[data-camera]").count() == len(CAMERAS)
        assert page.locator("#register-map .camera-dot").count() == len(CAMERAS)
        school = page.locator("#register-map .camera-dot[data-camera='school-gate'] circle")
        assert school.get_attribute("fill") == "#c0392b"  # a sensitive site
        assert "0 for national security" in page.inner_text("#withheld")
        assert page.locator("header.top .who").count() == 0  # nobody signed in
        page.screenshot(path=str(ARTIFACTS / "1-register.png"), full_page=True)
        page.goto(f"{server.url}/policy")
        assert "2,557 days (7 years)" in page.inner_text("#policy-retention")
        assert page.locator("#policy-grounds tr").count() == 4  # the heading and three grounds
        page.screenshot(path=str(ARTIFACTS / "2-policy.png"), full_page=True)
        page.goto(f"{server.url}/transparency/")
        assert "size" in page.inner_text("#computed-at")
        hours = page.locator("#chart-hours_granted td[data-figure='hours_granted']")
        assert hours.first.inner_text() == "1.5"
        assert (
            page.locator("#chart-requests td[data-figure='requests']").first.inner_text() == "< 5"
        )
        page.screenshot(path=str(ARTIFACTS / "3-transparency.png"), full_page=True)
    finally:
        server.stop()
