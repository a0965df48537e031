"""`make demo` from a fresh copy of the repository, followed the way a new user would follow it.

Copies what a clone holds, runs `make demo` (which builds its own .venv), reads the URL and the
credentials it prints, opens the URL in Chromium, signs in, chooses a password and finds the
demo cameras. Screenshots go to tests/artifacts/demo/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from helpers import free_port

REPOSITORY = Path(__file__).resolve().parent.parent
ARTIFACTS = REPOSITORY / "tests" / "artifacts" / "demo"
INSTALL_TIMEOUT = 900


def _copy_as_cloned(target: Path) -> None:
    files = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPOSITORY,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        source = REPOSITORY / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running `make demo`; yields what it printed (url, user, password) and its folder."""
    checkout = tmp_path_factory.mktemp("fresh-clone")
    _copy_as_cloned(checkout)
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CUSTOS_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    process = subprocess.Popen(
        ["make", "demo", f"PORT={free_port()}"],
        cwd=checkout,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    printed: dict[str, str] = {"checkout": str(checkout)}
    transcript: list[str] = []
    deadline = time.monotonic() + INSTALL_TIMEOUT
    try:
        assert process.stdout is not None
        while "password" not in printed:
            line = process.stdout.readline()
            if not line:
                pytest.fail("make demo ended early:\n" + "".join(transcript[-40:]))
            if time.monotonic() > deadline:
                pytest.fail(
                    "make demo printed no credentials in time:\n" + "".join(transcript[-40:])
                )
            transcript.append(line)
            match = re.match(r"\s+(URL|User|Password):\s+(\S+)", line)
            if match:
                printed[match.group(1).lower()] = match.group(2)
        yield printed
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _wait_until_serving(url: str) -> None:
    import httpx2

    for _ in range(120):
        try:
            if httpx2.get(url + "healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"nothing answers at {url}")


@pytest.mark.slow
@pytest.mark.long
@pytest.mark.browser
def test_make_demo_serves_the_printed_url_the_credentials_work_and_the_cameras_record(
    demo: dict[str, str], browser: Browser
) -> None:
    assert demo["url"].startswith("http://127.0.0.1:")
    assert demo["user"] == "admin"
    _wait_until_serving(demo["url"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.goto(demo["url"])
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "1-sign-in.png")
    page.get_by_label("User name").fill(demo["user"])
    page.get_by_label("Password").fill(demo["password"])
    page.get_by_role("button", name="Sign in").click()
    # An admin sets up an authenticator at the first sign-in: the key typed into an app.
    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "2-second-factor.png", full_page=True)
    key = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Set up and sign in").click()
    expect(page.get_by_text("Choose your own password")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "3-choose-password.png")
    page.get_by_label("Current password").fill(demo["password"])
    page.get_by_label("New password (at least 12 characters)").fill("a demo passphrase of mine")
    page.get_by_label("New password again").fill("a demo passphrase of mine")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Cameras")).to_be_visible()
    for camera in ("plaza-north", "school-gate", "ministry-lobby"):
        expect(page.locator(f'tr[data-camera="{camera}"]')).to_be_visible()
    page.screenshot(path=ARTIFACTS / "4-cameras.png", full_page=True)
    page.get_by_role("link", name="Users").click()
    expect(page.locator('tr[data-user="admin"]')).to_be_visible()
    page.close()

    # And it records the demo cameras.
    custos = Path(demo["checkout"]) / ".venv" / "bin" / "custos"
    deadline = time.monotonic() + 60
    while True:
        listed = subprocess.run(
            [str(custos), "segments", "list", "--json"],
            cwd=demo["checkout"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        cameras = {segment["camera"] for segment in json.loads(listed)}
        if cameras == {"plaza-north", "school-gate", "ministry-lobby"}:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"demo cameras with segments after a minute: {sorted(cameras)}")
        time.sleep(2)
    check = subprocess.run(
        [str(custos), "storage", "check"],
        cwd=demo["checkout"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert " 0 bad" in check.stdout
