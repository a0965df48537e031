"""Camera leases on a real database: one claim wins, stale holders are fenced, hand-overs."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Actor
from custos.db import create_engine, migrate, session_factory
from custos.recording.leases import Candidate, Claim, LeaseLost, Leases
from custos.recording.models import CameraLease, RecordingGap, Segment
from custos.recording.policy import GapReason
from custos.recording.service import CameraFeed, SegmentWriter
from custos.recording.supervisor import RecordingSupervisor
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from helpers import (
    audit_events,
    create_postgres_database,
    drop_postgres_database,
    fast_recorders,
    register_camera,
    segments_of,
    standing_assessment,
    wait_for,
)

TTL = timedelta(seconds=9)
ACTOR = Actor(name="recorder@test", role="system")


def _leases(runtime: Runtime, name: str, capacity: int = 10) -> Leases:
    return Leases(runtime.sessions, runtime.clock, ACTOR, name=name, capacity=capacity, ttl=TTL)


def _claim(leases: Leases, cameras: list[Candidate], held: int) -> list[Claim]:
    return leases.claim(cameras, held, leases.share(len(cameras)))


def _writer(runtime: Runtime, holder: str, epoch: int) -> SegmentWriter:
    return SegmentWriter(
        runtime.sessions,
        runtime.clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
        holder=holder,
        epoch=epoch,
    )


@pytest.fixture
def gate(runtime: Runtime) -> tuple[CameraFeed, Candidate]:
    camera_id = register_camera(runtime, "gate", "rtsp://10.0.0.1/live")
    return (
        CameraFeed(camera_id, "gate", "rtsp://10.0.0.1/live", False, 2),
        Candidate(camera_id, "gate", 0),
    )


def test_of_two_recorders_claiming_at_once_one_wins_and_the_other_is_fenced(
    runtime: Runtime, gate: tuple[CameraFeed, Candidate], clip: Path, db: Session
) -> None:
    feed, camera = gate
    first, second = _leases(runtime, "r1"), _leases(runtime, "r2")
    # Both look before either claims: each sees the camera free.
    [offer_1], [offer_2] = first.offers([camera]), second.offers([camera])
    won = first.take(offer_1)
    assert won is not None
    assert won.epoch == 1
    assert second.take(offer_2) is None
    assert second.renew() == {}
    assert first.renew() == {camera.id: 1}
    # The loser, writing as if it had won, is refused; the winner's writes go through.
    segment = segments_of(clip, 2)[0]
    with pytest.raises(LeaseLost):
        _writer(runtime, "r2", 1).store(feed, segment, runtime.clock.now())
    with pytest.raises(LeaseLost):
        _writer(runtime, "r2", 1).open_gap(feed, runtime.clock.now(), "stream ended")
    stored = _writer(runtime, "r1", 1).store(feed, segment, runtime.clock.now())
    row = db.get(Segment, stored.id)
    assert row is not None
    assert row.epoch == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(Segment)) == 1
    [claimed] = audit_events(db, event="recording.camera_claimed")
    assert claimed.details == {"recorder": "r1", "epoch": 1, "from": None, "reason": None}


def test_a_holder_that_stops_renewing_loses_the_camera_and_its_writes(
    runtime: Runtime,
    gate: tuple[CameraFeed, Candidate],
    clip: Path,
    clock: FrozenClock,
    db: Session,
) -> None:
    feed, camera = gate
    first, second = _leases(runtime, "r1"), _leases(runtime, "r2")
    [won] = _claim(first, [camera], 0)
    old = _writer(runtime, "r1", won.epoch)
    old.store(feed, segments_of(clip, 2)[0], runtime.clock.now())
    assert _claim(second, [camera], 0) == []  # held, and its lease runs
    clock.advance(TTL + timedelta(seconds=1))
    [taken] = _claim(second, [camera], 0)
    assert (taken.epoch, taken.reason) == (2, GapReason.RECORDER_FAILED_OVER)
    assert first.renew() == {}  # it finds out at its next round
    segment = segments_of(clip, 2)[0]
    with pytest.raises(LeaseLost):
        old.store(feed, segment, runtime.clock.now())
    with pytest.raises(LeaseLost):
        old.open_gap(feed, runtime.clock.now(), "stream ended")
    new = _writer(runtime, "r2", 2)
    gap = new.open_gap(feed, runtime.clock.now(), GapReason.RECORDER_FAILED_OVER)
    new.store(feed, segment, runtime.clock.now())
    assert db.get(RecordingGap, gap).epoch == 2  # type: ignore[union-attr]
    epochs = db.scalars(sa.select(Segment.epoch).order_by(Segment.started_at)).all()
    assert epochs == [1, 2]


def test_a_camera_let_go_is_handed_over_at_once(
    runtime: Runtime, gate: tuple[CameraFeed, Candidate], db: Session
) -> None:
    _, camera = gate
    first, second = _leases(runtime, "r1"), _leases(runtime, "r2")
    _claim(first, [camera], 0)
    first.release([(camera.id, "gate")])
    [taken] = _claim(second, [camera], 0)
    assert (taken.epoch, taken.reason) == (2, None)  # its last run's status says why
    [released] = audit_events(db, event="recording.cameras_released")
    assert released.details == {"recorder": "r1", "cameras": ["gate"]}


def test_recorders_share_cameras_and_take_the_higher_priority_first(
    runtime: Runtime, db: Session
) -> None:
    cameras = [
        Candidate(register_camera(runtime, f"c{n}", f"rtsp://10.0.0.{n}/live"), f"c{n}", n % 3)
        for n in range(1, 7)
    ]
    small, big = _leases(runtime, "small", capacity=1), _leases(runtime, "big", capacity=3)
    small.renew()
    big.renew()
    [one] = _claim(small, cameras, 0)
    assert one.camera_id == cameras[1].id  # c2: priority 2, the lowest id among the highest
    taken = _claim(big, cameras, 0)
    assert [c.camera_id for c in taken] == [cameras[4].id, cameras[0].id, cameras[3].id]
    # Six cameras, room for four: two stay free until a recorder with room comes.
    assert _claim(big, cameras, 3) == []
    assert _claim(small, cameras, 1) == []
    third = _leases(runtime, "third", capacity=5)
    assert len(_claim(third, cameras, 0)) == 2
    held = db.scalars(sa.select(CameraLease.holder)).all()
    assert sorted(str(holder) for holder in held) == ["big"] * 3 + ["small"] + ["third"] * 2


def test_claims_racing_on_postgresql_have_one_winner(live_runtime: Runtime) -> None:
    """Eight recorders in eight threads claim one camera at the same moment, each on its own
    connection: one claim commits, the others find the epoch moved on."""
    name = f"custos_leases_{os.getpid()}"
    engine = create_engine(create_postgres_database(name))
    try:
        migrate(engine)
        with Session(engine) as session:
            standing_assessment(session)
        runtime = dataclasses.replace(live_runtime, sessions=session_factory(engine))
        camera = Candidate(register_camera(runtime, "gate", "rtsp://10.0.0.1/live"), "gate", 0)
        for previous in (None, "gone"):  # a fresh lease, then one whose holder went silent
            recorders = [_leases(runtime, f"r{n}", capacity=1) for n in range(8)]
            results = _race(recorders, camera)
            winners = [result for result in results if result is not None]
            assert len(winners) == 1, results
            with runtime.sessions() as session:
                lease = session.get(CameraLease, camera.id)
                assert lease is not None
                assert lease.epoch == winners[0].epoch == (1 if previous is None else 2)
                # The winner goes silent, for the second round.
                lease.expires_at = runtime.clock.now() - TTL
                session.commit()
    finally:
        engine.dispose()
        drop_postgres_database(name)


def _race(recorders: list[Leases], camera: Candidate) -> list[Claim | None]:
    """Every recorder looks, then all claim at once, each in its own thread and connection."""
    offers = [recorder.offers([camera]) for recorder in recorders]
    assert all(len(offer) == 1 for offer in offers)
    barrier = threading.Barrier(len(recorders))
    results: list[Claim | None] = [None] * len(recorders)

    def claim(index: int) -> None:
        barrier.wait()
        results[index] = recorders[index].take(offers[index][0])

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(recorders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_a_second_supervisor_takes_over_when_the_first_cannot_renew(
    live_runtime: Runtime, clip: Path
) -> None:
    """A recorder cut off from its leases (it cannot renew) goes on recording until another
    claims its camera after the lease time; its writes are then refused and it stops, and the
    camera's time line has one gap, 'recorder failed over'."""
    runtime = dataclasses.replace(
        live_runtime,
        settings=live_runtime.settings.model_copy(update={"lease_seconds": 3.0}),
    )
    register_camera(runtime, "door", str(clip), segment_seconds=2)
    first, second = (
        RecordingSupervisor(
            runtime,
            SegmentPlanner(runtime.rules),
            ExhaustionGate(),
            poll_seconds=0.3,
            recorder_factory=fast_recorders(runtime),
            name=name,
        )
        for name in ("first", "second")
    )
    stop = threading.Event()
    threads = [threading.Thread(target=first.run, args=(stop,))]
    threads[0].start()
    try:
        wait_for(
            lambda: bool(first.recorders) and first.recorders[0].segments_stored >= 2,
            30,
            "the first recorder to record",
        )
        # The second runs beside it, with nothing to take: the one camera is the first's.
        threads.append(threading.Thread(target=second.run, args=(stop,)))
        threads[1].start()
        time.sleep(1.0)
        assert second.recorders == []
        held = first.leases.renew()

        def cut_off() -> dict[int, int]:
            raise sa.exc.OperationalError("UPDATE camera_leases", {}, Exception("unreachable"))

        first.leases.renew = cut_off  # type: ignore[method-assign]
        cut_at = time.monotonic()
        wait_for(
            lambda: bool(second.recorders) and second.recorders[0].segments_stored >= 1,
            30,
            "the second recorder to record",
        )
        assert time.monotonic() - cut_at < 3.0 + 0.3 + 10
        # The first recorder's writes are refused from the claim on; it stops by itself.
        wait_for(lambda: first.recorders[0].spool.fenced, 20, "the first recorder's writes refused")
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert held
    with runtime.sessions() as session:
        gaps = session.scalars(sa.select(RecordingGap).order_by(RecordingGap.started_at)).all()
        epochs = session.scalars(sa.select(Segment.epoch).order_by(Segment.started_at)).all()
        assert [g.reason for g in gaps if g.epoch == 2][:1] == [GapReason.RECORDER_FAILED_OVER]
        assert epochs == sorted(int(epoch or 0) for epoch in epochs)
        assert set(epochs) == {1, 2}
        starts = session.scalars(sa.select(Segment.started_at).order_by(Segment.started_at)).all()
        assert len(starts) == len(set(starts))
