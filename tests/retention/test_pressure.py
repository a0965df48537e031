"""Storage pressure: oldest ordinary footage goes early, protected footage never; then an alert."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.errors import StorageError
from custos.recording.media import SegmentFile
from custos.recording.models import Segment
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention import incidents, pressure
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.retention.sweeper import Sweeper
from custos.runtime import Runtime
from custos.storage.blobs import MemoryBlobStore
from helpers import audit_events, call_of, named_segments
from retention.conftest import check_consistent


def _sizes(runtime: Runtime) -> int:
    blobs = runtime.blobs
    assert isinstance(blobs, MemoryBlobStore)
    return sum(map(len, blobs.blobs.values()))


def test_pressure_erases_oldest_ordinary_then_stops_recording(
    runtime: Runtime,
    db: Session,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    piece: SegmentFile,
) -> None:
    start = clock.now()
    ordinary = archive("street", start, 6)
    protected = archive("bank", start, 4)
    clock.advance(timedelta(minutes=30))
    with runtime.sessions() as session:
        incidents.mark(
            call_of(session, clock),
            cameras=["bank"],
            start=start,
            end=start + timedelta(seconds=40),
            description="robbery",
            reference="report 2",
            justification="evidence",
            offence=True,
        )
    blobs = runtime.blobs
    assert isinstance(blobs, MemoryBlobStore)
    one = len(piece.data) + 16
    # A capacity at which 10 % free means one and a half segments too many: two must go.
    blobs.capacity = int((_sizes(runtime) - 1.5 * one) / 0.9)
    sweeper = Sweeper(runtime.sessions, clock, blobs, runtime.rules)
    result = pressure.relieve(runtime.sessions, clock, blobs, sweeper, 10)
    assert (result.erased, result.exhausted) == (2, False)
    erased = set(db.scalars(sa.select(Segment.id).where(Segment.erased_at.is_not(None))))
    assert erased == set(ordinary[:2])  # the oldest two
    early = audit_events(db, event="retention.segments_erased_early")
    named = named_segments(db, "retention.segments_erased_early")
    assert sorted(segment["id"] for segment in named) == sorted(ordinary[:2])
    assert {e.details["reason"] for e in early} == {"storage_pressure"}
    assert {e.object_id for e in early} == {"street"}

    # So full that even with every ordinary segment gone only 5 % would be free.
    blobs.capacity = int(4 * one / 0.95)
    result = pressure.relieve(runtime.sessions, clock, blobs, sweeper, 10)
    assert (result.erased, result.exhausted) == (4, True)
    assert all(db.get(Segment, sid).erased_at is None for sid in protected)  # type: ignore[union-attr]
    with runtime.sessions() as session:
        [alert] = pressure.active_alerts(session)
    assert "recording has stopped" in alert.message
    writer = SegmentWriter(
        runtime.sessions,
        clock,
        runtime.sealer,
        blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )
    feed = CameraFeed(1, "street", "rtsp://x/y", False, 10, "Almaty")
    with pytest.raises(StorageError, match="recording stopped"):
        writer.store(feed, piece, clock.now())
    check_consistent(db, runtime)

    blobs.capacity = 10 * _sizes(runtime)  # space again: the alert clears
    assert not pressure.relieve(runtime.sessions, clock, blobs, sweeper, 10).exhausted
    with runtime.sessions() as session:
        assert pressure.active_alerts(session) == []


def test_a_recorders_gate_keeps_its_answer_for_a_while_then_asks_again(
    runtime: Runtime, clock: FrozenClock
) -> None:
    kept, fresh = ExhaustionGate(keep_for=0.5), ExhaustionGate()
    assert kept.refusal(runtime.sessions) is None
    pressure.raise_alert(runtime.sessions, clock, pressure.STORAGE_EXHAUSTED, "storage is full")
    assert fresh.refusal(runtime.sessions) is not None  # without keep_for: asked every time
    assert kept.refusal(runtime.sessions) is None  # the answer of a moment ago
    time.sleep(0.6)
    assert "recording stopped" in (kept.refusal(runtime.sessions) or "")
    pressure.clear_alert(runtime.sessions, clock, pressure.STORAGE_EXHAUSTED)
    assert kept.refusal(runtime.sessions) is not None
    time.sleep(0.6)
    assert kept.refusal(runtime.sessions) is None
