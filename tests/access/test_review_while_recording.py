"""An investigator plays a minute of footage through the review page while two cameras record.

Footage views once held the database's write lock for as long as they rendered, and every
recorder lost its footage meanwhile. Here the data folder is like production's (SQLite, blobs
in files), the cameras are live RTSP streams, the grant is approved by someone else, and the
whole minute is played piece by piece as the review page's script does, with real sign-in and
the real masking. Neither camera may lose a moment of footage while it renders.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import av
import pytest

from custos.access import service as access
from custos.access.policy import Window
from custos.cases import service as cases
from custos.context import Actor, Principal
from custos.permissions import Role
from custos.recording import service as recording
from custos.recording.models import Segment
from custos.runtime import Runtime
from custos.users import service as users
from custos.web.app import create_app
from helpers import (
    CHEAP_PASSWORDS,
    Recording,
    RtspCamera,
    audit_events,
    call_of,
    page_client,
    register_camera,
    wait_for,
)

pytestmark = pytest.mark.long

FPS = 15  # the test cameras' rate
FRAME = timedelta(seconds=1 / FPS)
SEGMENT_SECONDS = 5  # short pieces: more renders, and more writes from both cameras meanwhile
REVIEWED = timedelta(seconds=60)
PASSWORD = "a long password for the review"
PEOPLE = {"ivan": Role.INVESTIGATOR, "anna": Role.APPROVER}
# A render of one piece takes seconds: a writer kept waiting this long was kept out by one.
LONGEST_WAIT = 2.0


class _LockWaits(threading.Thread):
    """Takes SQLite's write lock and lets it go four times a second, timing each wait.

    Recorders write through a spool that retries, so a render that held the lock would only
    delay their footage; this shows directly that no render keeps a writer out.
    """

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="lock-waits")
        self.runtime = runtime
        self.halt = threading.Event()
        self.waits: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.halt.wait(0.25):
            began = time.monotonic()
            try:
                with self.runtime.sessions() as session:
                    session.connection()  # BEGIN IMMEDIATE: the write lock, or a wait for it
                    session.commit()
            except Exception as error:  # the test's thread reports it
                self.errors.append(f"{time.monotonic() - began:.1f} s: {error}")
            else:
                self.waits.append(time.monotonic() - began)


def _actors(runtime: Runtime) -> dict[str, Actor]:
    """The investigator and the approver, each with a password of their own; their actors."""
    actors = {}
    with runtime.sessions() as session:
        for name, role in PEOPLE.items():
            user, temporary = users.create_user(
                call_of(session, runtime.clock), name=name, role=role, passwords=CHEAP_PASSWORDS
            )
            assert temporary is not None
            principal = Principal(user.id, name, role, via="session")
            users.change_own_password(
                call_of(session, runtime.clock),
                principal,
                temporary,
                PASSWORD,
                passwords=CHEAP_PASSWORDS,
            )
            actors[name] = principal.actor("127.0.0.1")
    return actors


def _granted(runtime: Runtime, actors: dict[str, Actor], window: Window) -> int:
    """Ivan opens a case and asks for `window`; Anna approves it. The grant's id."""
    with runtime.sessions() as session:
        ivan = call_of(session, runtime.clock, actors["ivan"])
        case = cases.open_case(ivan, "12/2026-0458", "cpc-kz-199", "a bag taken at the gate")
        cases.add_person(ivan, case.reference, "P1")
        filed = access.file_request(
            ivan,
            case_id=case.id,
            windows=[window],
            persons=["P1"],
            purpose="see who took the bag",
            justification="a witness places P1 at the gate then",
            identification=False,
        )
        grant = access.approve(call_of(session, runtime.clock, actors["anna"]), filed.id)
        return grant.id


def _recorded_until(run: Recording, camera: str) -> datetime | None:
    """The end of the camera's last sealed segment."""
    segments = run.segments(camera)
    return segments[-1].ended_at if segments else None


def _frames(data: bytes) -> int:
    with av.open(io.BytesIO(data), "r") as container:
        return len(list(container.decode(video=0)))


def _assert_contiguous(camera: str, segments: list[Segment]) -> None:
    for previous, following in itertools.pairwise(segments):
        assert abs(following.started_at - previous.ended_at) <= FRAME, (
            camera,
            previous.id,
            previous.ended_at,
            following.id,
            following.started_at,
        )


def test_a_minute_of_footage_reviewed_while_two_cameras_record_loses_nothing(
    live_runtime: Runtime,
    rtsp_camera: Callable[..., RtspCamera],
    recording_of: Callable[[], Recording],
) -> None:
    runtime = live_runtime
    actors = _actors(runtime)
    gate, yard = "gate", "yard"
    for name in (gate, yard):
        register_camera(runtime, name, rtsp_camera("tcp").url, segment_seconds=SEGMENT_SECONDS)
    client = page_client(create_app(runtime))
    signed_in = client.post("/login", data={"name": "ivan", "password": PASSWORD, "next": "/cases"})
    assert signed_in.status_code == 303, signed_in.text

    with recording_of() as run:
        wait_for(lambda: bool(run.segments(gate)), 30, "the gate camera's first segment")
        start = run.segments(gate)[0].started_at
        end = start + REVIEWED
        wait_for(
            lambda: (_recorded_until(run, gate) or start) >= end,
            REVIEWED.total_seconds() + 30,
            "a minute of the gate camera",
        )
        grant_id = _granted(runtime, actors, Window(gate, start, end))

        # The review page, then what its script fetches: the timeline, then each piece.
        rendering_from = datetime.now(UTC)
        began = time.monotonic()
        page = client.get(f"/grants/{grant_id}/review", headers={"Accept": "text/html"})
        assert page.status_code == 200, page.text
        assert f'data-grant="{grant_id}"' in page.text
        assert "review.js" in page.text
        timeline = client.get(f"/api/grants/{grant_id}/footage")
        assert timeline.status_code == 200, timeline.text
        (window,) = timeline.json()["windows"]
        pieces = window["pieces"]
        assert datetime.fromisoformat(pieces[0]["start"]) == start
        assert datetime.fromisoformat(pieces[-1]["end"]) == end
        for previous, following in itertools.pairwise(pieces):
            step = datetime.fromisoformat(following["start"]) - datetime.fromisoformat(
                previous["end"]
            )
            assert abs(step) <= FRAME, (previous, following)
        frames = 0
        lock_waits = _LockWaits(runtime)
        lock_waits.start()
        try:
            for piece in pieces:
                shown = client.get(piece["url"])
                assert shown.status_code == 200, shown.text
                assert shown.headers["content-type"] == "video/mp4"
                assert isinstance(json.loads(shown.headers["x-custos-tracks"]), list)
                frames += _frames(shown.content)
        finally:
            lock_waits.halt.set()
            lock_waits.join(timeout=40)
        rendered_for = time.monotonic() - began
        rendering_to = datetime.now(UTC)
        # Recording goes on until both cameras have sealed footage past the last render.
        wait_for(
            lambda: all(
                (_recorded_until(run, camera) or start) >= rendering_to for camera in (gate, yard)
            ),
            3 * SEGMENT_SECONDS + 10,
            "both cameras to seal footage past the end of the review",
        )

    assert lock_waits.errors == [], "a writer could not take the lock while a clip rendered"
    longest = max(lock_waits.waits)
    taken = len(lock_waits.waits)
    print(f"{len(pieces)} pieces, {frames} frames rendered in {rendered_for:.1f} s")
    print(f"the write lock taken {taken} times meanwhile, the longest wait {longest:.2f} s")
    assert taken >= rendered_for * 2  # the lock was asked for all along
    assert longest < LONGEST_WAIT
    assert abs(frames - REVIEWED.total_seconds() * FPS) <= 2 * len(pieces)
    with runtime.sessions() as session:
        assert len(audit_events(session, event="footage.viewed")) == len(pieces)
        assert recording.list_gaps(session) == []
        assert recording.timeline_holes(session, datetime.now(UTC)) == []
    for camera in (gate, yard):
        segments = run.segments(camera)
        _assert_contiguous(camera, segments)
        assert segments[0].started_at <= rendering_from, camera
        assert segments[-1].ended_at >= rendering_to, camera
