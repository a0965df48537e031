"""Identification bound to persons: a track of a window named as a person of the case shows
that person unmasked wherever the track appears in the window, and everyone else masked.

The scene: a lobby camera filmed two people side by side for 6 s, in three contiguous 2 s
segments, so each person is one track across the window once the segments are stitched.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import av
import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.models import AccessRequest, Grant
from custos.access.policy import Window
from custos.clock import FrozenClock
from custos.dpia.models import AssessmentVersion
from custos.jobs import prepare_once
from custos.permissions import Role
from custos.recording.media import SegmentFile
from custos.redaction.detectors import CenterFace
from custos.redaction.measure import clipped, compare
from custos.runtime import Runtime
from helpers import APPROVER, audit_events, bearer, call_of

from .conftest import Scene


@pytest.fixture
def lobby(
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    scene: Scene,
    archive: Callable[..., list[str]],
    file: Callable[..., AccessRequest],
    two_people: SegmentFile,
) -> Grant:
    """A live grant over the lobby's 6 s, identification allowed, its tracks prepared."""
    start = scene.start + timedelta(minutes=5)
    archive("lobby", start, 3, spacing=timedelta(seconds=2), content=two_people)
    filed = file([Window("lobby", start, start + timedelta(seconds=6))], identification=True)
    grant = access.approve(call_of(db, clock, APPROVER), filed.id)
    while prepare_once(runtime, "test-worker"):
        pass
    return grant


@pytest.fixture
def holder(make_user: Callable[..., tuple[str, str]]) -> dict[str, str]:
    """The headers of ivan, the investigator who holds the grant."""
    return bearer(make_user(Role.INVESTIGATOR, "ivan")[1])


def _tracks(client: TestClient, holder: dict[str, str], grant: Grant) -> dict[str, object]:
    window = grant.windows[0].id
    answer = client.get(f"/api/grants/{grant.id}/windows/{window}/tracks", headers=holder)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _served(client: TestClient, holder: dict[str, str], grant: Grant) -> list[np.ndarray]:
    url = f"/api/grants/{grant.id}/windows/{grant.windows[0].id}/stream"
    with client.stream("GET", url, headers=holder) as response:
        assert response.status_code == 200
        data = b"".join(response.iter_bytes())
    with av.open(io.BytesIO(data)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def _sharp(source: np.ndarray, frames: list[np.ndarray], side: slice) -> tuple[int, int]:
    """Faces on one side of the picture: how many found in the source, how many left sharp."""
    finder = CenterFace(threshold=0.5)
    faces = [
        d.box for d in finder.detect(source) if side.start <= (d.box[0] + d.box[2]) / 2 < side.stop
    ]
    found = left = 0
    for frame in frames:
        height, width = frame.shape[:2]
        compared = compare(source, frame, [clipped(box, width, height) for box in faces])
        found, left = found + compared.regions, left + compared.left
    return found, left


def test_a_linked_person_is_unmasked_across_the_window_and_the_other_stays_masked(
    client: TestClient,
    db: Session,
    lobby: Grant,
    holder: dict[str, str],
    two_people: SegmentFile,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    approver = bearer(make_user(Role.APPROVER)[1])
    listed = _tracks(client, holder, lobby)
    assert listed["ready"] is True
    faces = [t for t in listed["tracks"] if t["kind"] == "face"]  # type: ignore[union-attr]
    # Two people, each one track across the three segments.
    assert len(faces) == 2
    assert all(t["segments"] == 3 for t in faces)
    assert all(t["first_s"] == 0 and t["last_s"] == pytest.approx(6.0) for t in faces)
    left_person = min(faces, key=lambda t: t["box"][0])  # where it is first seen

    with av.open(io.BytesIO(bytes(two_people.data))) as container:
        source = next(container.decode(video=0)).to_ndarray(format="bgr24")
    before = _served(client, holder, lobby)
    assert _sharp(source, before, slice(0, 320))[1] == 0  # everyone masked

    linked = client.post(
        f"/api/grants/{lobby.id}/links",
        headers=holder,
        json={
            "window_id": lobby.windows[0].id,
            "track": left_person["track"],
            "person": "P1",
            "reason": "the witness places P1 at the left of the lobby",
        },
    )
    assert linked.status_code == 201, linked.text
    after = _served(client, holder, lobby)
    assert len(after) == 60
    found, left = _sharp(source, after, slice(0, 320))
    assert found == 60
    assert left == 60  # P1 as filmed, in every frame of the window
    assert _sharp(source, after, slice(320, 640))[1] == 0  # the other person still masked

    [disclosed] = audit_events(db, event="footage.track_linked")
    assert disclosed.action == "disclose"
    assert disclosed.justification == "the witness places P1 at the left of the lobby"
    assert disclosed.details["person"] == "P1"
    assert disclosed.details["segments"] == 3

    # The approver sees the link on the grant, with its reason.
    shown = client.get(f"/api/grants/{lobby.id}", headers=approver)
    assert shown.status_code == 200, shown.text
    [link] = shown.json()["links"]
    assert (link["person"], link["reason"]) == ("P1", disclosed.justification)

    # Removed, the person is masked again.
    link_id = linked.json()["id"]
    removed = client.post(
        f"/api/grants/{lobby.id}/links/{link_id}/remove",
        headers=holder,
        json={"reason": "it was not P1 after all"},
    )
    assert removed.status_code == 200
    assert _sharp(source, _served(client, holder, lobby), slice(0, 320))[1] == 0
    assert len(audit_events(db, event="footage.track_unlinked")) == 1


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"track": 99, "person": "P1"}, 404, "no track 99"),
        ({"track": 1, "person": "P9"}, 422, "not P9"),
        ({"track": 1, "person": "P1", "reason": " "}, 422, "say why"),
    ],
)
def test_a_link_needs_a_track_of_the_window_a_person_of_the_grant_and_a_reason(
    client: TestClient,
    lobby: Grant,
    holder: dict[str, str],
    body: dict[str, object],
    status: int,
    says: str,
) -> None:
    request = {"window_id": lobby.windows[0].id, "reason": "r", **body}
    answer = client.post(f"/api/grants/{lobby.id}/links", headers=holder, json=request)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["detail"]


def test_naming_a_face_needs_an_assessment_that_allows_face_analytics_on_the_camera(
    client: TestClient, db: Session, lobby: Grant, holder: dict[str, str]
) -> None:
    db.execute(sa.update(AssessmentVersion).values(analytics=["plates"]))
    db.commit()
    listed = _tracks(client, holder, lobby)  # masking and review go on: they protect
    track = next(t["track"] for t in listed["tracks"] if t["kind"] == "face")  # type: ignore[union-attr]
    body = {"window_id": lobby.windows[0].id, "track": track, "person": "P1", "reason": "r"}
    refused = client.post(f"/api/grants/{lobby.id}/links", headers=holder, json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == (
        "no approved impact assessment covers faces on camera lobby"
    )
    [denied] = audit_events(db, event="footage.refused")
    assert (denied.outcome, denied.details["camera"]) == ("denied", "lobby")

    db.execute(sa.update(AssessmentVersion).values(analytics=["faces", "plates"]))
    db.commit()
    allowed = client.post(f"/api/grants/{lobby.id}/links", headers=holder, json=body)
    assert allowed.status_code == 201, allowed.text
