"""Storing segments in a real database: sealed blob first, then index, key and audit together."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from blake3 import blake3
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus
from custos.errors import TamperDetected
from custos.recording import service as recording
from custos.recording.models import DataKey, Segment
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.storage.blobs import MemoryBlobStore
from helpers import audit_events, call_of, named_segments, register_camera, segments_of


@pytest.fixture
def feed(runtime: Runtime) -> CameraFeed:
    camera_id = register_camera(runtime, "gate", "rtsp://10.0.0.1/live")
    return CameraFeed(camera_id, "gate", "rtsp://10.0.0.1/live", False, 2)


@pytest.fixture
def writer(runtime: Runtime) -> SegmentWriter:
    return SegmentWriter(
        runtime.sessions,
        runtime.clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )


def test_store_seals_indexes_and_audits(
    runtime: Runtime, writer: SegmentWriter, feed: CameraFeed, clip: Path, db: Session
) -> None:
    segment = segments_of(clip, 2)[0]
    start = runtime.clock.now()
    row = writer.store(feed, segment, start)
    stored = db.get(Segment, row.id)
    assert stored is not None
    assert (stored.started_at, stored.ended_at) == (start, start + timedelta(seconds=2))
    assert (stored.codec, stored.width, stored.height, stored.frames) == ("h264", 640, 360, 30)
    blobs = runtime.blobs
    assert isinstance(blobs, MemoryBlobStore)
    ciphertext = blobs.blobs[stored.blob_key]
    assert stored.digest == "blake3:" + blake3(ciphertext).hexdigest()
    assert stored.bytes == len(ciphertext) == len(segment.data) + 16
    assert b"ftyp" not in ciphertext
    assert recording.open_segment(runtime.sealer, blobs, stored) == bytes(segment.data)
    assert db.get(DataKey, row.id) is not None
    # Named in the log when its collection period closes, with its ciphertext digest.
    assert audit_events(db, event="recording.segments_collected") == []
    assert writer.collect(feed, start + timedelta(minutes=10)) == 1
    [entry] = audit_events(db, event="recording.segments_collected")
    assert (entry.action, entry.object_type, entry.object_id) == ("collect", "camera", "gate")
    assert entry.details["segments"] == [
        {
            "id": row.id,
            "started_at": start.isoformat(),
            "duration_s": 2.0,
            "bytes": stored.bytes,
            "digest": stored.digest,
        }
    ]
    db.expire_all()
    assert db.get(Segment, row.id).collected_seq == entry.seq  # type: ignore[union-attr]


def test_collection_is_one_entry_per_camera_and_period_and_names_each_segment_once(
    runtime: Runtime, writer: SegmentWriter, feed: CameraFeed, clip: Path, db: Session
) -> None:
    segment = segments_of(clip, 2)[0]
    start = runtime.clock.now().replace(minute=0, second=0, microsecond=0)
    ids = [
        writer.store(feed, segment, start + timedelta(minutes=minute)).id
        for minute in (0, 3, 9, 10, 14, 21)
    ]
    # The recorder names what began before the current period: 00:00-00:10 and 00:10-00:20.
    assert writer.collect(feed, start + timedelta(minutes=20)) == 5
    assert writer.collect(feed, start + timedelta(minutes=20)) == 0  # nothing twice
    entries = audit_events(db, event="recording.segments_collected")
    assert [[s["id"] for s in e.details["segments"]] for e in entries] == [ids[:3], ids[3:5]]
    # A recorder that died leaves the last one: the job names it a period after it closed.
    runtime.clock.set(start + timedelta(minutes=35))  # type: ignore[attr-defined]
    assert recording.collect_overdue(db, runtime.clock, recording.recorder_actor()) == 0
    runtime.clock.set(start + timedelta(minutes=40))  # type: ignore[attr-defined]
    assert recording.collect_overdue(db, runtime.clock, recording.recorder_actor()) == 1
    named = named_segments(db, "recording.segments_collected")
    assert [s["id"] for s in named] == ids


def test_failed_index_write_leaves_no_blob_and_no_row(
    runtime: Runtime, writer: SegmentWriter, feed: CameraFeed, clip: Path, db: Session
) -> None:
    if db.get_bind().dialect.name == "sqlite":
        db.execute(
            sa.text(
                "CREATE TRIGGER down BEFORE INSERT ON data_keys "
                "BEGIN SELECT RAISE(ABORT, 'index unavailable'); END"
            )
        )
    else:
        db.execute(
            sa.text(
                "CREATE FUNCTION down() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'index unavailable'; END $$"
            )
        )
        db.execute(
            sa.text(
                "CREATE TRIGGER down BEFORE INSERT ON data_keys "
                "FOR EACH ROW EXECUTE FUNCTION down()"
            )
        )
    db.commit()
    with pytest.raises(sa.exc.DBAPIError, match="index unavailable"):
        writer.store(feed, segments_of(clip, 2)[0], runtime.clock.now())
    assert db.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(DataKey)) == 0
    assert list(runtime.blobs.keys()) == []


def test_gaps_are_rows_with_audit_entries(
    runtime: Runtime, writer: SegmentWriter, feed: CameraFeed, db: Session
) -> None:
    since = runtime.clock.now()
    gap_id = writer.open_gap(feed, since, "ConnectionRefusedError: [Errno 111]")
    writer.close_gap(feed, gap_id, since + timedelta(seconds=42))
    [(gap, camera)] = recording.list_gaps(db, "gate")
    assert camera == "gate"
    assert (gap.ended_at - gap.started_at).total_seconds() == 42
    assert gap.reason.startswith("ConnectionRefusedError")
    opened, closed = (
        audit_events(db, event="recording.gap_opened"),
        audit_events(db, event="recording.gap_closed"),
    )
    assert opened[0].details["gap"] == closed[0].details["gap"] == gap_id
    assert closed[0].details["seconds"] == 42


def test_check_finds_every_kind_of_damage(
    runtime: Runtime, writer: SegmentWriter, feed: CameraFeed, clip: Path, db: Session
) -> None:
    pieces = segments_of(clip, 2)
    start = runtime.clock.now()
    stored = [
        writer.store(feed, piece, start + timedelta(seconds=2 * i))
        for i, piece in enumerate(pieces)
    ]
    rows = [db.get(Segment, s.id) for s in stored]
    assert all(rows)
    blobs = runtime.blobs
    assert isinstance(blobs, MemoryBlobStore)
    assert all(c.problem is None for c in recording.check_segments(db, runtime.sealer, blobs))
    flipped = bytearray(blobs.blobs[rows[0].blob_key])
    flipped[len(flipped) // 2] ^= 0x01
    blobs.blobs[rows[0].blob_key] = bytes(flipped)
    blobs.delete(rows[1].blob_key)
    problems = {
        c.segment_id: c.problem for c in recording.check_segments(db, runtime.sealer, blobs)
    }
    assert (
        problems[rows[0].id] == f"segment {rows[0].id}: the stored blob does not match its digest"
    )
    assert "missing" in (problems[rows[1].id] or "")
    assert problems[rows[2].id] is None
    with pytest.raises(TamperDetected):
        recording.open_segment(runtime.sealer, blobs, rows[0])  # type: ignore[arg-type]


def test_a_segment_sealed_with_a_sha256_digest_still_opens_and_its_damage_is_found(
    runtime: Runtime, writer: SegmentWriter, feed: CameraFeed, clip: Path, db: Session
) -> None:
    # Footage stored before digests named their algorithm carries 64 hex digits of SHA-256.
    [piece] = segments_of(clip, 2)[:1]
    row = db.get(Segment, writer.store(feed, piece, runtime.clock.now()).id)
    assert row is not None
    blobs = runtime.blobs
    assert isinstance(blobs, MemoryBlobStore)
    row.digest = hashlib.sha256(blobs.blobs[row.blob_key]).hexdigest()
    db.commit()
    assert recording.open_segment(runtime.sealer, blobs, row) == bytes(piece.data)
    assert [c.problem for c in recording.check_segments(db, runtime.sealer, blobs)] == [None]
    damaged = bytearray(blobs.blobs[row.blob_key])
    damaged[-1] ^= 0x01
    blobs.blobs[row.blob_key] = bytes(damaged)
    with pytest.raises(TamperDetected, match="does not match its digest"):
        recording.open_segment(runtime.sealer, blobs, row)


def test_only_active_cameras_are_fed(runtime: Runtime, feed: CameraFeed, db: Session) -> None:
    register_camera(runtime, "draft-cam", "rtsp://10.0.0.2/live", status="draft")
    assert [f.name for f in recording.active_feeds(db)] == ["gate"]
    cameras.set_status(call_of(db, runtime.clock), "gate", CameraStatus.SUSPENDED)
    assert recording.active_feeds(db) == []
