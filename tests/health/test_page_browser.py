"""The health page in headless Chromium over real HTTP: worst first, red rows, refreshed in place.

Screenshots are kept in tests/artifacts/health/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from custos.permissions import Role
from custos.users import service as users
from health.conftest import open_gap, write_status
from helpers import CHEAP_PASSWORDS, ServedCustos, call_of, register_camera

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "health"

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServedCustos, str, dict[str, int]]]:
    """A served Custos with an operator's token and three cameras: one recording, two down."""
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    ids = {
        name: register_camera(runtime, name, f"rtsp://{name}.example/live")
        for name in ("gate", "yard", "lane")
    }
    with runtime.sessions() as session:
        clock = runtime.clock
        users.create_user(
            call_of(session, clock), name="olga", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
        )
        token, _ = users.issue_token(call_of(session, clock), "olga", label="browser")
        now = clock.now()
        write_status(
            session, ids["gate"], now, "recording", width=1920, height=1080, codec="h264", fps=25.0,
            bitrate_bps=4_000_000.0, lag_s=3.1, last_segment_end=now - timedelta(seconds=3),
        )  # fmt: skip
        write_status(
            session, ids["yard"], now, "down", reason="connection refused",
            state_since=now - timedelta(minutes=9), reconnects=12,
        )  # fmt: skip
        open_gap(session, ids["yard"], now - timedelta(minutes=10), "connection refused")
        write_status(
            session, ids["lane"], now, "down", reason="host unreachable",
            state_since=now - timedelta(seconds=20),
        )  # fmt: skip
    server.start()
    yield server, token, ids
    server.stop()


def test_an_operator_sees_the_worst_camera_first_in_red(
    served: tuple[ServedCustos, str, dict[str, int]], browser: Browser
) -> None:
    server, token, ids = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 800})
    page.set_extra_http_headers({"Authorization": f"Bearer {token}"})
    page.goto(f"{server.url}/cameras")
    page.click('nav a[href="/health"]')
    page.wait_for_selector("table.health")
    rows = page.locator("table.health tbody tr")
    assert [rows.nth(i).get_attribute("data-camera") for i in range(rows.count())] == [
        "yard",
        "lane",
        "gate",
    ]
    assert page.locator("tr.red").count() == 1
    assert page.locator('tr[data-camera="yard"]').get_attribute("class") == "state-down red"
    red_cell = page.locator('tr[data-camera="yard"] td').first
    assert red_cell.evaluate("cell => getComputedStyle(cell).backgroundColor") == (
        "rgb(251, 227, 225)"
    )
    assert "camera yard down for 10 min: connection refused" in page.inner_text("#health-verdict")
    # Times are shown in the viewer's time zone, not as the server's UTC text.
    assert "UTC" not in page.inner_text('tr[data-camera="yard"] td:nth-child(3)')
    page.screenshot(path=str(ARTIFACTS / "health.png"), full_page=True)

    # The yard camera records again: the page says so by itself, without a reload.
    with server.runtime.sessions() as session:
        write_status(session, ids["yard"], server.runtime.clock.now(), "recording")
    page.wait_for_selector('tr[data-camera="yard"][data-state="recording"]', timeout=15_000)
    assert page.locator("tr.red").count() == 0
    page.screenshot(path=str(ARTIFACTS / "health-recovered.png"), full_page=True)
    page.close()
