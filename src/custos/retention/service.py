"""Retention in the database: gather the facts, ask the pure policy, keep the plan on each row.

Every segment carries its planned expiry (`segments.expires_at`, indexed). Whatever changes a
fact — a new segment, an incident marked or unmarked, a hold placed or released, a state of
emergency declared or ended, a camera's retention changed — replans exactly the segments it
touches. The sweeper then finds what is due by the index alone, so its cost follows what
expires, not the size of the archive, and it re-decides each candidate from fresh facts before
anything is erased.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from custos.audit.policy import Action
from custos.audit.service import record
from custos.cameras import service as cameras
from custos.clock import Clock
from custos.context import SYSTEM, Call, Context
from custos.errors import PolicyViolation
from custos.profile import LoadedProfile, Rules
from custos.recording import service as recording
from custos.recording.service import CameraFeed, Plan
from custos.retention import policy
from custos.retention.models import (
    EmergencyRegime,
    HoldScope,
    Incident,
    LegalHold,
    RetentionPlanState,
    incident_cameras,
)
from custos.retention.policy import (
    Decision,
    HoldFacts,
    IncidentFacts,
    Reason,
    RegimeFacts,
    SegmentFacts,
    Window,
)


@dataclass(frozen=True)
class Facts:
    """Incidents, live holds and regimes that may bear on a set of segments."""

    incidents: tuple[IncidentFacts, ...]
    holds: tuple[HoldFacts, ...]
    regimes: tuple[RegimeFacts, ...]


# What bears on segments of some cameras between two times, as statements built once: the
# recorders ask for every segment they store. Parameters: `cameras`; `start` and `end` of the
# segments; `incidents_from` and `incidents_until`, the same widened by the policy's padding.
_INCIDENTS = (
    sa.select(Incident)
    .join(incident_cameras, incident_cameras.c.incident_id == Incident.id)
    .where(
        incident_cameras.c.camera_id.in_(sa.bindparam("cameras", expanding=True)),
        Incident.unmarked_at.is_(None),
        Incident.starts_at < sa.bindparam("incidents_until"),
        Incident.ends_at > sa.bindparam("incidents_from"),
    )
    .distinct()
    # Their cameras come from the association table: no need to load the cameras.
    .options(lazyload(Incident.cameras))
)
_HOLDS = (
    sa.select(LegalHold)
    .join(HoldScope, HoldScope.hold_id == LegalHold.id)
    .where(
        LegalHold.released_at.is_(None),
        HoldScope.camera_id.in_(sa.bindparam("cameras", expanding=True)),
        HoldScope.starts_at < sa.bindparam("end"),
        HoldScope.ends_at > sa.bindparam("start"),
    )
    .distinct()
)
_REGIMES = sa.select(EmergencyRegime).where(
    EmergencyRegime.starts_at < sa.bindparam("end"),
    sa.or_(EmergencyRegime.ends_at.is_(None), EmergencyRegime.ends_at > sa.bindparam("start")),
)
# Whether any of them holds a row: for a new segment, almost always none.
_ANY_FACT = sa.select(sa.or_(_INCIDENTS.exists(), _HOLDS.exists(), _REGIMES.exists()))


def _window(
    cameras: Sequence[int], start: datetime, end: datetime, rules: Rules
) -> dict[str, object]:
    return {
        "cameras": cameras,
        "start": start,
        "end": end,
        "incidents_from": start - rules.pad_after,
        "incidents_until": end + rules.pad_before,
    }


def load_facts(
    session: Session, camera_ids: Iterable[int], start: datetime, end: datetime, rules: Rules
) -> Facts:
    """The facts touching cameras `camera_ids` between `start` and `end`."""
    cameras = sorted(set(camera_ids))
    if not cameras:
        return Facts((), (), ())
    window = _window(cameras, start, end, rules)
    incidents = list(session.scalars(_INCIDENTS, window))
    covered = incident_camera_ids(session, [i.id for i in incidents])
    holds = session.scalars(_HOLDS, window)
    regimes = session.scalars(_REGIMES, window)
    return Facts(
        tuple(incident_facts(i, covered.get(i.id, ())) for i in incidents),
        tuple(hold_facts(h) for h in holds),
        tuple(regime_facts(r) for r in regimes),
    )


def incident_camera_ids(session: Session, incident_ids: Iterable[int]) -> dict[int, set[int]]:
    """The ids of the cameras each incident covers, by incident id."""
    wanted = sorted(set(incident_ids))
    covered: dict[int, set[int]] = {}
    if not wanted:
        return covered
    for incident_id, camera_id in session.execute(
        sa.select(incident_cameras.c.incident_id, incident_cameras.c.camera_id).where(
            incident_cameras.c.incident_id.in_(wanted)
        )
    ):
        covered.setdefault(incident_id, set()).add(camera_id)
    return covered


def incident_facts(incident: Incident, camera_ids: Iterable[int]) -> IncidentFacts:
    """The facts of an incident that covers the cameras `camera_ids`."""
    return IncidentFacts(
        incident.id,
        frozenset(camera_ids),
        Window(incident.starts_at, incident.ends_at),
        incident.offence,
    )


def hold_facts(hold: LegalHold) -> HoldFacts:
    """The facts of a hold."""
    return HoldFacts(
        hold.id, tuple((s.camera_id, Window(s.starts_at, s.ends_at)) for s in hold.scopes)
    )


def regime_facts(regime: EmergencyRegime) -> RegimeFacts:
    """The facts of a state of emergency."""
    return RegimeFacts(regime.id, frozenset(regime.regions), regime.starts_at, regime.ends_at)


def camera_retention(days: float | None) -> timedelta | None:
    """A camera's justified extension, if it has one, from its days."""
    return None if days is None else timedelta(days=days)


def segment_facts(
    segment: recording.PlannedRow, extension: timedelta | None, sensitive: bool
) -> SegmentFacts:
    """The facts of a stored segment."""
    return SegmentFacts(
        segment.camera_id,
        segment.started_at,
        segment.ended_at,
        extension,
        segment.region,
        sensitive,
    )


def decide(facts: Facts, segment: SegmentFacts, rules: Rules) -> Decision:
    """The decision for one segment from gathered facts."""
    return policy.decide(segment, facts.incidents, facts.holds, facts.regimes, rules)


def decide_new(session: Session, segment: SegmentFacts, rules: Rules) -> Decision:
    """The decision for a segment about to be stored.

    One query first asks whether anything bears on it at all: recorders store a segment per
    camera every few seconds, and almost always nothing does.
    """
    camera, start, end = segment.camera_id, segment.started_at, segment.ended_at
    if session.connection().scalar(_ANY_FACT, _window([camera], start, end, rules)):
        facts = load_facts(session, [camera], start, end, rules)
    else:
        facts = Facts((), (), ())
    return decide(facts, segment, rules)


class SegmentPlanner:
    """Plans each new segment as the recorders store it (recording's planner)."""

    def __init__(self, rules: Rules) -> None:
        self._rules = rules

    def plan_new(
        self, session: Session, feed: CameraFeed, started_at: datetime, ended_at: datetime
    ) -> Plan:
        """The decision for a segment about to be stored, from the facts in the database."""
        days = feed.retention_days
        extension = None if days is None else timedelta(days=days)
        facts = SegmentFacts(feed.id, started_at, ended_at, extension, feed.region, feed.sensitive)
        decision = decide_new(session, facts, self._rules)
        return Plan(decision.expires_at, decision.reason.value, decision.detail)


_BATCH = 2000


def replan(
    session: Session,
    rules: Rules,
    camera_ids: Iterable[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Re-decide the live segments of `camera_ids` overlapping [start, end) (all if None).

    Returns how many segments changed plan. Does not commit: the caller's action does.
    """
    segments = recording.planned_segments(
        session,
        camera_ids,
        None if start is None else start - rules.pad_after,
        None if end is None else end + rules.pad_before,
    )
    extensions = {
        camera_id: camera_retention(days)
        for camera_id, days in cameras.retention_days(session).items()
    }
    sensitive = cameras.sensitive_ids(session)
    changed = 0
    for offset in range(0, len(segments), _BATCH):
        chunk = segments[offset : offset + _BATCH]
        facts = load_facts(
            session,
            {s.camera_id for s in chunk},
            min(s.started_at for s in chunk),
            max(s.ended_at for s in chunk),
            rules,
        )
        changes: list[recording.PlanChange] = []
        for segment in chunk:
            decision = decide(
                facts,
                segment_facts(
                    segment, extensions.get(segment.camera_id), segment.camera_id in sensitive
                ),
                rules,
            )
            if (segment.expires_at, segment.retention_reason, segment.retention_detail) != (
                decision.expires_at,
                decision.reason.value,
                decision.detail,
            ):
                changes.append(
                    (segment.id, decision.expires_at, decision.reason.value, decision.detail)
                )
        recording.write_plans(session, changes)
        changed += len(changes)
    session.flush()
    return changed


@dataclass(frozen=True)
class PlanItem:
    """One segment the plan says is due, and why."""

    segment_id: str
    camera: str
    started_at: datetime
    ended_at: datetime
    expires_at: datetime
    reason: Reason
    detail: str
    bytes: int


def due(session: Session, rules: Rules, at: datetime, limit: int | None = None) -> list[PlanItem]:
    """The live segments due for erasure by `at`, re-decided from fresh facts."""
    rows = recording.due_segments(session, at, limit)
    if not rows:
        return []
    names = cameras.camera_names(session)
    days = cameras.retention_days(session)
    sensitive = cameras.sensitive_ids(session)
    facts = load_facts(
        session,
        {row.camera_id for row in rows},
        min(row.started_at for row in rows),
        max(row.ended_at for row in rows),
        rules,
    )
    items = []
    for row in rows:
        extension = camera_retention(days[row.camera_id])
        segment = SegmentFacts(
            row.camera_id,
            row.started_at,
            row.ended_at,
            extension,
            row.region,
            row.camera_id in sensitive,
        )
        decision = decide(facts, segment, rules)
        if decision.expires_at is not None and decision.expires_at <= at:
            items.append(
                PlanItem(
                    row.id,
                    names[row.camera_id],
                    row.started_at,
                    row.ended_at,
                    decision.expires_at,
                    decision.reason,
                    decision.detail,
                    row.bytes,
                )
            )
    return items


def plan_summary(items: Sequence[PlanItem]) -> dict[str, int]:
    """How many planned erasures there are for each reason."""
    summary: dict[str, int] = {}
    for item in items:
        summary[item.reason.value] = summary.get(item.reason.value, 0) + 1
    return summary


PLAN_STATE_ID = 1


def plan_is_current(session: Session, loaded: LoadedProfile) -> bool:
    """Whether the stored plan was made with this very profile text."""
    state = session.get(RetentionPlanState, PLAN_STATE_ID)
    return state is not None and state.profile_sha256 == loaded.sha256


def apply_profile(session: Session, clock: Clock, loaded: LoadedProfile) -> int | None:
    """Replan every live segment if the profile changed since the last plan; returns the count.

    Returns None when the plan was already made with this profile.
    """
    state = session.get(RetentionPlanState, PLAN_STATE_ID)
    if state is not None and state.profile_sha256 == loaded.sha256:
        return None
    changed = replan(session, loaded.profile.retention_rules)
    previous = None if state is None else f"{state.profile_name} ({state.profile_sha256[:12]})"
    if state is None:
        session.add(
            RetentionPlanState(
                id=PLAN_STATE_ID,
                profile_name=loaded.profile.name,
                profile_sha256=loaded.sha256,
                planned_at=clock.now(),
            )
        )
    else:
        state.profile_name, state.profile_sha256 = loaded.profile.name, loaded.sha256
        state.planned_at = clock.now()
    record(
        session,
        clock,
        SYSTEM,
        Action.CONFIGURE,
        "retention.policy_applied",
        object_type="policy",
        object_id=loaded.profile.name,
        details={
            "version": loaded.profile.version,
            "sha256": loaded.sha256,
            "previous": previous,
            "segments_replanned": changed,
        },
    )
    session.commit()
    return changed


def set_camera_retention(
    call: Call,
    name: str,
    days: float | None,
    justification: str = "",
    dpia_reference: str = "",
) -> cameras.Camera:
    """Keep a camera's footage `days` (None: the default), within what the policy allows."""
    session, clock, profile = call.session, call.clock, call.profile
    section = profile.retention
    problem = policy.extension_problem(
        days,
        section.default_days,
        section.max_camera_days,
        justification,
        dpia_reference,
        section.extension_requires_justification,
        section.extension_requires_dpia,
    )
    if problem:
        raise PolicyViolation(f"camera {name}: {problem}")
    kept = None if days is None or days <= section.default_days else days
    camera = cameras.apply_retention(session, clock, name, kept, justification, dpia_reference)
    replan(session, call.rules, [camera.id])
    record(
        session,
        clock,
        call.actor,
        Action.CONFIGURE,
        "camera.retention_set",
        object_type="camera",
        object_id=name,
        context=Context(justification=camera.retention_justification or None),
        details={
            "days": camera.retention_days,
            "dpia": camera.retention_dpia_ref or None,
            "policy": profile.name,
        },
    )
    session.commit()
    return camera
