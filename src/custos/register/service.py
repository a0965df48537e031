"""The public camera register, read from the registry, the impact assessments and the policy.

Nothing here is personal data: cameras, their operators, purposes and places (on the profile's
grid), their assessments' public summaries. Withheld cameras appear only in the counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus
from custos.dpia import service as dpia
from custos.dpia.policy import best_cover
from custos.profile import Profile
from custos.register.policy import CATEGORY_TITLES, coarsen, withheld_counts


@dataclass(frozen=True)
class Entry:
    """One camera as the public sees it."""

    camera: str
    operator: str
    category: str
    category_title: str
    purpose: str
    region: str
    location: str
    latitude: float | None
    longitude: float | None
    status: str
    dpia: str
    dpia_standing: str
    dpia_summary: str
    retention_days: float
    sensitive: list[str]
    signage: str
    contact: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Register:
    """The register at a moment: its entries, and how many cameras are withheld for what."""

    at: datetime
    grid_degrees: float
    entries: list[Entry]
    withheld: dict[str, int]


def register(session: Session, profile: Profile, now: datetime, contact: str) -> Register:
    """The public register now; `contact` answers for a camera that names no contact of its
    own."""
    grace = profile.dpia.grace_days
    approved = {f.assessment.reference: f for f in dpia.in_force(session, now, grace)}
    assessed = [f.assessed for f in approved.values()]
    grid = profile.public_register.grid_degrees
    entries, withheld = [], []
    for camera in cameras.list_cameras(session):
        if camera.status is CameraStatus.DRAFT:
            continue  # not yet in service
        if camera.withheld_reason:
            withheld.append(camera.withheld_reason)
            continue
        cover = best_cover(cameras.facts_of(camera), assessed)
        force = approved[cover.reference] if cover else None
        place = (
            coarsen(camera.latitude, camera.longitude, grid)
            if camera.latitude is not None and camera.longitude is not None
            else (None, None)
        )
        entries.append(
            Entry(
                camera=camera.name,
                operator=camera.operator_org,
                category=camera.category.value,
                category_title=CATEGORY_TITLES[camera.category.value],
                purpose=camera.purpose,
                region=camera.region,
                location=camera.location,
                latitude=place[0],
                longitude=place[1],
                status=camera.status.value,
                dpia=cover.reference if cover else "",
                dpia_standing=cover.standing.value if cover else "none",
                dpia_summary=force.version.public_summary if force else "",
                retention_days=camera.retention_days or profile.retention.default_days,
                sensitive=sorted(camera.tags),
                signage=camera.signage,
                contact=camera.contact or contact,
            )
        )
    return Register(now, grid, entries, withheld_counts(withheld))
