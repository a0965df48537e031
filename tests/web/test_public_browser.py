"""The public pages in headless Chromium, without signing in: the camera register with its map
and the readable policy, in English, Kazakh and Russian; screenshots kept."""

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
        # In Kazakh, chosen from the switcher and kept for the pages that follow; in Russian,
        # from the browser's own languages.
        page.click("#languages a[hreflang='kk']")
        assert page.locator("html").get_attribute("lang") == "kk"
        assert "Ашықтық" in page.inner_text("h1")
        page.goto(f"{server.url}/register")
        assert page.inner_text("h1") == "Камералардың жария тізілімі"
        assert page.locator("#register-map .camera-dot").count() == len(CAMERAS)
        assert "мектеп" in page.inner_text("#register tr[data-camera='school-gate']")
        assert "ұлттық қауіпсіздік: 0" in page.inner_text("#withheld")
        page.screenshot(path=str(ARTIFACTS / "4-register-kk.png"), full_page=True)
        russian = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="ru-RU", timezone_id="Asia/Almaty"
        ).new_page()
        russian.goto(f"{server.url}/register")
        assert russian.inner_text("h1") == "Публичный реестр камер"
        assert "30 дней" in russian.inner_text("#register tr[data-camera='plaza-north']")
        russian.screenshot(path=str(ARTIFACTS / "5-register-ru.png"), full_page=True)
        russian.goto(f"{server.url}/processing-record")
        stamp = russian.locator("time").first
        assert stamp.get_attribute("title", timeout=5000).endswith("Z")  # UTC on hover
        assert "UTC" not in stamp.inner_text()  # shown in the viewer's zone (Almaty)
        russian.screenshot(path=str(ARTIFACTS / "6-record-ru.png"), full_page=True)
    finally:
        server.stop()
