"""Pydantic shapes of camera input and output."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from custos.cameras.policy import (
    DEFAULT_SEGMENT_SECONDS,
    INITIAL_STATUSES,
    MAX_SEGMENT_SECONDS,
    MIN_SEGMENT_SECONDS,
    CameraCategory,
    CameraStatus,
    SensitivityTag,
    Withheld,
    camera_name_problem,
    normalise_source,
    redact_source,
)


class CameraCreate(BaseModel):
    """A camera to register."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Short unique name: lowercase letters, digits, '.', '_', '-'.")
    source_url: str = Field(
        description="rtsp://, rtsps://, http(s):// URL, or an absolute file path."
    )
    category: CameraCategory
    region: str = Field(min_length=1, max_length=128)
    operator_org: str = Field(default="", max_length=256)
    location: str = Field(default="", max_length=256)
    purpose: str = Field(default="", max_length=4000, description="The stated purpose.")
    tags: list[SensitivityTag] = Field(default_factory=list)
    record_audio: bool = Field(default=False, description="Keep the sound; dropped by default.")
    segment_seconds: int = Field(
        default=DEFAULT_SEGMENT_SECONDS,
        ge=MIN_SEGMENT_SECONDS,
        le=MAX_SEGMENT_SECONDS,
        description="Length of stored segments; cut at the first keyframe after it.",
    )
    status: CameraStatus = Field(
        default=CameraStatus.ACTIVE, description="draft or active at registration."
    )
    priority: int = Field(
        default=0,
        ge=0,
        le=100,
        description="Recorders claim cameras of higher priority first when short of room.",
    )
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    signage: str = Field(default="", max_length=2000, description="What signs tell people.")
    contact: str = Field(default="", max_length=256, description="Who answers the public.")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        problem = camera_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("source_url")
    @classmethod
    def _check_source(cls, value: str) -> str:
        return normalise_source(value)

    @field_validator("tags")
    @classmethod
    def _dedupe_tags(cls, value: list[SensitivityTag]) -> list[SensitivityTag]:
        return sorted(set(value))

    @field_validator("status")
    @classmethod
    def _check_initial_status(cls, value: CameraStatus) -> CameraStatus:
        if value not in INITIAL_STATUSES:
            raise ValueError("a new camera starts as draft or active")
        return value


class CameraUpdate(BaseModel):
    """Changes to a camera's description; the name and status change elsewhere."""

    model_config = ConfigDict(extra="forbid")

    source_url: str | None = None
    category: CameraCategory | None = None
    region: str | None = Field(default=None, min_length=1, max_length=128)
    operator_org: str | None = Field(default=None, max_length=256)
    location: str | None = Field(default=None, max_length=256)
    purpose: str | None = Field(default=None, max_length=4000)
    tags: list[SensitivityTag] | None = None
    record_audio: bool | None = None
    segment_seconds: int | None = Field(
        default=None, ge=MIN_SEGMENT_SECONDS, le=MAX_SEGMENT_SECONDS
    )
    priority: int | None = Field(default=None, ge=0, le=100)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    signage: str | None = Field(default=None, max_length=2000)
    contact: str | None = Field(default=None, max_length=256)

    @field_validator("source_url")
    @classmethod
    def _check_optional_source(cls, value: str | None) -> str | None:
        return None if value is None else normalise_source(value)


class RetentionChange(BaseModel):
    """How long a camera keeps footage, beyond the policy's default only with reasons."""

    model_config = ConfigDict(extra="forbid")

    days: float | None = Field(default=None, gt=0, description="None: the policy's default.")
    justification: str = Field(default="", max_length=4000)
    dpia_reference: str = Field(default="", max_length=128)


class WithholdIn(BaseModel):
    """Why a camera is kept off the public register: the reason counted in public, a note kept
    in the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: Withheld
    note: str = Field(min_length=1, max_length=4000)


class StatusChange(BaseModel):
    """Why a camera is suspended or activated."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=1000)


class CameraOut(BaseModel):
    """A camera as shown to users; credentials in the source are masked."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    source_url: str
    category: CameraCategory
    region: str
    operator_org: str
    location: str
    purpose: str
    tags: list[SensitivityTag]
    record_audio: bool
    segment_seconds: int
    priority: int
    retention_days: float | None
    status: CameraStatus
    latitude: float | None
    longitude: float | None
    signage: str
    contact: str
    withheld_reason: str
    created_at: datetime
    updated_at: datetime

    @field_validator("source_url")
    @classmethod
    def _mask(cls, value: str) -> str:
        return redact_source(value)


class ZoneCreate(BaseModel):
    """A privacy zone to add: corners as fractions (0..1) of the picture's width and height."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    points: list[tuple[float, float]] = Field(min_length=3, max_length=64)
    reason: str = Field(min_length=1, max_length=4000, description="Why it is masked.")


class ZoneRemoval(BaseModel):
    """Why a zone may now be recorded."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)


class ZoneOut(BaseModel):
    """A privacy zone as shown."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    points: list[tuple[float, float]]
    reason: str
    created_at: datetime
    created_by: str
