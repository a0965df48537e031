"""Every table of every domain, imported in one place so Alembic and the drift check see all."""

from custos.access.models import (
    AccessRequest,
    Bookmark,
    Grant,
    GrantWindow,
    PersonLink,
    RequestWindow,
    Viewing,
)
from custos.audit.models import (
    AuditCheckpoint,
    AuditCosignature,
    AuditEntry,
    AuditLogState,
    AuditNode,
    AuditWitness,
)
from custos.breaches.models import Breach
from custos.cameras.models import Camera, PrivacyZone
from custos.cases.models import Case, CaseMember, CasePerson
from custos.db import Base
from custos.devices.models import DeviceCopy, DeviceInspection
from custos.dpia.models import Assessment, AssessmentVersion
from custos.exports.models import Export, ExportRange, Recipient
from custos.health.models import HealthAlert
from custos.prepared.models import PreparedSegment
from custos.recording.models import CameraLease, DataKey, Recorder, RecordingGap, Segment
from custos.retention.models import (
    Alert,
    EmergencyRegime,
    ErasureIntent,
    HoldScope,
    Incident,
    LegalHold,
    RetentionPlanState,
    SunsetReport,
    incident_cameras,
)
from custos.schedule.models import JobRun
from custos.subjects.models import SubjectRequest
from custos.users.models import AccountRequest, ApiToken, LoginSession, LoginThrottle, User

metadata = Base.metadata

__all__ = [
    "AccessRequest",
    "AccountRequest",
    "Alert",
    "ApiToken",
    "Assessment",
    "AssessmentVersion",
    "AuditCheckpoint",
    "AuditCosignature",
    "AuditEntry",
    "AuditLogState",
    "AuditNode",
    "AuditWitness",
    "Bookmark",
    "Breach",
    "Camera",
    "CameraLease",
    "Case",
    "CaseMember",
    "CasePerson",
    "DataKey",
    "DeviceCopy",
    "DeviceInspection",
    "EmergencyRegime",
    "ErasureIntent",
    "Export",
    "ExportRange",
    "Grant",
    "GrantWindow",
    "HealthAlert",
    "HoldScope",
    "Incident",
    "JobRun",
    "LegalHold",
    "LoginSession",
    "LoginThrottle",
    "PersonLink",
    "PreparedSegment",
    "PrivacyZone",
    "Recipient",
    "Recorder",
    "RecordingGap",
    "RequestWindow",
    "RetentionPlanState",
    "Segment",
    "SubjectRequest",
    "SunsetReport",
    "User",
    "Viewing",
    "incident_cameras",
    "metadata",
]
