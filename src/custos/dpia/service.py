"""The registry of impact assessments: drafting, approval by another person (a DPO), and the
approved versions the camera gate and the public register read.

A version is written by its author while it is a draft; a DPO who is not its author approves
it, after which it never changes: a change is a new version, drafted and approved again.
Approving a version supersedes the one approved before. Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.policy import Action
from custos.audit.service import record
from custos.context import Call
from custos.dpia.models import Assessment, AssessmentVersion
from custos.dpia.policy import (
    Assessed,
    CameraFacts,
    Content,
    Standing,
    VersionState,
    activation_problem,
    approval_problem,
    best_cover,
    content_problem,
    standing,
    zones_problem,
)
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound
from custos.permissions import Role

FIELDS = (
    "title",
    "description",
    "purposes",
    "necessity",
    "risks",
    "vulnerable_groups",
    "measures",
    "zones_not_needed",
    "dpo_opinion",
    "public_summary",
)


def _fill(version: AssessmentVersion, content: Content) -> None:
    for field in FIELDS:
        setattr(version, field, str(getattr(content, field)).strip())
    version.consultation = [[body.strip(), answer.strip()] for body, answer in content.consultation]
    version.scope = sorted({entry.strip() for entry in content.scope if entry.strip()})
    version.analytics = sorted(set(content.analytics))
    version.review_by = content.review_by


def content_of(version: AssessmentVersion) -> Content:
    """What a version says, as the rules read it."""
    return Content(
        title=version.title,
        description=version.description,
        purposes=version.purposes,
        necessity=version.necessity,
        risks=version.risks,
        vulnerable_groups=version.vulnerable_groups,
        measures=version.measures,
        consultation=tuple((body, answer) for body, answer in version.consultation),
        dpo_opinion=version.dpo_opinion,
        scope=tuple(version.scope),
        analytics=tuple(version.analytics),
        review_by=version.review_by,
        public_summary=version.public_summary,
        zones_not_needed=version.zones_not_needed,
    )


def _check(call: Call, content: Content) -> None:
    problem = content_problem(content, call.clock.now(), call.profile.dpia.longest_review_days)
    if problem:
        field, message = problem
        raise InvalidInput(message, field=field)


def draft(call: Call, content: Content, reference: str | None = None) -> AssessmentVersion:
    """Write a draft: a new assessment (no `reference`), the next version of an approved one,
    or changes to a draft its author is writing. Checked as for approval, so that a draft
    that is saved can be approved as it stands."""
    session, clock, actor = call.session, call.clock, call.actor
    _check(call, content)
    now = clock.now()
    if reference is None:
        number = (session.scalar(sa.select(sa.func.max(Assessment.id))) or 0) + 1
        assessment = Assessment(
            reference=f"DPIA-{number}", created_at=now, created_by=actor.name, pre_existing=False
        )
        session.add(assessment)
        session.flush()
        latest = None
    else:
        assessment = get_assessment(session, reference)
        latest = assessment.versions[-1] if assessment.versions else None
    if latest is not None and latest.state is VersionState.DRAFT:
        if latest.author != actor.name:
            raise Forbidden(f"{latest.author} is writing version {latest.version}")
        version = latest
    else:
        version = AssessmentVersion(
            dpia_id=assessment.id,
            version=(latest.version + 1) if latest else 1,
            state=VersionState.DRAFT,
            author=actor.name,
            written_at=now,
            approved_by=None,
            approved_at=None,
            superseded_at=None,
        )
        session.add(version)
    _fill(version, content)
    version.written_at = now
    session.flush()
    record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "dpia.drafted",
        object_type="dpia",
        object_id=assessment.reference,
        details={"version": version.version, "scope": version.scope, "title": version.title},
    )
    session.commit()
    session.refresh(assessment)
    return version


def approve(call: Call, reference: str, version_number: int) -> AssessmentVersion:
    """Approve a draft version (a DPO who did not write it); the version approved before is
    superseded."""
    session, clock, actor = call.session, call.clock, call.actor
    assessment = get_assessment(session, reference)
    version = _version(assessment, version_number)
    if version.state is not VersionState.DRAFT:
        raise Conflict(f"{reference} version {version.version} is {version.state.value}")
    problem = approval_problem(version.author, actor.name, actor.role == Role.DPO.value)
    if problem:
        raise Forbidden(problem)
    _check(call, content_of(version))
    now = clock.now()
    for earlier in assessment.versions:
        if earlier.state is VersionState.APPROVED:
            earlier.state, earlier.superseded_at = VersionState.SUPERSEDED, now
    version.state, version.approved_by, version.approved_at = VersionState.APPROVED, actor.name, now
    record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "dpia.approved",
        object_type="dpia",
        object_id=reference,
        details={
            "version": version.version,
            "author": version.author,
            "scope": version.scope,
            "analytics": version.analytics,
            "review_by": version.review_by.isoformat(),
        },
    )
    session.commit()
    return version


def _version(assessment: Assessment, number: int) -> AssessmentVersion:
    found = next((v for v in assessment.versions if v.version == number), None)
    if found is None:
        raise NotFound(f"{assessment.reference} has no version {number}")
    return found


def get_assessment(session: Session, reference: str) -> Assessment:
    found = session.scalar(sa.select(Assessment).where(Assessment.reference == reference))
    if found is None:
        raise NotFound(f"no impact assessment {reference}")
    return found


def reference_of(session: Session, version: AssessmentVersion) -> str:
    """The reference of the assessment a version belongs to."""
    assessment = session.get(Assessment, version.dpia_id)
    assert assessment is not None  # a foreign key
    return assessment.reference


def assessments(session: Session) -> list[Assessment]:
    """Every assessment, by reference number."""
    return list(session.scalars(sa.select(Assessment).order_by(Assessment.id)))


def approved_version(assessment: Assessment) -> AssessmentVersion | None:
    """The version in force, if one was approved."""
    return next((v for v in assessment.versions if v.state is VersionState.APPROVED), None)


@dataclass(frozen=True)
class InForce:
    """An assessment's approved version and where it stands now."""

    assessment: Assessment
    version: AssessmentVersion
    standing: Standing

    @property
    def assessed(self) -> Assessed:
        return Assessed(
            self.assessment.reference,
            tuple(self.version.scope),
            tuple(self.version.analytics),
            self.standing,
            self.version.zones_not_needed,
        )


def in_force(session: Session, now: datetime, grace_days: float) -> list[InForce]:
    """The approved version of every assessment that has one, with its standing at `now`."""
    found = []
    for assessment in assessments(session):
        version = approved_version(assessment)
        if version is not None:
            found.append(InForce(assessment, version, standing_of(version, now, grace_days)))
    return found


def standing_of(version: AssessmentVersion, now: datetime, grace_days: float) -> Standing:
    """Where an approved version stands at `now`."""
    return standing(version.review_by, now, grace_days)


def assessed(session: Session, now: datetime, grace_days: float) -> list[Assessed]:
    """Every approved assessment as the rules read it, with its standing at `now`."""
    return [force.assessed for force in in_force(session, now, grace_days)]


def zones_gate(call: Call, camera: CameraFacts) -> None:
    """Refuse (Conflict) to let a recording camera at a sensitive site lose its last privacy
    zone unless its assessment states why none is needed."""
    approved = assessed(call.session, call.clock.now(), call.profile.dpia.grace_days)
    problem = zones_problem(camera, best_cover(camera, approved))
    if problem:
        raise Conflict(problem)


def gate(call: Call, camera: CameraFacts) -> None:
    """Refuse (Conflict) to let `camera` start recording unless a current approved assessment
    covers it."""
    approved = assessed(call.session, call.clock.now(), call.profile.dpia.grace_days)
    problem = activation_problem(camera, approved)
    if problem:
        raise Conflict(problem)
