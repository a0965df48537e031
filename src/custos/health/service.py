"""Camera health as data: each camera's state and picture, the alerts, the system's figures.

Everything is read in the caller's session from the registry (`cameras.service`), the
recorders' status rows and the segment index (`recording.service`); raising and clearing an
alert is audited in the same transaction as the alert row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit import log as audit_log
from custos.audit.policy import Action
from custos.audit.service import record
from custos.breaches import service as breaches
from custos.cameras import service as cameras
from custos.context import Call
from custos.dpia import service as dpia
from custos.dpia.policy import Standing
from custos.health import policy
from custos.health.models import HealthAlert
from custos.health.policy import HealthState, Limits, Named, Report, SystemVerdict
from custos.recording import service as recording
from custos.retention import pressure
from custos.storage.blobs import BlobStore
from custos.subjects import service as subjects

CAMERA_DOWN = "camera_down"
DPIA_OVERDUE = "dpia_overdue"  # an impact assessment past its review date
BREACH_NOTICE_OVERDUE = "breach_notice_overdue"  # a breach not notified to the authority in time
SUBJECT_REQUEST_DUE = "subject_request_due"  # a person's request due within a day, or late
SUBJECT_WARNING = timedelta(days=1)  # how long before its deadline an open request alerts


@dataclass(frozen=True)
class CameraHealth:
    """One camera at a glance: its state and why, its picture, what it stored, its open gap."""

    camera: str
    region: str
    registry_status: str
    state: HealthState
    reason: str
    detail: str
    since: datetime | None
    red: bool
    last_segment_end: datetime | None
    last_segment_age_s: float | None
    lag_s: float | None
    bitrate_bps: float | None
    fps: float | None
    width: int | None
    height: int | None
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

    @property
    def resolution(self) -> str:
        """Width x height, or empty when no picture has been stored."""
        return f"{self.width}x{self.height}" if self.width and self.height else ""

    @property
    def running(self) -> bool:
        """Whether a recorder reports for this camera now."""
        return self.state in (
            HealthState.RECORDING,
            HealthState.RECONNECTING,
            HealthState.STORAGE_REFUSED,
        ) or (self.state is HealthState.DOWN and self.reason != policy.RECORDERS_NOT_RUNNING)


def limits_of(down_alert_seconds: float, stale_seconds: float | None = None) -> Limits:
    """The limits from the setting `camera_down_alert_seconds` (and a heartbeat limit)."""
    stale = policy.HEARTBEAT_STALE_SECONDS if stale_seconds is None else stale_seconds
    return Limits(
        stale_after=timedelta(seconds=stale), down_after=timedelta(seconds=down_alert_seconds)
    )


def camera_health(session: Session, limits: Limits, now: datetime) -> list[CameraHealth]:
    """Every registered camera's health, worst first (red, down, storage refused, ...)."""
    statuses = recording.recorder_statuses(session)
    gaps = recording.open_gaps(session)
    totals = recording.stored_totals(session)
    found = []
    for camera in cameras.list_cameras(session):
        row = statuses.get(camera.id)
        gap = gaps.get(camera.id)
        stored = totals.get(camera.id)
        report = (
            None
            if row is None
            else Report(row.state, row.reason, row.state_since, row.heartbeat_at)
        )
        verdict = policy.assess(
            camera.status.value,
            report,
            now,
            limits,
            outage_since=gap.started_at if gap is not None else None,
            registered_at=camera.updated_at,
        )
        last_end = stored.last_end if stored is not None else None
        if row is not None and row.last_segment_end is not None:
            last_end = max(last_end or row.last_segment_end, row.last_segment_end)
        fresh = row is not None and verdict.reason != policy.RECORDERS_NOT_RUNNING
        found.append(
            CameraHealth(
                camera=camera.name,
                region=camera.region,
                registry_status=camera.status.value,
                state=verdict.state,
                reason=verdict.reason,
                detail=row.detail if row is not None and fresh else "",
                since=verdict.since,
                red=verdict.red,
                last_segment_end=last_end,
                last_segment_age_s=(now - last_end).total_seconds() if last_end else None,
                lag_s=row.lag_s if row is not None and fresh else None,
                bitrate_bps=row.bitrate_bps if row is not None else None,
                fps=row.fps if row is not None else None,
                width=row.width if row is not None else None,
                height=row.height if row is not None else None,
                codec=row.codec if row is not None else "",
                reconnects=row.reconnects if row is not None else 0,
                segments_stored=stored.segments if stored is not None else 0,
                bytes_stored=stored.bytes if stored is not None else 0,
                open_gap_since=gap.started_at if gap is not None else None,
                open_gap_reason=gap.reason if gap is not None else "",
                heartbeat_at=row.heartbeat_at if row is not None else None,
                recorder=row.recorder if row is not None else "",
                spool_segments=row.spool_segments if row is not None and fresh else 0,
                spool_bytes=row.spool_bytes if row is not None and fresh else 0,
                segments_dropped=row.segments_dropped if row is not None else 0,
            )
        )
    found.sort(key=lambda health: (policy.worst_first(_verdict(health)), health.camera))
    return found


def _verdict(health: CameraHealth) -> policy.Verdict:
    return policy.Verdict(health.state, health.reason, health.since, health.red)


def system_verdict(
    session: Session, limits: Limits, now: datetime, health: Sequence[CameraHealth] | None = None
) -> SystemVerdict:
    """The system's status for `/healthz`: ok, or degraded with the reasons."""
    health = camera_health(session, limits, now) if health is None else health
    named = [Named(h.camera, _verdict(h)) for h in health]
    refusal = pressure.storage_refusal(session)
    return policy.system_verdict(named, now, refusal)


@dataclass(frozen=True)
class Evaluation:
    """The alerts one evaluation raised and cleared, by camera name."""

    raised: list[str]
    cleared: list[str]


def evaluate_alerts(call: Call, limits: Limits) -> Evaluation:
    """Raise an alert for each camera red now, clear those of cameras that record again.

    An alert is also cleared when its camera stops being active (suspended or made a draft):
    nobody expects it to record. Each change is audited; all commit together.
    """
    now = call.clock.now()
    health = {h.camera: h for h in camera_health(call.session, limits, now)}
    open_alerts = {alert.subject: alert for alert in active_alerts(call.session, CAMERA_DOWN)}
    raised, cleared = [], []
    for name, camera in sorted(health.items()):
        if camera.red and name not in open_alerts:
            detail = f"{camera.reason}: {camera.detail}" if camera.detail else camera.reason
            call.session.add(
                HealthAlert(kind=CAMERA_DOWN, subject=name, raised_at=now, detail=detail[:512])
            )
            record(
                call.session,
                call.clock,
                call.actor,
                Action.COLLECT,
                "health.alert_raised",
                object_type="camera",
                object_id=name,
                details={
                    "kind": CAMERA_DOWN,
                    "reason": camera.reason,
                    "since": camera.since.isoformat() if camera.since else None,
                },
            )
            raised.append(name)
    for name, alert in sorted(open_alerts.items()):
        now_health = health.get(name)
        if now_health is None:
            why = "camera no longer registered"
        elif now_health.state is HealthState.RECORDING:
            why = "recording again"
        elif now_health.state in (HealthState.SUSPENDED, HealthState.STOPPED):
            why = now_health.reason
        else:
            continue
        alert.cleared_at = now
        record(
            call.session,
            call.clock,
            call.actor,
            Action.COLLECT,
            "health.alert_cleared",
            object_type="camera",
            object_id=name,
            details={
                "kind": CAMERA_DOWN,
                "why": why,
                "seconds": round((now - alert.raised_at).total_seconds(), 3),
            },
        )
        cleared.append(name)
    call.session.commit()
    return Evaluation(raised, cleared)


def evaluate_assessment_alerts(call: Call) -> Evaluation:
    """Raise an alert for each impact assessment past its review date (its cameras stop once
    the grace period ends), clear it once a new version is approved; by reference."""
    now, grace = call.clock.now(), call.profile.dpia.grace_days
    late = {}
    for force in dpia.in_force(call.session, now, grace):
        if force.standing is Standing.CURRENT:
            continue
        stops = force.version.review_by + timedelta(days=grace)
        late[force.assessment.reference] = (
            f"review was due {force.version.review_by:%Y-%m-%d}; "
            f"its cameras stop on {stops:%Y-%m-%d} unless a new version is approved"
        )
    return _reconcile(call, DPIA_OVERDUE, "dpia", late, "reviewed")


def evaluate_breach_alerts(call: Call) -> Evaluation:
    """Raise an alert for each breach whose notice to the authority is past due and not sent,
    clear it once the sending is recorded; by reference."""
    late = {
        breach.reference: f"the notice to {call.profile.breach.authority} was due "
        f"{breach.due_at:%Y-%m-%d %H:%M} UTC and is not recorded as sent"
        for breach in breaches.overdue(call.session, call.clock.now())
    }
    return _reconcile(call, BREACH_NOTICE_OVERDUE, "breach", late, "notified")


def evaluate_subject_request_alerts(call: Call) -> Evaluation:
    """Raise an alert for each open data-subject request due within a day, or late, clear it
    once the request is answered or refused; by reference."""
    now = call.clock.now()
    wanted = {
        request.reference: (
            f"the answer to the person was due {request.due_at:%Y-%m-%d %H:%M} UTC: it is late"
            if request.due_at < now
            else f"the answer to the person is due {request.due_at:%Y-%m-%d %H:%M} UTC"
        )
        for request in subjects.due_soon(call.session, now, SUBJECT_WARNING)
    }
    return _reconcile(call, SUBJECT_REQUEST_DUE, "subject_request", wanted, "answered")


def _reconcile(
    call: Call, kind: str, object_type: str, wanted: dict[str, str], why_cleared: str
) -> Evaluation:
    """Make the open alerts of `kind` those of `wanted` (subject -> detail): raise the new
    ones, clear the others, each audited, in one transaction."""
    now = call.clock.now()
    open_alerts = {alert.subject: alert for alert in active_alerts(call.session, kind)}
    raised, cleared = [], []
    for subject, detail in sorted(wanted.items()):
        if subject in open_alerts:
            continue
        call.session.add(HealthAlert(kind=kind, subject=subject, raised_at=now, detail=detail))
        _alert_entry(
            call, "health.alert_raised", object_type, subject, {"kind": kind, "detail": detail}
        )
        raised.append(subject)
    for subject, alert in sorted(open_alerts.items()):
        if subject in wanted:
            continue
        alert.cleared_at = now
        _alert_entry(
            call, "health.alert_cleared", object_type, subject, {"kind": kind, "why": why_cleared}
        )
        cleared.append(subject)
    call.session.commit()
    return Evaluation(raised, cleared)


def _alert_entry(
    call: Call, event: str, object_type: str, subject: str, details: dict[str, str]
) -> None:
    record(
        call.session,
        call.clock,
        call.actor,
        Action.COLLECT,
        event,
        object_type=object_type,
        object_id=subject,
        details=details,
    )


def active_alerts(session: Session, kind: str | None = None) -> list[HealthAlert]:
    """The alerts not cleared yet, oldest first."""
    query = (
        sa.select(HealthAlert)
        .where(HealthAlert.cleared_at.is_(None))
        .order_by(HealthAlert.raised_at, HealthAlert.id)
    )
    if kind is not None:
        query = query.where(HealthAlert.kind == kind)
    return list(session.scalars(query))


def list_alerts(session: Session, limit: int = 100) -> list[HealthAlert]:
    """The latest alerts, cleared or not, newest first."""
    query = (
        sa.select(HealthAlert)
        .order_by(HealthAlert.raised_at.desc(), HealthAlert.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class SystemFigures:
    """What the system as a whole is doing, for the metrics (None: not known here)."""

    recorders_running: int
    spool_segments: int
    spool_bytes: int
    storage_free_bytes: int | None
    sweep_lag_s: float
    audit_log_entries: int
    checkpoint_age_s: float | None
    alerts_active: int


def system_figures(
    session: Session, blobs: BlobStore, now: datetime, health: Sequence[CameraHealth]
) -> SystemFigures:
    """The system's figures now, given the cameras' health just read."""
    running = [h for h in health if h.running]
    space = blobs.space()
    due = recording.oldest_due(session, now)
    latest = checkpoints.latest_checkpoint(session)
    return SystemFigures(
        recorders_running=len(running),
        spool_segments=sum(h.spool_segments for h in running),
        spool_bytes=sum(h.spool_bytes for h in running),
        storage_free_bytes=space.free if space is not None else None,
        sweep_lag_s=max(0.0, (now - due).total_seconds()) if due is not None else 0.0,
        audit_log_entries=audit_log.size(session),
        checkpoint_age_s=(now - latest.signed_at).total_seconds() if latest else None,
        alerts_active=len(active_alerts(session)),
    )
