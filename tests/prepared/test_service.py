"""Prepared detections on real footage: planned by an approval, made by a worker, read when the
footage is viewed, discarded when the grant ends, destroyed with the segment's key."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.models import Grant
from custos.clock import FrozenClock
from custos.errors import TamperDetected
from custos.jobs import prepare_once
from custos.prepared import service as prepared
from custos.prepared.models import PreparedSegment
from custos.prepared.policy import WorkState
from custos.recording import service as recording
from custos.recording.models import DataKey
from custos.redaction.boxes import FACE
from custos.redaction.pipeline import track_video
from custos.runtime import Runtime
from helpers import APPROVER, INVESTIGATOR, audit_events, call_of

from .conftest import Scene


def _rows(db: Session, grant: Grant) -> list[PreparedSegment]:
    db.expire_all()
    return list(
        db.scalars(
            sa.select(PreparedSegment)
            .where(PreparedSegment.grant_id == grant.id)
            .order_by(PreparedSegment.rank, PreparedSegment.id)
        )
    )


def _work_all(runtime: Runtime) -> int:
    done = 0
    while prepare_once(runtime, "test-worker"):
        done += 1
    return done


def test_an_approval_plans_every_segment_and_a_worker_prepares_each(
    db: Session, runtime: Runtime, scene: Scene, grant: Callable[..., Grant]
) -> None:
    approved = grant()
    rows = _rows(db, approved)
    assert [r.segment_id for r in rows] == scene.segments
    assert {r.state for r in rows} == {WorkState.PENDING}
    [planned] = audit_events(db, event="tracks.planned")
    assert planned.details == {"segments": 3, "windows": 1}

    assert _work_all(runtime) == 3
    rows = _rows(db, approved)
    assert {r.state for r in rows} == {WorkState.DONE}
    window = approved.windows[0].id
    for row in rows:
        frames = prepared.tracks_of(db, runtime.sealer, window, row.segment_id)
        assert frames is not None
        assert len(frames) == row.frames == 20  # the face piece: 2 s at 10 fps
        assert all(any(b.kind == FACE for b in frame) for frame in frames)
    assert len(audit_events(db, event="tracks.prepared")) == 3


def test_prepared_tracks_are_what_detecting_inline_finds_and_the_view_uses_them(
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    scene: Scene,
    grant: Callable[..., Grant],
) -> None:
    approved = grant()
    _work_all(runtime)
    window = approved.windows[0]
    segment, _ = recording.get_segment(db, scene.segments[1])
    plaintext = recording.open_segment(runtime.sealer, runtime.blobs, segment)
    inline = track_video(io.BytesIO(plaintext), prepared.REVIEW_OPTIONS)
    stored = prepared.tracks_of(db, runtime.sealer, window.id, segment.id)
    assert stored is not None
    assert [[(b.kind, b.track) for b in f] for f in stored] == [
        [(b.kind, b.track) for b in f] for f in inline.frames
    ]
    for ours, theirs in zip(stored, inline.frames, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert a.box == pytest.approx(b.box, abs=0.06)

    view = access.view(
        call_of(db, clock, INVESTIGATOR),
        runtime.sealer,
        runtime.blobs,
        detectors=runtime.detectors,
        grant_id=approved.id,
        window_id=window.id,
        segment_id=segment.id,
    )
    assert view.record["tracks"]
    [viewed] = audit_events(db, event="footage.viewed")
    assert viewed.details["tracks"] == "prepared"


def test_revoking_a_grant_discards_what_was_prepared_for_it(
    db: Session, clock: FrozenClock, runtime: Runtime, grant: Callable[..., Grant]
) -> None:
    approved = grant()
    prepare_once(runtime, "test-worker")
    access.revoke_grant(call_of(db, clock, APPROVER), approved.id, "the case moved on")
    assert _rows(db, approved) == []
    [discarded] = audit_events(db, event="tracks.discarded")
    assert discarded.details["segments"] == 3
    assert not prepare_once(runtime, "test-worker")


def test_a_grant_that_expires_stops_its_jobs_and_loses_its_tracks(
    db: Session, clock: FrozenClock, runtime: Runtime, grant: Callable[..., Grant]
) -> None:
    approved = grant()
    prepare_once(runtime, "test-worker")
    clock.set(approved.expires_at + timedelta(seconds=1))
    assert not prepare_once(runtime, "test-worker")
    assert _rows(db, approved) == []
    [discarded] = audit_events(db, event="tracks.discarded")
    assert discarded.details["why"] == "grant expired"


def test_erasing_the_segment_leaves_its_tracks_unreadable_with_every_key_left(
    db: Session, clock: FrozenClock, runtime: Runtime, scene: Scene, grant: Callable[..., Grant]
) -> None:
    approved = grant()
    _work_all(runtime)
    window = approved.windows[0].id
    target = scene.segments[0]
    row = next(r for r in _rows(db, approved) if r.segment_id == target)
    sealed_tracks = row.sealed
    assert sealed_tracks is not None
    recording.erase_segments(db, clock.now(), {target: "retention"})
    db.commit()
    assert prepared.tracks_of(db, runtime.sealer, window, target) is None
    # Every data key the system still holds, tried on the tracks that stayed in the table.
    bound = prepared._associated(approved.id, window, target)
    left = list(db.scalars(sa.select(DataKey.wrapped_key)))
    assert left  # the other segments' keys are still there
    for wrapped in left:
        with pytest.raises(TamperDetected):
            runtime.sealer.open_derived(wrapped, prepared.LABEL, sealed_tracks, bound)
    # The other segments' tracks still open.
    assert prepared.tracks_of(db, runtime.sealer, window, scene.segments[1]) is not None


def test_a_player_moves_what_it_waits_for_ahead_and_a_dead_worker_is_replaced(
    db: Session, clock: FrozenClock, runtime: Runtime, scene: Scene, grant: Callable[..., Grant]
) -> None:
    approved = grant()
    window = approved.windows[0].id
    assert prepared.ask(db, window, scene.segments, scene.segments[2]) == 1
    db.commit()
    scopes = {
        window: prepared.WindowScope(
            window, scene.camera, scene.start, scene.start + timedelta(seconds=30)
        )
    }
    taken = prepared.claim(db, clock, "worker-a", scopes)
    assert taken is not None
    assert taken.segment_id == scene.segments[2]  # asked for: ahead of the window's start
    # worker-a dies holding it; once its lease runs out another takes the same segment.
    other = prepared.claim(db, clock, "worker-b", scopes)
    assert other is not None
    assert other.segment_id == scene.segments[0]
    clock.advance(timedelta(minutes=3))
    again = prepared.claim(db, clock, "worker-b", scopes)
    assert again is not None
    assert again.segment_id in (scene.segments[0], scene.segments[2])
    progress = prepared.progress(db, approved.id)[window]
    assert (progress.done, progress.total) == (0, 3)
