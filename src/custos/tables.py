"""Every table of every domain, imported in one place so Alembic and the drift check see all."""

from custos.audit.models import (
    AuditCheckpoint,
    AuditCosignature,
    AuditEntry,
    AuditLogState,
    AuditNode,
    AuditWitness,
)
from custos.cameras.models import Camera
from custos.db import Base
from custos.recording.models import DataKey, RecordingGap, Segment
from custos.users.models import ApiToken, LoginSession, User

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditCosignature",
    "AuditEntry",
    "AuditLogState",
    "AuditNode",
    "AuditWitness",
    "Camera",
    "DataKey",
    "LoginSession",
    "RecordingGap",
    "Segment",
    "User",
    "metadata",
]
