"""A granted window played as one masked stream over HTTP: gaps kept as gaps, a seek is a new
request of the same viewing, the face masked in every frame whether its tracks were prepared or
detected inline, and one viewing in the audit log, opened before the first byte and closed
with what was watched."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import timedelta

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.models import Grant
from custos.clock import FrozenClock
from custos.context import SYSTEM, Call
from custos.jobs import prepare_once
from custos.permissions import Role
from custos.recording import service as recording
from custos.redaction.detectors import CenterFace
from custos.redaction.measure import clipped, compare
from custos.runtime import Runtime
from helpers import APPROVER, INVESTIGATOR, audit_events, bearer, call_of

from .conftest import Scene


@pytest.fixture
def ivan_token(make_user: Callable[..., tuple[str, str]]) -> dict[str, str]:
    """The investigator who opened the scene's case and holds its grants."""
    return bearer(make_user(Role.INVESTIGATOR, "ivan")[1])


def _stream(client: TestClient, headers: dict[str, str], url: str) -> tuple[bytes, dict[str, str]]:
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == "video/mp4"
        return b"".join(response.iter_bytes()), dict(response.headers)


def _frames(data: bytes, start: float) -> list[tuple[float, np.ndarray]]:
    """The stream's frames and the second of the window each is at."""
    with av.open(io.BytesIO(data)) as container:
        return [
            (start + float(frame.time or 0), frame.to_ndarray(format="bgr24"))
            for frame in container.decode(video=0)
        ]


def _source_frames(runtime: Runtime, db: Session, segment_id: str) -> list[np.ndarray]:
    segment, _ = recording.get_segment(db, segment_id)
    plaintext = recording.open_segment(runtime.sealer, runtime.blobs, segment)
    with av.open(io.BytesIO(plaintext)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


@pytest.mark.parametrize("tracks", ["prepared", "inline"])
def test_a_window_streams_whole_with_its_gaps_and_the_face_masked_in_every_frame(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    scene: Scene,
    grant: Callable[..., Grant],
    ivan_token: dict[str, str],
    tracks: str,
) -> None:
    approved = grant()
    if tracks == "prepared":
        while prepare_once(runtime, "test-worker"):
            pass
    window = approved.windows[0].id
    data, headers = _stream(
        client, ivan_token, f"/api/grants/{approved.id}/windows/{window}/stream"
    )
    assert headers["x-custos-window-seconds"] == "30"
    frames = _frames(data, float(headers["x-custos-stream-start"]))
    # Three pieces of 2 s at 10 fps, 10 s apart: 60 frames at 0-2, 10-12 and 20-22 s.
    assert len(frames) == 60
    times = [t for t, _ in frames]
    assert times[0] == pytest.approx(0.0, abs=0.001)
    assert times[20] == pytest.approx(10.0, abs=0.001)
    assert times[40] == pytest.approx(20.0, abs=0.001)
    assert max(b - a for a, b in itertools.pairwise(times)) == pytest.approx(8.1, abs=0.01)

    # Every face CenterFace still finds in a served frame, at a threshold under the one masking
    # uses, and every face it finds at full size in the source, has lost its sharpness.
    sources = [f for segment in scene.segments for f in _source_frames(runtime, db, segment)]
    served_finder, source_finder = CenterFace(threshold=0.2), CenterFace(threshold=0.5)
    found = left = 0
    for (_, served), source in zip(frames, sources, strict=True):
        height, width = served.shape[:2]
        boxes = [clipped(d.box, width, height) for d in served_finder.detect(served)]
        boxes += [clipped(d.box, width, height) for d in source_finder.detect(source)]
        compared = compare(source, served, boxes)
        found, left = found + compared.regions, left + compared.left
    assert found >= 60
    assert left == 0

    [opened] = audit_events(db, event="footage.viewing_opened")
    assert opened.grant_ref == approved.reference
    viewing = int(headers["x-custos-viewing"])
    assert opened.object_id == str(viewing)
    assert len(audit_events(db, event="tracks.prepared")) == (3 if tracks == "prepared" else 0)


def test_a_seek_is_a_new_request_of_the_same_viewing_and_closing_records_what_was_watched(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    scene: Scene,
    grant: Callable[..., Grant],
    ivan_token: dict[str, str],
) -> None:
    approved = grant()
    window = approved.windows[0].id
    base = f"/api/grants/{approved.id}/windows/{window}/stream"
    _data, headers = _stream(client, ivan_token, base + "?from=20.5")
    viewing = headers["x-custos-viewing"]
    assert float(headers["x-custos-stream-start"]) == pytest.approx(20.5)
    frames = _frames(_data, 20.5)
    assert frames[0][0] == pytest.approx(20.5, abs=0.05)
    assert len(frames) == 15  # 20.5 s to 22 s at 10 fps
    seek, again = _stream(client, ivan_token, f"{base}?from=10&viewing={viewing}")
    assert float(again["x-custos-stream-start"]) == pytest.approx(10.0)
    assert len(_frames(seek, 10.0)) == 40  # 10-12 s, then 20-22 s after the gap, at 10 fps
    assert len(audit_events(db, event="footage.viewing_opened")) == 1
    # Out of the window, or another's viewing: refused.
    assert client.get(f"{base}?from=30&viewing={viewing}", headers=ivan_token).status_code == 422
    closed = client.post(f"/api/viewings/{viewing}/close", headers=ivan_token)
    assert closed.status_code == 204
    [record] = audit_events(db, event="footage.viewing_closed")
    assert record.details["watched"] == [[10.0, 22.0]]
    assert record.details["seconds"] == 12.0
    again = client.get(f"{base}?from=0&viewing={viewing}", headers=ivan_token)
    assert again.status_code == 409


def test_a_revoked_grant_streams_nothing(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    grant: Callable[..., Grant],
    ivan_token: dict[str, str],
    call: Call,
) -> None:
    approved = grant()
    window = approved.windows[0].id
    url = f"/api/grants/{approved.id}/windows/{window}/stream"
    access.revoke_grant(call_of(db, clock, APPROVER), approved.id, "done")
    refused = client.get(url, headers=ivan_token)
    assert refused.status_code == 403
    assert audit_events(db, event="footage.viewing_opened") == []
    [why] = audit_events(db, event="footage.refused")
    assert "revoked" in why.details["why"]


def test_a_viewing_left_idle_is_closed_by_the_system(
    db: Session, clock: FrozenClock, grant: Callable[..., Grant]
) -> None:
    approved = grant()
    ivan = call_of(db, clock, INVESTIGATOR)
    viewing = access.open_viewing(ivan, approved.id, approved.windows[0].id)
    system = Call(db, clock, SYSTEM, ivan.profile)
    clock.advance(timedelta(minutes=9))
    assert access.close_idle_viewings(system) == 0
    clock.advance(timedelta(minutes=2))
    assert access.close_idle_viewings(system) == 1
    [closed] = audit_events(db, event="footage.viewing_closed")
    assert (closed.actor, closed.object_id) == ("system", str(viewing.id))
    assert closed.details["why"] == "left idle"
    assert closed.details["watched"] == []


def test_a_bookmark_marks_a_moment_of_the_window_with_a_note(
    client: TestClient, db: Session, grant: Callable[..., Grant], ivan_token: dict[str, str]
) -> None:
    approved = grant()
    window = approved.windows[0]
    url = f"/api/grants/{approved.id}/bookmarks"
    made = client.post(
        url, headers=ivan_token, json={"window_id": window.id, "at_s": 10.5, "note": "the bag"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["at"].startswith(
        (window.starts_at + timedelta(seconds=10.5)).isoformat()[:19]
    )
    footage = client.get(f"/api/grants/{approved.id}/footage", headers=ivan_token).json()
    assert [b["note"] for b in footage["bookmarks"]] == ["the bag"]
    [marked] = audit_events(db, event="footage.bookmarked")
    assert marked.justification == "the bag"
    for body in ({"at_s": 31, "note": "after the window"}, {"at_s": 1, "note": " "}):
        refused = client.post(url, headers=ivan_token, json={"window_id": window.id, **body})
        assert refused.status_code == 422, refused.text
