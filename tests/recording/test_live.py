"""Live pictures: the privacy zones black, faces masked, every view audited."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus
from custos.cameras.schemas import CameraCreate
from custos.clock import FrozenClock
from custos.errors import Conflict
from custos.permissions import Role
from custos.recording import service as recording
from custos.redaction.cache import DetectorCache
from custos.redaction.detectors import CenterFace
from custos.redaction.zones import ZoneMask
from helpers import (
    TransactionProbe,
    audit_events,
    bearer,
    call_of,
    free_port,
    person_photo,
    still_clip,
)

DOOR = [(0.0, 0.0), (0.35, 0.0), (0.35, 0.25), (0.0, 0.25)]


@pytest.fixture(scope="module")
def detectors() -> DetectorCache:
    """One detector cache for the module, as a runtime holds one."""
    return DetectorCache()


@pytest.fixture(scope="module")
def face_camera(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A video file of a real person, standing in for a camera."""
    path = tmp_path_factory.mktemp("live") / "person.mp4"
    return str(still_clip(path, person_photo(360, 640)))


def _register(db: Session, clock: FrozenClock, name: str, source: str) -> None:
    cameras.register_camera(
        call_of(db, clock),
        CameraCreate.model_validate(
            {"name": name, "source_url": source, "category": "other", "region": "Almaty"}
        ),
    )


def test_the_live_picture_has_its_zone_black_and_its_face_masked(
    db: Session, clock: FrozenClock, face_camera: str, detectors: DetectorCache
) -> None:
    _register(db, clock, "hall", face_camera)
    cameras.add_zone(call_of(db, clock), "hall", "door", DOOR, "entrance of a clinic")
    jpeg = recording.live_picture(call_of(db, clock), "hall", detectors=detectors)
    shown = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert shown.shape == (640, 360, 3)
    zone = ZoneMask([DOOR], 360, 640)
    assert shown[zone.polygons].max() <= 8  # black, give or take JPEG's rounding
    assert shown[~zone.luma].mean() > 40  # the rest of the picture is there
    assert CenterFace(threshold=0.3).detect(shown) == []
    (entry,) = audit_events(db, event="camera.live_viewed")
    assert entry.object_id == "hall"
    assert entry.action == "consult"


def test_no_transaction_is_open_while_the_camera_is_reached_and_masked(
    db: Session, clock: FrozenClock, face_camera: str
) -> None:
    _register(db, clock, "lobby", face_camera)
    probe = TransactionProbe(db)
    recording.live_picture(call_of(db, clock), "lobby", detectors=probe)
    assert probe.seen, "the detectors never ran"
    assert not any(probe.seen), "a transaction was open while the picture was masked"
    assert [e.object_id for e in audit_events(db, event="camera.live_viewed")] == ["lobby"]


def test_no_live_picture_from_a_suspended_or_unreachable_camera(
    db: Session, clock: FrozenClock, face_camera: str, detectors: DetectorCache
) -> None:
    _register(db, clock, "yard", face_camera)
    cameras.set_status(call_of(db, clock), "yard", CameraStatus.SUSPENDED, "maintenance")
    with pytest.raises(Conflict, match="suspended"):
        recording.live_picture(call_of(db, clock), "yard", detectors=detectors)
    _register(db, clock, "gone", f"rtsp://127.0.0.1:{free_port()}/live")
    with pytest.raises(Conflict, match="cannot be reached"):
        recording.live_picture(call_of(db, clock), "gone", timeout=2, detectors=detectors)
    assert audit_events(db, event="camera.live_viewed") == []


def test_the_live_route_serves_a_jpeg_nobody_caches(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    make_user: Callable[..., tuple[str, str]],
    face_camera: str,
) -> None:
    _register(db, clock, "porch", face_camera)
    _, token = make_user(Role.OPERATOR)
    response = client.get("/api/cameras/porch/live.jpg", headers=bearer(token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "no-store"
    page = client.get("/cameras/porch/live", headers={**bearer(token), "Accept": "text/html"})
    assert page.status_code == 200
    assert "/api/cameras/porch/live.mjpeg?fps=10" in page.text
