"""Retention state per camera, for the retention page: what is kept, until when, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.cameras.models import Camera
from custos.recording.models import Segment
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


def per_camera(session: Session) -> list[CameraRetention]:
    """Retention state of every camera."""
    live = Segment.erased_at.is_(None)
    rows = session.execute(
        sa.select(
            Camera.name,
            Camera.region,
            sa.func.count(Segment.id).filter(live),
            sa.func.coalesce(sa.func.sum(Segment.bytes).filter(live), 0),
            sa.func.min(Segment.started_at).filter(live),
            sa.func.min(Segment.expires_at).filter(live),
            sa.func.count(Segment.id).filter(
                live, Segment.retention_reason == Reason.LEGAL_HOLD.value
            ),
            sa.func.count(Segment.id).filter(
                live, Segment.retention_reason == Reason.INCIDENT.value
            ),
            sa.func.count(Segment.id).filter(
                live, Segment.retention_reason == Reason.EMERGENCY_SUNSET.value
            ),
            sa.func.count(Segment.id).filter(Segment.erased_at.is_not(None)),
        )
        .select_from(Camera)
        .outerjoin(Segment, Segment.camera_id == Camera.id)
        .group_by(Camera.id, Camera.name, Camera.region)
        .order_by(Camera.name)
    ).all()
    return [CameraRetention(*tuple(row)) for row in rows]
