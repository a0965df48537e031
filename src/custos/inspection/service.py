"""Compliance inspection: every finding over the whole system now, from each domain's facts.

Read only: it changes nothing, and holds its transaction only while it reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from custos.access import service as access
from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus
from custos.cases import service as cases
from custos.cases.models import Case
from custos.cases.policy import CaseStatus
from custos.dpia import service as dpia
from custos.dpia.policy import Standing, best_cover, zones_problem
from custos.errors import NotFound
from custos.inspection.policy import (
    DEFAULT,
    Finding,
    Severity,
    Thresholds,
    log_findings,
    requester_findings,
    sorted_findings,
)
from custos.profile import Profile
from custos.recording import service as recording
from custos.retention import holds
from custos.users import service as users


def inspect(
    session: Session, profile: Profile, now: datetime, limits: Thresholds = DEFAULT
) -> list[Finding]:
    """Every finding now, gravest first."""
    found = [
        *_assessments(session, profile, now),
        *_cameras(session, profile, now),
        *_retention(session, now, limits),
        *_access(session, now, limits),
        *_accounts(session),
    ]
    latest = checkpoints.latest_checkpoint(session)
    found += log_findings(
        now,
        log.size(session),
        latest.signed_at if latest else None,
        checkpoints.witness_count(session),
        checkpoints.last_cosigned_at(session),
        limits,
    )
    return sorted_findings(found)


def _assessments(session: Session, profile: Profile, now: datetime) -> list[Finding]:
    found = []
    for force in dpia.in_force(session, now, profile.dpia.grace_days):
        reference, version = force.assessment.reference, force.version
        if force.standing is not Standing.CURRENT:
            found.append(
                Finding(
                    "dpia_overdue",
                    Severity.HIGH if force.standing is Standing.EXPIRED else Severity.MEDIUM,
                    reference,
                    f"review was due {version.review_by:%Y-%m-%d}",
                )
            )
        if force.assessment.pre_existing and version.author == "system":
            found.append(
                Finding(
                    "dpia_pre_existing",
                    Severity.MEDIUM,
                    reference,
                    "generated for the cameras that recorded before assessments: review it",
                )
            )
    return found


def _cameras(session: Session, profile: Profile, now: datetime) -> list[Finding]:
    approved = dpia.assessed(session, now, profile.dpia.grace_days)
    zones = cameras.zones_by_camera(session)
    found = []
    for camera in cameras.list_cameras(session, CameraStatus.ACTIVE):
        cover = best_cover(cameras.facts_of(camera, bool(zones.get(camera.id))), approved)
        if cover is None or cover.standing is not Standing.CURRENT:
            why = f"{cover.reference} is {cover.standing.value}" if cover else "none covers it"
            found.append(
                Finding("camera_without_dpia", Severity.HIGH, camera.name, f"records; {why}")
            )
        if zones_problem(cameras.facts_of(camera, bool(zones.get(camera.id))), cover):
            found.append(
                Finding(
                    "sensitive_without_zones",
                    Severity.MEDIUM,
                    camera.name,
                    f"a {', '.join(camera.tags)} site with no privacy zone, and no statement "
                    "of why none is needed",
                )
            )
    return found


def _retention(session: Session, now: datetime, limits: Thresholds) -> list[Finding]:
    found = [
        Finding(
            "erasure_overdue",
            Severity.HIGH,
            camera,
            f"{count} segment(s) past their retention, the oldest due {oldest:%Y-%m-%d %H:%M} UTC",
        )
        for camera, (count, oldest) in sorted(
            recording.overdue_erasures(session, now - limits.erasure_slack).items()
        )
    ]
    live = holds.list_holds(session)
    for hold in live:
        try:
            case: Case | None = cases.get_case(session, hold.case_ref)
        except NotFound:
            case = None
        if case is None or case.status is CaseStatus.CLOSED:
            found.append(
                Finding(
                    "hold_without_case",
                    Severity.HIGH,
                    f"hold {hold.id}",
                    f"keeps footage for {hold.case_ref}, "
                    + ("which is no case here" if case is None else "a case that is closed"),
                )
            )
    for hold in holds.overdue(live, now):
        found.append(
            Finding(
                "hold_review_overdue",
                Severity.MEDIUM,
                f"hold {hold.id}",
                f"of case {hold.case_ref}: review was due {hold.review_due:%Y-%m-%d}",
            )
        )
    return found


def _access(session: Session, now: datetime, limits: Thresholds) -> list[Finding]:
    found = []
    for grant in access.unused_grants(session, now):
        ended = min(grant.expires_at, grant.revoked_at or grant.expires_at)
        found.append(
            Finding(
                "grant_never_used",
                Severity.LOW,
                grant.reference,
                f"held by {grant.holder}, ended {ended:%Y-%m-%d} without the footage opened",
            )
        )
    for link in access.links_to_look_at(session):
        if link.cleared_at is None:
            found.append(
                Finding(
                    "unmasking_without_person",
                    Severity.HIGH,
                    link.grant,
                    f"a track is named as {link.person}, whom the grant does not concern or "
                    "the case does not hold: someone is shown unmasked without a basis",
                )
            )
        else:
            found.append(
                Finding(
                    "unmasked_then_cleared",
                    Severity.MEDIUM,
                    link.grant,
                    f"{link.person} was shown unmasked from {link.linked_at:%Y-%m-%d} and "
                    f"cleared on {link.cleared_at:%Y-%m-%d}: check what was seen and exported",
                )
            )
    found += requester_findings(
        access.requests_by_requester(session, now - limits.request_window), limits
    )
    return found


def _accounts(session: Session) -> list[Finding]:
    return [
        Finding(
            "self_confirmed",
            Severity.HIGH,
            request.user_name,
            f"account change {request.id} ({request.kind.value}) confirmed by "
            f"{request.decided_by}, who asked for it",
        )
        for request in users.self_confirmed_requests(session)
    ]
