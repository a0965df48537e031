"""Prepared detections: planned when a grant is approved, made by workers, read by the player.

    plan        queue every stored segment of a grant's windows, in the approval's transaction
    claim       a worker takes the most urgent segment (`prepared.policy`: order and leases)
    prepare     decrypt it in memory, track faces and plates over the part inside the window,
                seal the boxes under a key derived from the segment's own key, store, audit
    ask         a player waiting for a moment moves that segment and the next few to the front
    tracks_of   the prepared boxes of a segment's part, or None (the player then detects inline)
    discard     a grant that ends loses everything prepared for it, in the ending's transaction

Preparing runs with no transaction open (it takes seconds per segment); the claim before and
the result after are short transactions of their own.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from custos.audit.policy import Action
from custos.audit.service import record
from custos.clock import Clock
from custos.context import SYSTEM, Call, Context
from custos.errors import CustosError, NotFound
from custos.prepared import policy
from custos.prepared.models import PreparedSegment
from custos.prepared.policy import WorkState
from custos.recording import service as recording
from custos.recording.policy import part_within
from custos.redaction.boxes import FACE, PLATE
from custos.redaction.cache import DetectorCache
from custos.redaction.pipeline import Options, track_video
from custos.redaction.tracking import TrackedBox
from custos.storage.blobs import BlobStore
from custos.storage.crypto import Sealer

# Review masks faces and number plates and draws each track's number beside its mask, so the
# investigator can say which tracks are the persons of the case; preparing finds the same.
REVIEW_OPTIONS = Options(kinds=frozenset({FACE, PLATE}), labels=True)
LABEL = b"custos prepared tracks v1"


@dataclass(frozen=True)
class WindowScope:
    """One window of a grant: which camera, from when to when."""

    window_id: int
    camera: str
    start: datetime
    end: datetime


def _segments_in(session: Session, scope: WindowScope) -> list[str]:
    """The stored (not erased) segments of a window, in time order."""
    return [
        segment.id
        for segment, _ in recording.list_segments(
            session, scope.camera, since=scope.start, until=scope.end
        )
        if segment.key_id is not None
    ]


def plan(call: Call, grant_id: int, reference: str, windows: Sequence[WindowScope]) -> int:
    """Queue every stored segment of a grant's windows; how many. The caller commits."""
    session = call.session
    now = call.clock.now()
    planned = policy.plan([(w.window_id, _segments_in(session, w)) for w in windows])
    for work in planned:
        session.add(
            PreparedSegment(
                grant_id=grant_id,
                window_id=work.window_id,
                segment_id=work.segment_id,
                rank=work.rank,
                state=WorkState.PENDING,
                attempts=0,
                error="",
                created_at=now,
            )
        )
    record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "tracks.planned",
        object_type="grant",
        object_id=reference,
        context=Context(grant_ref=reference),
        details={"segments": len(planned), "windows": len(windows)},
    )
    return len(planned)


def discard(call: Call, grant_id: int, reference: str, why: str) -> int:
    """Delete what was prepared (and is waiting) for a grant that ended; how many segments.

    The caller commits: the discarding belongs to the transaction that ends the grant.
    """
    result = call.session.execute(
        sa.delete(PreparedSegment).where(PreparedSegment.grant_id == grant_id)
    )
    assert isinstance(result, sa.CursorResult)
    if result.rowcount:
        record(
            call.session,
            call.clock,
            call.actor,
            Action.ERASE,
            "tracks.discarded",
            object_type="grant",
            object_id=reference,
            context=Context(grant_ref=reference),
            details={"segments": result.rowcount, "why": why},
        )
    return result.rowcount


@dataclass(frozen=True)
class Claimed:
    """A segment a worker has taken, with what preparing it needs (read at the claim)."""

    id: int
    grant_id: int
    window_id: int
    segment_id: str
    sealed: recording.SealedSegment
    keep: tuple[float, float]


def claim(
    session: Session, clock: Clock, worker: str, scopes: dict[int, WindowScope]
) -> Claimed | None:
    """Take the most urgent segment a worker may prepare now, for LEASE; None if there is none.

    `scopes` are the windows of the grants still live, by window id: work of any other window
    is not taken (the caller discards it).
    """
    now = clock.now()
    candidates = session.scalars(
        sa.select(PreparedSegment)
        .where(
            PreparedSegment.state.in_([WorkState.PENDING, WorkState.CLAIMED]),
            PreparedSegment.window_id.in_(list(scopes)),
        )
        .order_by(PreparedSegment.rank, PreparedSegment.id)
        .limit(32)
        .with_for_update(skip_locked=True)
    )
    for row in candidates:
        if not policy.claimable(row.state, row.lease_until, row.attempts, now):
            continue
        scope = scopes[row.window_id]
        segment, _ = recording.get_segment(session, row.segment_id)
        keep = part_within(segment.started_at, segment.ended_at, scope.start, scope.end)
        if segment.key_id is None or keep is None:
            session.delete(row)  # erased since, or no longer inside: nothing to prepare
            continue
        row.state = WorkState.CLAIMED
        row.claimed_by = worker[:128]
        row.lease_until = now + policy.LEASE
        row.attempts += 1
        claimed = Claimed(
            row.id,
            row.grant_id,
            row.window_id,
            row.segment_id,
            recording.sealed_segment(segment),
            keep,
        )
        session.commit()
        return claimed
    session.commit()
    return None


def _associated(grant_id: int, window_id: int, segment_id: str) -> bytes:
    bound = f"grant {grant_id}\x00window {window_id}\x00segment {segment_id}"
    return b"custos prepared tracks\x00" + bound.encode()


def _encoded(frames: Sequence[Sequence[TrackedBox]]) -> bytes:
    rows = [
        [
            [b.track, b.kind, *(round(v, 1) for v in b.box), int(b.held), round(b.spread, 4)]
            for b in frame
        ]
        for frame in frames
    ]
    return zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 6)


def _decoded(data: bytes) -> list[list[TrackedBox]]:
    rows = json.loads(zlib.decompress(data))
    return [
        [
            TrackedBox(int(t), str(k), (float(a), float(b), float(c), float(d)), bool(h), float(s))
            for t, k, a, b, c, d, h, s in frame
        ]
        for frame in rows
    ]


def prepare(
    sessions: sessionmaker[Session],
    clock: Clock,
    sealer: Sealer,
    blobs: BlobStore,
    detectors: DetectorCache,
    claimed: Claimed,
) -> bool:
    """Prepare one claimed segment; whether its tracks were stored.

    A failure (damaged footage, storage that refuses) counts an attempt and leaves the segment
    to be tried again, or failed after MAX_ATTEMPTS: playing it then detects inline.
    """
    try:
        plaintext = recording.open_sealed(sealer, blobs, claimed.sealed)
        tracked = track_video(
            io.BytesIO(plaintext),
            REVIEW_OPTIONS,
            detectors=detectors.get(REVIEW_OPTIONS, threads=0),
            keep=claimed.keep,
            what=f"segment {claimed.segment_id}",
        )
        sealed = sealer.seal_derived(
            claimed.sealed.wrapped_key,
            LABEL,
            _encoded(tracked.frames),
            _associated(claimed.grant_id, claimed.window_id, claimed.segment_id),
        )
    except CustosError as error:
        _failed(sessions, claimed, error.message)
        return False
    with sessions() as session:
        row = session.get(PreparedSegment, claimed.id, with_for_update=True)
        if row is None or row.state is not WorkState.CLAIMED:
            return False  # discarded meanwhile (the grant ended), or taken over
        row.state = WorkState.DONE
        row.sealed = sealed
        row.frames = len(tracked.frames)
        row.tracks = len(tracked.tracks)
        row.done_at = clock.now()
        row.lease_until = None
        record(
            session,
            clock,
            SYSTEM,
            Action.CONSULT,
            "tracks.prepared",
            object_type="segment",
            object_id=claimed.segment_id,
            context=Context(grant_ref=f"G-{claimed.grant_id}"),
            details={"frames": row.frames, "tracks": row.tracks},
        )
        session.commit()
    return True


def _failed(sessions: sessionmaker[Session], claimed: Claimed, why: str) -> None:
    with sessions() as session:
        row = session.get(PreparedSegment, claimed.id, with_for_update=True)
        if row is None:
            return
        row.state = policy.after_failure(row.attempts)
        row.error = why[:512]
        row.lease_until = None
        session.commit()


def tracks_of(
    session: Session, sealer: Sealer, window_id: int, segment_id: str
) -> list[list[TrackedBox]] | None:
    """The prepared boxes of a segment's part of a window, or None when not (yet) prepared."""
    row = session.scalar(
        sa.select(PreparedSegment).where(
            PreparedSegment.window_id == window_id,
            PreparedSegment.segment_id == segment_id,
            PreparedSegment.state == WorkState.DONE,
        )
    )
    if row is None or row.sealed is None:
        return None
    segment, _ = recording.get_segment(session, segment_id)
    try:
        sealed = recording.sealed_segment(segment)
    except NotFound:
        return None  # erased: its tracks went with its key
    opened = sealer.open_derived(
        sealed.wrapped_key, LABEL, row.sealed, _associated(row.grant_id, window_id, segment_id)
    )
    return _decoded(opened)


def ask(session: Session, window_id: int, order: Sequence[str], at: str) -> int:
    """Move segment `at` of a window and the next few to the front; how many were waiting.

    The caller commits.
    """
    moved = policy.asked(order, at)
    if not moved:
        return 0
    result = session.execute(
        sa.update(PreparedSegment)
        .where(
            PreparedSegment.window_id == window_id,
            PreparedSegment.segment_id.in_(moved),
            PreparedSegment.state.in_([WorkState.PENDING, WorkState.CLAIMED]),
        )
        .values(rank=policy.FRONT)
    )
    assert isinstance(result, sa.CursorResult)
    return result.rowcount


@dataclass(frozen=True)
class Progress:
    """How far the preparation of one window has come."""

    done: int
    failed: int
    total: int


def progress(session: Session, grant_id: int) -> dict[int, Progress]:
    """The preparation of each window of a grant, by window id."""
    rows = session.execute(
        sa.select(PreparedSegment.window_id, PreparedSegment.state, sa.func.count())
        .where(PreparedSegment.grant_id == grant_id)
        .group_by(PreparedSegment.window_id, PreparedSegment.state)
    )
    counts: dict[int, dict[WorkState, int]] = {}
    for window_id, state, count in rows:
        counts.setdefault(window_id, {})[state] = count
    return {
        window_id: Progress(
            by_state.get(WorkState.DONE, 0),
            by_state.get(WorkState.FAILED, 0),
            sum(by_state.values()),
        )
        for window_id, by_state in counts.items()
    }


def grants_waiting(session: Session) -> set[int]:
    """The grants that have segments waiting or being prepared (for the worker to check)."""
    return set(
        session.scalars(
            sa.select(PreparedSegment.grant_id)
            .where(PreparedSegment.state.in_([WorkState.PENDING, WorkState.CLAIMED]))
            .distinct()
        )
    )


@dataclass(frozen=True)
class Span:
    """One piece of a window in play order: its segment, and where it lies in the window."""

    segment_id: str
    at_s: float
    length_s: float


@dataclass(frozen=True)
class WindowTrack:
    """One track across a window: what it is, from when to when, in which segments."""

    track: int
    kind: str
    first_s: float
    last_s: float
    segments: tuple[str, ...]
    box: tuple[float, float, float, float]  # where it is first seen, in the frame's pixels


@dataclass(frozen=True)
class WindowTracks:
    """The tracks of a window with one numbering across it, as far as they are prepared.

    `numbers` maps each prepared segment's own track numbers to the window's; numbering stops
    at the first piece not prepared yet (the ones after it cannot be joined to what came
    before), and `ready` says whether it reached the window's end.
    """

    ready: bool
    numbers: dict[str, dict[int, int]]
    tracks: list[WindowTrack]


def window_tracks(
    session: Session, sealer: Sealer, window_id: int, spans: Sequence[Span]
) -> WindowTracks:
    """Number the tracks of a window's prepared pieces, in order, as one numbering."""
    pieces: list[policy.Piece] = []
    frames_of: list[list[list[TrackedBox]]] = []
    previous_end: float | None = None
    for span in spans:
        frames = tracks_of(session, sealer, window_id, span.segment_id)
        if frames is None:
            break
        gap = None if previous_end is None else max(0.0, span.at_s - previous_end)
        pieces.append(policy.Piece(frames, gap))
        frames_of.append(frames)
        previous_end = span.at_s + span.length_s
    maps = policy.numbering(pieces)
    found: dict[int, dict[str, Any]] = {}
    for span, frames, numbers in zip(spans, frames_of, maps, strict=False):
        step = span.length_s / max(1, len(frames))
        for index, frame in enumerate(frames):
            at = span.at_s + index * step
            for box in frame:
                number = numbers[box.track]
                track = found.setdefault(
                    number,
                    {"kind": box.kind, "first": at, "last": at, "segments": [], "box": box.box},
                )
                track["last"] = at + step
                if span.segment_id not in track["segments"]:
                    track["segments"].append(span.segment_id)
    tracks = [
        WindowTrack(
            n,
            t["kind"],
            round(t["first"], 3),
            round(t["last"], 3),
            tuple(t["segments"]),
            tuple(round(v, 1) for v in t["box"]),
        )
        for n, t in sorted(found.items())
    ]
    numbers_of = {span.segment_id: numbers for span, numbers in zip(spans, maps, strict=False)}
    return WindowTracks(len(pieces) == len(spans), numbers_of, tracks)
