"""Retention state per camera, for the retention page: what is kept, until when, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.recording import service as recording
from custos.retention.policy import Reason


@dataclass(frozen=True)
class CameraRetention:
    """One camera's footage by retention class."""

    camera: str
    region: str
    segments: int
    bytes: int
    oldest: datetime | None
    next_expiry: datetime | None
    held: int
    incident: int
    sunset: int
    erased: int


@dataclass
class _Totals:
    segments: int = 0
    bytes: int = 0
    oldest: datetime | None = None
    next_expiry: datetime | None = None
    held: int = 0
    incident: int = 0
    sunset: int = 0
    erased: int = 0


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def per_camera(session: Session) -> list[CameraRetention]:
    """Retention state of every camera."""
    totals: dict[int, _Totals] = {}
    for row in recording.plan_totals(session):
        camera_id, erased, reason, count, size, oldest, next_expiry = row
        total = totals.setdefault(camera_id, _Totals())
        if erased:
            total.erased += count
            continue
        total.segments += count
        total.bytes += size
        total.oldest = _earliest(total.oldest, oldest)
        total.next_expiry = _earliest(total.next_expiry, next_expiry)
        if reason == Reason.LEGAL_HOLD.value:
            total.held += count
        elif reason == Reason.INCIDENT.value:
            total.incident += count
        elif reason == Reason.EMERGENCY_SUNSET.value:
            total.sunset += count
    rows = []
    for camera in cameras.list_cameras(session):
        total = totals.get(camera.id, _Totals())
        rows.append(
            CameraRetention(
                camera.name,
                camera.region,
                total.segments,
                total.bytes,
                total.oldest,
                total.next_expiry,
                total.held,
                total.incident,
                total.sunset,
                total.erased,
            )
        )
    return rows
