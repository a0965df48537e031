"""The record of processing activities (GDPR art. 30, LED art. 24), generated from what the
system runs on: the settings, the policy in force, the camera registry, the impact
assessments and the recipients list. It changes when they change; nothing in it is typed twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus
from custos.dpia import service as dpia
from custos.exports import service as exports
from custos.exports.policy import ROLE_NAMES
from custos.profile import Profile
from custos.register.policy import CATEGORY_TITLES

SECURITY = (
    "Each segment encrypted with AES-256-GCM under its own key, wrapped by a key-encryption key",
    "Erasure by destroying the segment's key (crypto-shredding), proven in the audit log",
    "Everyone not involved masked in every picture shown or exported; privacy zones never stored",
    "Footage reached only inside a case, after another person approves; grants expire",
    "Second factor for approvers, data protection officers and administrators",
    "Every action in an append-only Merkle audit log, checkpoints signed and witnessed",
    "Exports signed (C2PA content credentials, signed manifest) and delivered by expiring links",
)
PASSERS_BY = "people passing within view of the cameras"
PICTURES = "video pictures of people and vehicles (faces and licence plates masked when shown)"
SOUND = "sound"
TIMES_AND_PLACES = "times and places of recording"
NO_TRANSFERS = "none"
WORDING = (*SECURITY, PASSERS_BY, PICTURES, SOUND, TIMES_AND_PLACES, NO_TRANSFERS)
"""The record's fixed phrases, which the pages show in the reader's language."""


def processing_record(
    session: Session, profile: Profile, now: datetime, controller: str, contact: str
) -> dict[str, Any]:
    """The record as of `now`."""
    registered = [c for c in cameras.list_cameras(session) if c.status is not CameraStatus.DRAFT]
    grace = profile.dpia.grace_days
    in_force = dpia.in_force(session, now, grace)
    listed = Counter(ROLE_NAMES[r.role] for r in exports.recipients(session))
    retention = profile.retention
    return {
        "at": now.isoformat(),
        "controller": {"name": controller, "contact": contact},
        "policy": {"name": profile.name, "version": profile.version, "title": profile.title},
        "purposes": sorted({c.purpose for c in registered if c.purpose}),
        "legal_grounds": [{"code": g.code, "title": g.title} for g in profile.grounds],
        "data_subjects": [
            PASSERS_BY,
            *sorted(
                {
                    f"vulnerable groups named by {f.assessment.reference}: "
                    f"{f.version.vulnerable_groups}"
                    for f in in_force
                }
            ),
        ],
        "data": [
            PICTURES,
            *([SOUND] if any(c.record_audio for c in registered) else []),
            TIMES_AND_PLACES,
        ],
        "cameras": {
            "in_service": len(registered),
            "by_category": dict(
                sorted(Counter(CATEGORY_TITLES[c.category.value] for c in registered).items())
            ),
            "by_region": dict(sorted(Counter(c.region for c in registered).items())),
            "at_sensitive_sites": sum(1 for c in registered if c.tags),
        },
        "recipients": dict(sorted(listed.items())),
        "transfers_abroad": NO_TRANSFERS,
        "retention": {
            "default_days": retention.default_days,
            "incident_days": retention.incident_days,
            "longest_for_a_camera_days": retention.max_camera_days,
            "emergency_grace_days": profile.emergency.grace_days,
        },
        "impact_assessments": [
            {
                "reference": f.assessment.reference,
                "title": f.version.title,
                "version": f.version.version,
                "standing": f.standing.value,
                "review_by": f.version.review_by.date().isoformat(),
                "scope": f.version.scope,
            }
            for f in in_force
        ],
        "security": list(SECURITY),
    }
