"""Pydantic shapes of health output: a camera at a glance, an alert."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from custos.health.policy import HealthState


class CameraHealthOut(BaseModel):
    """One camera's health, as the health page shows it."""

    model_config = ConfigDict(from_attributes=True)

    camera: str
    region: str
    registry_status: str = Field(description="What the registry says: active, suspended, draft.")
    state: HealthState
    reason: str = Field(description="Why the camera is in its state, in plain words.")
    detail: str = Field(description="What went wrong in technical terms, if anything.")
    since: datetime | None = Field(description="When the camera entered its state (UTC).")
    red: bool = Field(description="Down longer than `camera_down_alert_seconds`.")
    last_segment_end: datetime | None
    last_segment_age_s: float | None
    lag_s: float | None = Field(description="How far stored footage trails real time.")
    bitrate_bps: float | None
    fps: float | None
    width: int | None
    height: int | None
    resolution: str
    codec: str
    reconnects: int
    segments_stored: int
    bytes_stored: int
    open_gap_since: datetime | None
    open_gap_reason: str
    heartbeat_at: datetime | None
    recorder: str
    spool_segments: int
    spool_bytes: int
    segments_dropped: int


class AlertOut(BaseModel):
    """An alert: what, about which camera, since when, and when it was cleared."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    subject: str
    raised_at: datetime
    cleared_at: datetime | None
    detail: str
