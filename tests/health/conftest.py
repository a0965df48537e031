"""Health fixtures: status rows as a running recorder writes them, and cameras in each state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.recording.models import RecorderStatus, RecordingGap
from custos.runtime import Runtime
from helpers import register_camera

Reporter = Callable[..., None]


def write_status(
    session: Session, camera_id: int, now: datetime, state: str, **fields: Any
) -> None:
    """Write a camera's status row as the supervisor does; `fields` override the defaults."""
    row = session.get(RecorderStatus, camera_id) or RecorderStatus(camera_id=camera_id)
    values: dict[str, Any] = {
        "recorder": "recorder@test",
        "state": state,
        "reason": "",
        "detail": "",
        "state_since": now - timedelta(minutes=1),
        "heartbeat_at": now,
        "started_at": now - timedelta(hours=1),
        "last_segment_end": None,
        "lag_s": None,
        "bitrate_bps": None,
        "fps": None,
        "width": None,
        "height": None,
        "codec": "",
        "reconnects": 0,
        "spool_segments": 0,
        "spool_bytes": 0,
        "segments_dropped": 0,
        **fields,
    }
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.commit()


def open_gap(session: Session, camera_id: int, since: datetime, reason: str) -> None:
    """An open gap, as a recorder opens one when its camera drops."""
    session.add(RecordingGap(camera_id=camera_id, started_at=since, ended_at=None, reason=reason))
    session.commit()


@pytest.fixture
def site(
    runtime: Runtime, db: Session, clock: FrozenClock, archive: Callable[..., list[str]]
) -> dict[str, int]:
    """Cameras: gate records, yard is refused for 5 min, hall was never seen, old is suspended.

    Returns their ids by name.
    """
    from custos.cameras import service as cameras
    from custos.cameras.policy import CameraStatus
    from helpers import call_of

    now = clock.now()
    archive("gate", now - timedelta(minutes=10), 3)  # three stored segments
    ids = {
        name: register_camera(runtime, name, f"rtsp://{name}.example/live")
        for name in ("yard", "hall", "old")
    }
    ids["gate"] = cameras.camera_ids(db, ["gate"])["gate"]
    write_status(
        db,
        ids["gate"],
        now,
        "recording",
        last_segment_end=now - timedelta(seconds=4),
        lag_s=4.2,
        bitrate_bps=2_000_000.0,
        fps=15.0,
        width=1280,
        height=720,
        codec="h264",
        reconnects=1,
        spool_segments=2,
        spool_bytes=5000,
    )
    write_status(
        db,
        ids["yard"],
        now,
        "down",
        reason="connection refused",
        detail="[Errno 111] Connection refused",
        state_since=now - timedelta(minutes=4),
        reconnects=7,
    )
    open_gap(db, ids["yard"], now - timedelta(minutes=5), "connection refused")
    cameras.set_status(call_of(db, clock), "old", CameraStatus.SUSPENDED, "works")
    write_status(
        db,
        ids["old"],
        now - timedelta(days=2),
        "stopped",
        reason="camera suspended",
        state_since=now - timedelta(days=2),
    )
    db.commit()
    return ids
