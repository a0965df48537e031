"""Impact assessments in headless Chromium over real HTTP: a DPO drafts one (a refusal keeps
what was typed), another DPO approves it, and the camera it covers is no longer uncovered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page

from custos.dpia.models import Assessment, AssessmentVersion
from custos.permissions import Role
from helpers import ServedCustos, call_of, own_account, register_camera, signed_in_with_code

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dpia"
PASSWORD = "a long browser password"
SEEDS: dict[str, str] = {}

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedCustos]:
    """Two DPOs with their authenticators, a draft camera, and no assessment at all."""
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        session.execute(sa.delete(AssessmentVersion))
        session.execute(sa.delete(Assessment))
        session.commit()
        for name in ("dana", "olga"):
            seed = own_account(
                call_of(session, runtime.clock), name, Role.DPO, PASSWORD, runtime.sealer
            )
            assert seed is not None
            SEEDS[name] = seed
    register_camera(runtime, "square-1", "rtsp://square.example/1", status="draft")
    server.start()
    yield server
    server.stop()


def _sign_in(browser: Browser, url: str, name: str) -> Page:
    page: Page = signed_in_with_code(
        browser, url, name, PASSWORD, SEEDS[name], viewport={"width": 1200, "height": 1000}
    )
    return page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


FIELDS = {
    "title": "Almaty squares",
    "description": "Cameras over the city's squares",
    "purposes": "Public order during mass events",
    "necessity": "Incidents at events; patrols alone proved insufficient",
    "risks": "Chilling effect on assemblies",
    "vulnerable_groups": "Children at events",
    "measures": "Masking by default; no face search; 30 days",
    "public_summary": "Square cameras, masked, 30 days",
}


def test_a_dpo_drafts_another_approves_and_the_camera_is_covered(
    served: ServedCustos, browser: Browser
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dana = _sign_in(browser, served.url, "dana")
    dana.goto(f"{served.url}/dpias")
    assert "square-1" in dana.inner_text("#uncovered")
    form = dana.locator("#new-dpia")
    for name, value in FIELDS.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=body]").first.fill("Almaty Ombudsman")
    form.locator("[name=answer]").first.fill("No objection")
    form.locator("[name=scope]").fill("region:Almaty")
    form.locator("[name=analytics][value=faces]").check()
    too_late = (served.runtime.clock.now() + timedelta(days=500)).date().isoformat()
    form.locator("[name=review_by]").fill(too_late)
    dana.click("#dpia-save")
    dana.wait_for_selector("#draft-error")
    assert "review it within 365 days" in dana.inner_text("#new-dpia")
    assert dana.input_value("#new-dpia [name=risks]") == FIELDS["risks"]  # nothing lost
    assert dana.input_value("#new-dpia [name=body] >> nth=0") == "Almaty Ombudsman"
    _shot(dana, "1-draft-refused")
    soon = (served.runtime.clock.now() + timedelta(days=200)).date().isoformat()
    dana.locator("#new-dpia [name=review_by]").fill(soon)
    dana.click("#dpia-save")
    dana.wait_for_url("**/dpias/DPIA-1")
    assert "No version is approved yet" in dana.inner_text("main")
    assert dana.locator(".approve-dpia").count() == 0  # not by its author
    _shot(dana, "2-drafted")

    olga = _sign_in(browser, served.url, "olga")
    olga.goto(f"{served.url}/dpias/DPIA-1")
    olga.click(".approve-dpia button")
    olga.wait_for_selector("#standing")
    assert olga.inner_text("#standing") == "current"
    assert "approved by olga" in olga.inner_text(".version[data-version='1']")
    _shot(olga, "3-approved")
    olga.goto(f"{served.url}/dpias")
    assert olga.locator("#uncovered").count() == 0
    row = olga.inner_text("#dpias tr[data-dpia='DPIA-1']")
    assert "square-1" in row
    assert "current" in row
    _shot(olga, "4-registry")
