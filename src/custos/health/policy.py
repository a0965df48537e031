"""Pure rules of camera health: what state a camera is shown in, when it is red, what comes first.

A camera's state comes from two facts: what the registry says it should do (record, or not)
and what its recorder last reported. A recorder that has not reported for a while is not
running, whatever its last row says. The system as a whole is degraded when the recorders are
not running, when a camera has been down longer than the threshold, or when storage refuses
writes; it is down only when its database cannot be reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from custos.cameras.policy import CameraStatus
from custos.recording.policy import CameraState, GapReason

# A running supervisor rewrites every status row each round (5 s by default): a row older than
# this belongs to a recorder that is not running any more.
HEARTBEAT_STALE_SECONDS = 30.0

RECORDERS_NOT_RUNNING = "recorders not running"
DPIA_EXPIRED = str(GapReason.DPIA_EXPIRED)
CAMERA_SUSPENDED = str(GapReason.CAMERA_SUSPENDED)
CAMERA_DRAFT = "camera is a draft"

_ACTIVE, _SUSPENDED = CameraStatus.ACTIVE, CameraStatus.SUSPENDED
_STOPPED = CameraState.STOPPED
_SYSTEM_STOPPED = GapReason.SYSTEM_NOT_RUNNING


class HealthState(StrEnum):
    """What a camera is doing, as the health page shows it."""

    RECORDING = "recording"
    RECONNECTING = "reconnecting"
    DOWN = "down"
    STORAGE_REFUSED = "storage refused"
    SUSPENDED = "suspended"
    STOPPED = "stopped"


# Worst first: a red camera comes before every other, then the rest in this order.
_RANK = {
    HealthState.DOWN: 1,
    HealthState.STORAGE_REFUSED: 2,
    HealthState.RECONNECTING: 3,
    HealthState.RECORDING: 4,
    HealthState.SUSPENDED: 5,
    HealthState.STOPPED: 5,
}
_RED_RANK = 0
_NOT_RECORDING = (HealthState.SUSPENDED, HealthState.STOPPED)


@dataclass(frozen=True)
class Report:
    """What a camera's recorder last wrote in its status row."""

    state: str
    reason: str
    state_since: datetime
    heartbeat_at: datetime


@dataclass(frozen=True)
class Limits:
    """How old a heartbeat may be, and how long a camera may be down before it shows red."""

    stale_after: timedelta = timedelta(seconds=HEARTBEAT_STALE_SECONDS)
    down_after: timedelta = timedelta(seconds=120)


@dataclass(frozen=True)
class Verdict:
    """A camera's shown state, why, since when (None: not known), and whether it is red."""

    state: HealthState
    reason: str
    since: datetime | None
    red: bool

    def down_for(self, now: datetime) -> timedelta | None:
        """How long the camera has been down, or None when it is not down or nobody knows."""
        if self.state is not HealthState.DOWN or self.since is None:
            return None
        return max(timedelta(0), now - self.since)


def assess(
    registry_status: str,
    report: Report | None,
    now: datetime,
    limits: Limits,
    *,
    outage_since: datetime | None = None,
    registered_at: datetime | None = None,
) -> Verdict:
    """The state a camera is shown in.

    `outage_since` is the start of the camera's open gap, if it has one: a camera that is down
    has been down since its outage began, not since its recorder gave up reconnecting.
    `registered_at` stands in for when an active camera whose recorder never reported started
    to be missed.
    """
    if registry_status == _SUSPENDED:
        stopped = report is not None and report.state == _STOPPED
        since = report.state_since if report is not None and stopped else None
        # Suspended by the system because no impact assessment lets it record: say so.
        why = DPIA_EXPIRED if report is not None and report.reason == DPIA_EXPIRED else None
        return Verdict(HealthState.SUSPENDED, why or CAMERA_SUSPENDED, since, red=False)
    if registry_status != _ACTIVE:
        return Verdict(HealthState.STOPPED, CAMERA_DRAFT, None, red=False)
    if report is None:
        return _down(RECORDERS_NOT_RUNNING, registered_at, now, limits)
    if now - report.heartbeat_at > limits.stale_after:
        since = report.heartbeat_at
        if report.state == HealthState.DOWN:
            since = min(since, report.state_since)
        return _down(RECORDERS_NOT_RUNNING, since, now, limits)
    if report.state == _STOPPED:
        # A fresh clean stop: the whole system stopped, or this recorder is being replaced
        # (the camera's settings changed, or it was suspended and is active again).
        if report.reason == _SYSTEM_STOPPED:
            return _down(RECORDERS_NOT_RUNNING, report.state_since, now, limits)
        return Verdict(HealthState.RECONNECTING, report.reason, report.state_since, red=False)
    try:
        state = HealthState(report.state)
    except ValueError:
        state = HealthState.DOWN  # a state this version does not know: assume the worst
    if state is HealthState.DOWN:
        since = report.state_since
        if outage_since is not None:
            since = min(since, outage_since)
        return _down(report.reason, since, now, limits)
    return Verdict(state, report.reason, report.state_since, red=False)


def _down(reason: str, since: datetime | None, now: datetime, limits: Limits) -> Verdict:
    red = since is None or now - since > limits.down_after
    return Verdict(HealthState.DOWN, reason, since, red=red)


def worst_first(verdict: Verdict) -> tuple[int, float]:
    """A sort key: red first, then down, storage refused, reconnecting, recording, the rest.

    Within one kind, the camera in its state longest comes first.
    """
    rank = _RED_RANK if verdict.red else _RANK[verdict.state]
    since = verdict.since.timestamp() if verdict.since is not None else float("inf")
    return rank, since


class SystemStatus(StrEnum):
    """The answer of `/healthz`."""

    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True)
class Named:
    """A camera's verdict with its name, for the system verdict."""

    camera: str
    verdict: Verdict


@dataclass(frozen=True)
class SystemVerdict:
    """The system's status and the reasons it is not ok, worst first."""

    status: SystemStatus
    reasons: tuple[str, ...]


def system_verdict(
    cameras: Sequence[Named], now: datetime, storage_refusal: str | None = None
) -> SystemVerdict:
    """ok, or degraded with every reason: recorders not running, cameras down, storage refusing.

    The recorders count as not running when no active camera has a recorder reporting; one
    camera whose recorder is missing is that camera being down.
    """
    reasons: list[str] = []
    watched = [c for c in cameras if c.verdict.state not in _NOT_RECORDING]
    none_running = bool(watched) and all(c.verdict.reason == RECORDERS_NOT_RUNNING for c in watched)
    if none_running:
        reasons.append(RECORDERS_NOT_RUNNING)
    for named in sorted(cameras, key=lambda c: (worst_first(c.verdict), c.camera)):
        verdict = named.verdict
        if verdict.red and not none_running:
            down = verdict.down_for(now)
            how_long = f" for {_duration(down)}" if down is not None else ""
            reasons.append(f"camera {named.camera} down{how_long}: {verdict.reason}")
    refusing = sorted(c.camera for c in cameras if c.verdict.state is HealthState.STORAGE_REFUSED)
    if storage_refusal is not None:
        reasons.append(f"storage refuses writes: {storage_refusal}")
    elif refusing:
        reasons.append(f"storage refuses writes from {', '.join(refusing)}")
    if not reasons:
        return SystemVerdict(SystemStatus.OK, ())
    return SystemVerdict(SystemStatus.DEGRADED, tuple(reasons))


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def duration_text(span: timedelta | None) -> str:
    """A span as an operator reads it: 45 s, 12 min, 3 h 5 min; empty when unknown."""
    return "" if span is None else _duration(span)
