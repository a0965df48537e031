"""Camera health from the registry, the status rows and the index; alerts raised and cleared."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Call
from custos.health import service as health
from custos.health.policy import RECORDERS_NOT_RUNNING, HealthState, SystemStatus
from custos.runtime import Runtime
from health.conftest import write_status
from helpers import audit_events, call_of

LIMITS = health.limits_of(120)


def test_every_camera_worst_first_with_its_figures(
    site: dict[str, int], db: Session, clock: FrozenClock
) -> None:
    rows = health.camera_health(db, LIMITS, clock.now())
    assert [(r.camera, r.state, r.red) for r in rows] == [
        ("yard", HealthState.DOWN, True),
        ("hall", HealthState.DOWN, False),
        ("gate", HealthState.RECORDING, False),
        ("old", HealthState.SUSPENDED, False),
    ]
    yard, hall, gate, old = rows
    assert (yard.reason, yard.detail, yard.open_gap_reason) == (
        "connection refused",
        "[Errno 111] Connection refused",
        "connection refused",
    )
    assert yard.since == clock.now() - timedelta(minutes=5)  # from the start of the outage
    assert yard.open_gap_since == clock.now() - timedelta(minutes=5)
    assert yard.reconnects == 7
    assert (hall.reason, hall.heartbeat_at) == (RECORDERS_NOT_RUNNING, None)
    # The recorder's stored end is newer than the index's last segment.
    assert gate.last_segment_end == clock.now() - timedelta(seconds=4)
    assert gate.last_segment_age_s == 4
    assert (gate.segments_stored, gate.bytes_stored > 0) == (3, True)
    assert (gate.lag_s, gate.fps, gate.resolution, gate.codec) == (4.2, 15.0, "1280x720", "h264")
    assert old.reason == "camera suspended"


def test_a_stale_heartbeat_is_recorders_not_running(
    site: dict[str, int], db: Session, clock: FrozenClock
) -> None:
    clock.advance(timedelta(seconds=31))
    gate = next(r for r in health.camera_health(db, LIMITS, clock.now()) if r.camera == "gate")
    assert (gate.state, gate.reason, gate.red) == (HealthState.DOWN, RECORDERS_NOT_RUNNING, False)
    assert (gate.lag_s, gate.spool_segments) == (None, 0)  # old figures are not shown as now
    clock.advance(timedelta(minutes=3))
    verdict = health.system_verdict(db, LIMITS, clock.now())
    assert verdict.status is SystemStatus.DEGRADED
    assert verdict.reasons == (RECORDERS_NOT_RUNNING,)


def test_an_alert_is_raised_once_and_cleared_when_the_camera_records_again(
    site: dict[str, int], db: Session, clock: FrozenClock, call: Call
) -> None:
    result = health.evaluate_alerts(call, LIMITS)
    assert (result.raised, result.cleared) == (["yard"], [])
    [alert] = health.active_alerts(db)
    assert (alert.kind, alert.subject, alert.raised_at) == ("camera_down", "yard", clock.now())
    assert alert.detail == "connection refused: [Errno 111] Connection refused"
    [raised] = audit_events(db, event="health.alert_raised")
    assert (raised.object_id, raised.details["reason"]) == ("yard", "connection refused")

    clock.advance(timedelta(seconds=10))
    write_status(db, site["yard"], clock.now() - timedelta(seconds=2), "down", reason="x")
    assert health.evaluate_alerts(call, LIMITS).raised == []  # still down: no second alert
    assert len(health.active_alerts(db)) == 1

    write_status(db, site["yard"], clock.now(), "recording")
    result = health.evaluate_alerts(call, LIMITS)
    assert (result.raised, result.cleared) == ([], ["yard"])
    assert health.active_alerts(db) == []
    [cleared] = audit_events(db, event="health.alert_cleared")
    assert (cleared.object_id, cleared.details["why"], cleared.details["seconds"]) == (
        "yard",
        "recording again",
        10.0,
    )
    assert [a.cleared_at for a in health.list_alerts(db)] == [clock.now()]


def test_the_alert_of_a_camera_suspended_meanwhile_is_cleared(
    site: dict[str, int], db: Session, clock: FrozenClock, call: Call
) -> None:
    from custos.cameras import service as cameras
    from custos.cameras.policy import CameraStatus

    health.evaluate_alerts(call, LIMITS)
    cameras.set_status(call_of(db, clock), "yard", CameraStatus.SUSPENDED, "replaced")
    assert health.evaluate_alerts(call, LIMITS).cleared == ["yard"]


def test_system_figures(
    site: dict[str, int], db: Session, clock: FrozenClock, runtime: Runtime, call: Call
) -> None:
    health.evaluate_alerts(call, LIMITS)
    rows = health.camera_health(db, LIMITS, clock.now())
    figures = health.system_figures(db, runtime.blobs, clock.now(), rows)
    assert figures.recorders_running == 2  # gate records; yard's recorder reports it down
    assert (figures.spool_segments, figures.spool_bytes) == (2, 5000)
    assert figures.storage_free_bytes is None  # the memory store has no capacity
    assert figures.sweep_lag_s == 0
    assert figures.audit_log_entries > 0
    assert figures.checkpoint_age_s is None
    assert figures.alerts_active == 1
