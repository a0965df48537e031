"""The live view and the zones page in headless Chromium, over real HTTP; screenshots kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser

from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.permissions import Role
from custos.redaction.detectors import CenterFace
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, ServedCustos, call_of, person_photo, still_clip

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "live"
DOOR = [(0.05, 0.1), (0.3, 0.1), (0.3, 0.8), (0.05, 0.8)]

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServedCustos, str]]:
    """A served Custos, a camera filming a person beside a clinic's door, an operator's token."""
    canvas = np.full((720, 1280, 3), 90, dtype=np.uint8)
    canvas[40:680, 460:820] = person_photo(360, 640)
    source = still_clip(tmp_path / "hall.mp4", canvas)
    server = ServedCustos(tmp_path / "data")
    with server.runtime.sessions() as session:
        clock = server.runtime.clock
        users.create_user(
            call_of(session, clock), name="olga", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
        )
        token, _ = users.issue_token(call_of(session, clock), "olga", label="browser")
        cameras.register_camera(
            call_of(session, clock),
            CameraCreate.model_validate(
                {"name": "hall", "source_url": str(source), "category": "other", "region": "Almaty"}
            ),
        )
        cameras.add_zone(call_of(session, clock), "hall", "clinic door", DOOR, "a clinic")
    server.start()
    yield server, token
    server.stop()


def test_an_operator_watches_the_masked_live_picture(
    served: tuple[ServedCustos, str], browser: Browser
) -> None:
    server, token = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    page.goto(f"{server.url}/cameras")
    page.click('tr[data-camera="hall"] a[href="/cameras/hall/live"]')
    page.wait_for_selector("#live-status:has-text('Updated')")  # the picture has loaded
    assert page.locator("#live-picture").evaluate("picture => picture.naturalWidth") == 1280
    assert "clinic door" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "live.png"), full_page=True)
    # What the browser was shown: the zone black and no face CenterFace can still find.
    shown = page.request.get(
        f"{server.url}/api/cameras/hall/live.jpg", headers={"Authorization": f"Bearer {token}"}
    )
    assert shown.status == 200
    assert shown.headers["cache-control"] == "no-store"
    picture = cv2.imdecode(np.frombuffer(shown.body(), np.uint8), cv2.IMREAD_COLOR)
    assert picture[100:560, 80:380].max() <= 8
    assert CenterFace().detect(picture) == []

    page.goto(f"{server.url}/cameras/hall/zones")
    assert page.locator("svg.zones polygon").count() == 1
    assert page.locator('tr[data-zone="clinic door"]').count() == 1
    page.screenshot(path=str(ARTIFACTS / "zones.png"), full_page=True)
    page.close()
