"""The access flow in headless Chromium over real HTTP, each person signed in with a password:
an investigator opens a case and files a request, an approver approves it, the investigator
plays the masked clip and unmasks the person of the case, an auditor reads every step in the
audit log. Screenshots are kept in tests/artifacts/access/."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pyotp
import pytest
from playwright.sync_api import Browser, Page

from custos.access import service as access
from custos.access.policy import Window
from custos.cases import service as cases
from custos.context import Actor
from custos.jobs import prepare_once
from custos.permissions import Role
from custos.recording.media import SegmentFile
from custos.recording.service import CameraFeed, SegmentWriter
from custos.redaction.detectors import CenterFace
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from helpers import ServedCustos, call_of, investigator, own_account, register_camera

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "access"
PASSWORD = "a long browser password"
PEOPLE = {"ivan": Role.INVESTIGATOR, "anna": Role.APPROVER, "otto": Role.AUDITOR}
SEEDS: dict[str, str] = {}  # the authenticators of those whose role holds one

pytestmark = pytest.mark.browser


@pytest.fixture
def served(
    tmp_path: Path, two_people: SegmentFile
) -> Iterator[tuple[ServedCustos, tuple[str, str]]]:
    """A served Custos with three people and a camera that filmed two faces ten minutes ago."""
    server = ServedCustos(tmp_path / "data")
    runtime = server.runtime
    with runtime.sessions() as session:
        for name, role in PEOPLE.items():
            seed = own_account(
                call_of(session, runtime.clock), name, role, PASSWORD, runtime.sealer
            )
            if seed is not None:
                SEEDS[name] = seed
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
    server.start()
    form_time = "%Y-%m-%dT%H:%M:%S"
    yield server, (filmed.strftime(form_time), (filmed + timedelta(seconds=6)).strftime(form_time))
    server.stop()


def _sign_in(browser: Browser, url: str, name: str) -> Page:
    page = browser.new_context(viewport={"width": 1200, "height": 1000}).new_page()
    page.goto(f"{url}/login")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    if name in SEEDS:  # the approver's authenticator, set up earlier, makes the code
        page.wait_for_selector("#code-form")
        page.fill('input[name="code"]', pyotp.TOTP(SEEDS[name]).now())
        page.click('#code-form button[type="submit"]')
    page.wait_for_selector("header.top .who")
    return page


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _wait_for_video(page: Page, player: str) -> None:
    deadline = time.monotonic() + 60
    while page.locator(player).evaluate("video => video.readyState") < 2:
        if time.monotonic() > deadline:
            pytest.fail("the video did not load: " + page.inner_text("#review"))
        time.sleep(0.2)


def _position(page: Page, player: str = ".screen video") -> float:
    """Where the (first) review player is, in seconds from its window's start."""
    return float(page.locator(player).first.evaluate("video => video.currentTime"))


def _wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the player did not get there in time")
        time.sleep(0.1)


def _frames(data: bytes) -> list[object]:
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def _first_frame(data: bytes) -> object:
    with av.open(io.BytesIO(data)) as container:
        return next(container.decode(video=0)).to_ndarray(format="bgr24")


def test_request_approval_and_masked_review_in_the_browser(
    served: tuple[ServedCustos, tuple[str, str]], browser: Browser
) -> None:
    server, (start, end) = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # The investigator opens a case, adds the suspect by pseudonym, asks for 6 s of one camera.
    ivan = _sign_in(browser, server.url, "ivan")
    ivan.goto(f"{server.url}/cases")
    ivan.fill('input[name="reference"]', "12/2026-0457")
    ivan.select_option('select[name="legal_basis"]', "cpc-kz-199")
    ivan.fill('textarea[name="description"]', "Robbery at the station hall")
    ivan.click("text=Open case")
    ivan.fill('input[name="label"]', "P1")
    ivan.click("text=Add person")
    # The click sends the form; the case page comes back with the person (wait for it: under
    # load the page may still be the one before).
    ivan.wait_for_selector('tr[data-person="P1"]')
    assert ivan.locator('tr[data-person="P1"]').count() == 1
    form = ivan.locator("#request-form")
    form.locator('select[name="camera"]').first.select_option("hall")
    form.locator('input[name="start"]').first.fill(start)
    form.locator('input[name="end"]').first.fill(end)
    form.locator('input[name="persons"][value="P1"]').check()
    form.locator('textarea[name="purpose"]').fill("see who took the bag")
    form.locator('textarea[name="justification"]').fill("a witness saw P1 in the hall then")
    form.locator('input[name="identification"]').check()
    _shot(ivan, "1-request-form")
    form.locator('button[type="submit"]').click()
    ivan.wait_for_selector("#request-status:has-text('pending')")
    request_url = ivan.url
    _shot(ivan, "2-request-pending")

    # Someone else decides: the approver finds it in the queue and approves it with a hold.
    anna = _sign_in(browser, server.url, "anna")
    anna.goto(f"{server.url}/requests")
    anna.click("#pending a")
    anna.wait_for_selector("#decision")
    _shot(anna, "3-decision-form")
    anna.click("#approve")
    anna.wait_for_selector("#grant:has-text('live')")
    _shot(anna, "4-approved")
    # A worker prepares the window's tracks (custos serve runs one; here the test's own).
    while prepare_once(server.runtime, "test-worker"):
        pass

    # The investigator reviews: the window streams at once, masked, on a timeline with its gaps.
    ivan.goto(request_url)
    ivan.click("#review")
    ivan.wait_for_selector("#now-playing:has-text('everyone masked')")
    _wait_for_video(ivan, ".screen video")
    assert ivan.locator("#timeline-bars .piece").count() == 3
    _wait_until(lambda: ivan.evaluate("document.querySelector('.screen video').currentTime") > 0.5)
    _shot(ivan, "5-review-stream")
    # Faster, a frame back, a seek by the keyboard and one on the timeline: the player follows.
    ivan.select_option("#speed", "2")
    assert ivan.evaluate("document.querySelector('.screen video').playbackRate") == 2
    ivan.click("#frame-back")
    assert ivan.evaluate("document.querySelector('.screen video').paused")
    box = ivan.locator("#timeline-bars").bounding_box()
    assert box is not None
    ivan.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
    _wait_until(lambda: abs(_position(ivan) - 0.6) < 0.2)  # a tenth of the 6 s window
    ivan.evaluate("document.activeElement.blur()")  # keys go to the page, not a control
    ivan.keyboard.press("ArrowRight")
    _wait_until(lambda: abs(_position(ivan) - 5.6) < 0.2)
    ivan.keyboard.press("ArrowLeft")
    _wait_until(lambda: abs(_position(ivan) - 0.6) < 0.2)

    # The window's tracks, numbered across it: the one on the left is named as P1.
    grant_id = ivan.url.rstrip("/").split("/")[-2]
    window = ivan.request.get(f"{server.url}/api/grants/{grant_id}/footage").json()["windows"][0]
    tracks = ivan.request.get(f"{server.url}/api/grants/{grant_id}/windows/{window['id']}/tracks")
    faces = [t for t in tracks.json()["tracks"] if t["kind"] == "face"]
    assert len(faces) == 2
    left = min(faces, key=lambda t: t["box"][0])
    ivan.wait_for_selector(f"#window-tracks tr[data-track='{left['track']}']")
    ivan.select_option("#link-track", str(left["track"]))
    ivan.select_option("#link-person", "P1")
    ivan.fill("#link-reason", "the witness places P1 on the left")
    ivan.click("#link-form button")
    ivan.wait_for_selector("#links li")
    assert "is P1" in ivan.inner_text("#links")
    _wait_for_video(ivan, ".screen video")
    _shot(ivan, "6-review-person-linked")
    # What the stream now serves: P1 as filmed in every frame, the other face masked.
    served_stream = ivan.request.get(server.url + window["stream"])
    assert served_stream.status == 200
    frames = _frames(served_stream.body())
    assert len(frames) == 60
    finder = CenterFace(threshold=0.5)
    for frame in frames[::10]:
        found = finder.detect(frame)  # type: ignore[arg-type]
        assert [f.box[0] < 320 for f in found] == [True], "only P1's face is there to find"

    # One piece opened alone, with its track list: a masked clip, then its person unmasked.
    assert ivan.locator(".piece-link").count() == 3
    ivan.locator(".piece-link").first.click()
    ivan.wait_for_selector("#piece-playing:has-text('everyone masked')")
    _wait_for_video(ivan, "#piece-player")
    assert ivan.locator("#tracks input[type=checkbox]").count() >= 1
    _shot(ivan, "7-review-piece-masked")
    # What the player was given: no face left that the detector can find.
    timeline = ivan.request.get(f"{server.url}/api/grants/{grant_id}/footage").json()
    shown = ivan.request.get(server.url + timeline["windows"][0]["pieces"][0]["url"])
    assert shown.status == 200
    assert CenterFace().detect(_first_frame(shown.body())) == []  # type: ignore[arg-type]

    # The grant allows identification: the investigator unmasks the track that is P1.
    ivan.locator("#tracks input[type=checkbox]").first.check()
    ivan.fill("#reveal-reason", "track 1 is P1, as the witness describes")
    ivan.click("#reveal-form button")
    ivan.wait_for_selector("#piece-playing:has-text('unmasked')")
    _wait_for_video(ivan, "#piece-player")
    _shot(ivan, "8-review-unmasked")

    # The approver sees on the grant which track was named as whom, and why.
    anna.reload()
    anna.wait_for_selector("#links")
    assert "the witness places P1 on the left" in anna.inner_text("#links")
    _shot(anna, "9-approver-sees-the-link")

    # Oversight reads each step in the audit log.
    otto = _sign_in(browser, server.url, "otto")
    otto.goto(f"{server.url}/audit")
    log = otto.inner_text("main")
    for event in (
        "case.opened",
        "case.person_added",
        "access.requested",
        "access.approved",
        "hold.placed",
        "footage.viewing_opened",
        "footage.viewed",
        "footage.unmasked",
        "footage.track_linked",
    ):
        assert event in log, event
    unmasked = otto.locator("tr", has_text="footage.unmasked").inner_text()
    for shown in ("12/2026-0457", "G-1", "cpc-kz-199", "why: track 1 is P1", "to: ivan"):
        assert shown in unmasked, shown
    _shot(otto, "10-audit-log")


def test_two_cameras_play_in_step_seek_together_and_a_bookmark_marks_the_moment(
    served: tuple[ServedCustos, tuple[str, str]], browser: Browser, two_people: SegmentFile
) -> None:
    server, (start, _end) = served
    runtime = server.runtime
    filmed = datetime.fromisoformat(start).replace(tzinfo=UTC)
    # A second camera filmed the same six seconds.
    yard = register_camera(runtime, "yard", "rtsp://yard.example/live")
    writer = SegmentWriter(
        runtime.sessions,
        runtime.clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )
    feed = CameraFeed(yard, "yard", "rtsp://x/y", False, 10, "Almaty")
    for index in range(3):
        writer.store(feed, two_people, filmed + timedelta(seconds=2 * index))
    ivan_actor, anna_actor = investigator("ivan"), Actor("anna", "approver")
    with runtime.sessions() as session:
        case = cases.open_case(
            call_of(session, runtime.clock, ivan_actor), "3/2026-1", "cpc-kz-199", "x"
        )
        cases.add_person(call_of(session, runtime.clock, ivan_actor), case.reference, "P1")
        six = timedelta(seconds=6)
        filed = access.file_request(
            call_of(session, runtime.clock, ivan_actor),
            case_id=case.id,
            windows=[Window("hall", filmed, filmed + six), Window("yard", filmed, filmed + six)],
            persons=["P1"],
            purpose="both doors",
            justification="the bag passed both",
            identification=False,
        )
        grant = access.approve(call_of(session, runtime.clock, anna_actor), filed.id)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    ivan = _sign_in(browser, server.url, "ivan")
    ivan.goto(f"{server.url}/grants/{grant.id}/review")
    ivan.wait_for_selector("#window-choice input")
    ivan.locator("#window-choice input").nth(1).check()  # the yard, beside the hall
    ivan.wait_for_selector(".screen[data-window] + .screen[data-window]")
    assert ivan.locator(".screen video").count() == 2
    assert ivan.locator("#timeline-bars .timeline-bar").count() == 2

    def apart() -> float:
        """How far apart, in seconds of what was filmed, the two screens are."""
        return float(
            ivan.evaluate(
                "(() => { const v = document.querySelectorAll('.screen video');"
                " return Math.abs(v[0].currentTime - v[1].currentTime); })()"
            )
        )

    _wait_until(lambda: _position(ivan, ".screen video") > 1.0)
    _wait_until(lambda: apart() < 0.3)
    # A seek on the timeline moves both to the same moment.
    box = ivan.locator("#timeline-bars").bounding_box()
    assert box is not None
    ivan.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    _wait_until(lambda: abs(_position(ivan, ".screen video") - 4.5) < 0.4)
    _wait_until(lambda: apart() < 0.3)
    _shot(ivan, "11-two-cameras-in-step")

    # A bookmark at this moment: on the timeline and in the list, kept with the case. The
    # video plays on, so the moment is where it stood between the click and the answer.
    ivan.fill("#bookmark-note", "the bag changes hands")
    before = _position(ivan, ".screen video")
    ivan.click("#bookmark-form button")
    ivan.wait_for_selector("#bookmarks li")
    after = _position(ivan, ".screen video")
    assert "the bag changes hands" in ivan.inner_text("#bookmarks")
    assert ivan.locator("#timeline-bars .bookmark").count() == 1
    footage = ivan.request.get(f"{server.url}/api/grants/{grant.id}/footage").json()
    [mark] = footage["bookmarks"]
    assert mark["note"] == "the bag changes hands"
    marked = (datetime.fromisoformat(mark["at"]) - filmed).total_seconds()
    assert before - 0.25 <= marked <= after + 0.25, (before, marked, after)
    assert abs(marked - 4.5) < 3  # near where the timeline was clicked
    _shot(ivan, "12-bookmark")
