"""Storing what recorders produce: seal, store the blob, then index and audit it together."""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, cast

import av
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from custos.audit import service as audit
from custos.audit.policy import Action
from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus, Suspension
from custos.clock import Clock
from custos.context import Actor, Call
from custos.errors import Conflict, CustosError, NotFound, StorageError, TamperDetected
from custos.recording.leases import fence, held_by
from custos.recording.media import SegmentFile, first_picture, probe_video
from custos.recording.models import DataKey, RecorderStatus, RecordingGap, Segment
from custos.recording.policy import (
    COLLECTION_PERIOD,
    CameraState,
    GapReason,
    associated_data,
    blob_key,
    collection_batches,
    collection_period,
    describe,
    holes,
    resume_reason,
    transports_for,
)
from custos.recording.policy import segment_id as new_segment_id
from custos.redaction.cache import DetectorCache
from custos.redaction.service import redact_still
from custos.redaction.zones import Point, ZoneMask
from custos.storage import digest as digests
from custos.storage.blobs import BlobStore
from custos.storage.crypto import SealBuffer, SealBuffers, Sealer

log = logging.getLogger(__name__)

_KEYS = cast(sa.Table, DataKey.__table__)
_SEGMENTS = cast(sa.Table, Segment.__table__)
_INSERT_KEY = sa.insert(_KEYS)
_INSERT_SEGMENT = sa.insert(_SEGMENTS)


def recorder_actor() -> Actor:
    """Recorders act as the system, named after the machine they run on."""
    return Actor(name=f"recorder@{socket.gethostname()}", role="system")


@dataclass(frozen=True)
class CameraFeed:
    """What a recorder needs to know of a camera, read when it starts."""

    id: int
    name: str
    source: str
    record_audio: bool
    segment_seconds: int
    region: str = ""
    retention_days: float | None = None
    # Privacy zones, corners as fractions of the picture: a camera with any is re-encoded.
    zones: tuple[tuple[tuple[float, float], ...], ...] = ()
    sensitive: bool = False  # at a sensitive site: the profile may keep its footage less long
    # Which cameras recorders claim first; changing it does not restart the recorder.
    priority: int = field(default=0, compare=False)


def active_feeds(session: Session) -> list[CameraFeed]:
    """The cameras that should be recording now."""
    active = cameras.list_cameras(session, CameraStatus.ACTIVE)
    zones = cameras.zones_by_camera(session)
    return [
        CameraFeed(
            c.id,
            c.name,
            c.source_url,
            c.record_audio,
            c.segment_seconds,
            c.region,
            c.retention_days,
            tuple(tuple(points) for points in zones.get(c.id, ())),
            bool(c.tags),
            c.priority,
        )
        for c in active
    ]


def stop_reasons(session: Session) -> dict[int, GapReason]:
    """Why each suspended camera stopped, where it was not a person's decision."""
    return {
        c.id: GapReason.DPIA_EXPIRED
        for c in cameras.list_cameras(session, CameraStatus.SUSPENDED)
        if c.suspended_for == Suspension.DPIA_EXPIRED.value
    }


@dataclass(frozen=True)
class Plan:
    """When a new segment expires (None: not while a hold lasts) and why."""

    expires_at: datetime | None
    reason: str
    detail: str


class Planner(Protocol):
    """Decides the retention of a segment about to be stored; the retention domain has one."""

    def plan_new(
        self, session: Session, feed: CameraFeed, started_at: datetime, ended_at: datetime
    ) -> Plan:
        """The plan of a segment of `feed` from `started_at` to `ended_at`."""


class StorageGate(Protocol):
    """Whether new footage may be stored now; retention closes it when storage is exhausted."""

    def refusal(self, sessions: sessionmaker[Session]) -> str | None:
        """Why nothing may be stored now, or None when it may (asked before every blob)."""


@dataclass(frozen=True)
class StoredSegment:
    """What the recorder needs back from a stored segment."""

    id: str
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True)
class PendingSegment:
    """A sealed segment waiting to be stored: ciphertext only, never the plaintext."""

    feed: CameraFeed
    id: str
    blob_key: str
    started_at: datetime
    ended_at: datetime
    duration: float
    frames: int
    codec: str
    width: int
    height: int
    has_audio: bool
    ciphertext: bytes | memoryview
    digest: str
    wrapped_key: bytes
    nonce: bytes
    kek_id: str
    sealed_at: datetime
    # The pooled memory `ciphertext` lies in, given back once the segment is done with.
    buffer: SealBuffer | None = field(default=None, compare=False, repr=False)

    @property
    def size(self) -> int:
        """Bytes of ciphertext."""
        return len(self.ciphertext)


@dataclass(frozen=True)
class Resumed:
    """Where a camera's time line stood when its recorder started."""

    since: datetime | None  # the end of what was stored or explained; None: nothing ever was
    reason: GapReason  # why nothing was recorded from `since` until now
    stale_gaps_closed: int
    orphans_removed: int


@dataclass(frozen=True)
class StatusReport:
    """One camera's recorder status, as the recorder reports it every few seconds."""

    camera_id: int
    state: str
    reason: str
    detail: str
    state_since: datetime
    started_at: datetime
    last_segment_end: datetime | None
    lag_s: float | None
    bitrate_bps: float | None
    fps: float | None
    width: int | None
    height: int | None
    codec: str
    reconnects: int
    spool_segments: int
    spool_bytes: int
    segments_dropped: int


class StorageFull(StorageError):
    """Storage refuses new footage (the gate is closed)."""


def store_failure(error: BaseException) -> GapReason:
    """The plain reason a segment or a gap could not be written."""
    if isinstance(error, sa.exc.SQLAlchemyError):
        return GapReason.DATABASE_UNAVAILABLE
    if isinstance(error, StorageFull):
        return GapReason.STORAGE_FULL
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            return GapReason.STORAGE_FULL
        cause = cause.__cause__
    return GapReason.STORAGE_UNAVAILABLE


class SegmentWriter:
    """Seals finished segments, stores their blobs, and indexes them with their audit entries.

    Sealing is done by the thread that reads the camera; storing and indexing may be done later
    by another (the recorder's spool), each step on its own and each safe to repeat.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        sealer: Sealer,
        blobs: BlobStore,
        planner: Planner,
        gate: StorageGate,
        *,
        holder: str | None = None,
        epoch: int | None = None,
        buffers: SealBuffers | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._sealer = sealer
        self._blobs = blobs
        self._planner = planner
        self._gate = gate
        self._actor = recorder_actor()
        # The recorder's lease: its name, and the epoch every write is fenced by (None: a
        # writer without a lease, such as a tool importing footage).
        self._holder = holder
        self._epoch = epoch
        # Memory for ciphertext, shared by the writers of one recorder process.
        self._buffers = buffers or SealBuffers()

    @property
    def name(self) -> str:
        """The name recorders write under in their status rows: their lease name, if any."""
        return self._holder or self._actor.name

    def store(self, feed: CameraFeed, segment: SegmentFile, started_at: datetime) -> StoredSegment:
        """Seal and keep one segment now; the blob is written before the index row that names it."""
        pending = self.seal(feed, segment, started_at)
        try:
            self.put_blob(pending)
            try:
                self.index(pending)
            except Exception:
                self.discard(pending)
                raise
        finally:
            self.release(pending)
        return StoredSegment(pending.id, pending.started_at, pending.ended_at)

    def seal(self, feed: CameraFeed, segment: SegmentFile, started_at: datetime) -> PendingSegment:
        """Encrypt a finished segment under a fresh key; no I/O."""
        segment_id = new_segment_id(started_at, os.urandom(10))
        buffer = self._buffers.take()
        sealed = self._sealer.seal(segment.data, associated_data(segment_id, feed.id), into=buffer)
        return PendingSegment(
            feed=feed,
            id=segment_id,
            blob_key=blob_key(feed.id, started_at, segment_id),
            started_at=started_at,
            ended_at=started_at + timedelta(seconds=segment.duration),
            duration=segment.duration,
            frames=segment.frames,
            codec=segment.codec,
            width=segment.width,
            height=segment.height,
            has_audio=segment.has_audio,
            ciphertext=sealed.ciphertext,
            digest=sealed.digest,
            wrapped_key=sealed.wrapped_key,
            nonce=sealed.nonce,
            kek_id=sealed.kek_id,
            sealed_at=self._clock.now(),
            buffer=buffer,
        )

    def release(self, pending: PendingSegment) -> None:
        """Give back the memory of a segment stored or dropped: its ciphertext is gone after."""
        if pending.buffer is not None:
            self._buffers.give(pending.buffer)

    def put_blob(self, pending: PendingSegment) -> None:
        """Write the sealed blob, unless storage refuses new footage now."""
        refusal = self._gate.refusal(self._sessions)
        if refusal is not None:
            raise StorageFull(refusal)
        self._blobs.put(pending.blob_key, pending.ciphertext)

    def discard(self, pending: PendingSegment) -> None:
        """Remove a blob no index row will name, rather than leave an orphan behind."""
        try:
            self._blobs.delete(pending.blob_key)
        except StorageError as cleanup:
            log.error("orphan blob %s left behind: %s", pending.blob_key, cleanup.message)

    def index(self, pending: PendingSegment, *, again: bool = False) -> None:
        """Index a stored blob with its key and its retention plan, together.

        The audit log names it in its camera's collection entry for the period, written when
        the period closes (`collect`).

        `again` after a failed attempt: a segment indexed already (its commit went through, its
        answer did not) is then left as it is.
        """
        feed = pending.feed
        with self._sessions() as session:
            if again and session.get(Segment, pending.id) is not None:
                return
            fence(session, feed.id, self._holder, self._epoch)
            plan = self._planner.plan_new(session, feed, pending.started_at, pending.ended_at)
            # Core INSERTs, compiled once and sent on the session's connection: this runs for
            # every segment of every camera.
            connection = session.connection()
            connection.execute(
                _INSERT_KEY,
                {
                    "id": pending.id,
                    "wrapped_key": pending.wrapped_key,
                    "nonce": pending.nonce,
                    "kek_id": pending.kek_id,
                    "created_at": pending.sealed_at,
                },
            )
            connection.execute(
                _INSERT_SEGMENT,
                {
                    "id": pending.id,
                    "camera_id": feed.id,
                    "started_at": pending.started_at,
                    "ended_at": pending.ended_at,
                    "duration_s": pending.duration,
                    "frames": pending.frames,
                    "bytes": pending.size,
                    "codec": pending.codec,
                    "width": pending.width,
                    "height": pending.height,
                    "has_audio": pending.has_audio,
                    "digest": pending.digest,
                    "blob_key": pending.blob_key,
                    "key_id": pending.id,
                    "sealed_at": pending.sealed_at,
                    "region": feed.region,
                    "expires_at": plan.expires_at,
                    "retention_reason": plan.reason,
                    "retention_detail": plan.detail,
                    "erased_at": None,
                    "erasure_reason": None,
                    "epoch": self._epoch,
                    "collected_seq": None,
                },
            )
            session.commit()

    def collect(self, feed: CameraFeed, before: datetime) -> int:
        """Write the collection entries of `feed`'s segments begun before `before`."""
        with self._sessions() as session:
            fence(session, feed.id, self._holder, self._epoch)
            count = collect(session, self._clock, self._actor, feed.id, feed.name, before)
            session.commit()
        return count

    def open_gap(
        self, feed: CameraFeed, started_at: datetime, reason: str, detail: str = ""
    ) -> int:
        """Record that `feed` stopped delivering at `started_at`, and why."""
        with self._sessions() as session:
            fence(session, feed.id, self._holder, self._epoch)
            gap = RecordingGap(
                camera_id=feed.id,
                started_at=started_at,
                reason=reason[:512],
                detail=detail[:512],
                epoch=self._epoch,
            )
            session.add(gap)
            session.flush()
            audit.record(
                session,
                self._clock,
                self._actor,
                Action.COLLECT,
                "recording.gap_opened",
                object_type="camera",
                object_id=feed.name,
                details={
                    "gap": gap.id,
                    "since": started_at.isoformat(),
                    "reason": reason[:512],
                    "detail": detail[:512],
                },
            )
            session.commit()
            return gap.id

    def close_gap(self, feed: CameraFeed, gap_id: int, ended_at: datetime) -> None:
        """Record that `feed` delivers again from `ended_at`."""
        with self._sessions() as session:
            fence(session, feed.id, self._holder, self._epoch)
            gap = session.get(RecordingGap, gap_id)
            if gap is None:
                raise NotFound(f"no recording gap {gap_id}")
            _close(session, self._clock, self._actor, feed.name, gap, ended_at)
            session.commit()

    def recorder_event(self, feed: CameraFeed, event: str, **details: object) -> None:
        """Audit a recorder starting or stopping."""
        with self._sessions() as session:
            fence(session, feed.id, self._holder, self._epoch)
            audit.record(
                session,
                self._clock,
                self._actor,
                Action.COLLECT,
                event,
                object_type="camera",
                object_id=feed.name,
                details=details,
            )
            session.commit()

    def resume(self, feed: CameraFeed) -> Resumed:
        """Find where `feed`'s time line stopped, and clear up what a dead recorder left.

        Gaps left open by a recorder that died are closed at its last heartbeat; blobs it wrote
        without indexing them are removed. The time line then stands at the end of the last
        segment or gap, and the reason is what the previous run's status says of its end.
        """
        with self._sessions() as session:
            fence(session, feed.id, self._holder, self._epoch)
            status = session.get(RecorderStatus, feed.id)
            previous_state = status.state if status is not None else None
            previous_reason = status.reason if status is not None else ""
            heartbeat = status.heartbeat_at if status is not None else None
            stale = list(
                session.scalars(
                    sa.select(RecordingGap).where(
                        RecordingGap.camera_id == feed.id, RecordingGap.ended_at.is_(None)
                    )
                )
            )
            for gap in stale:
                until = max(gap.started_at, heartbeat) if heartbeat else gap.started_at
                _close(session, self._clock, self._actor, feed.name, gap, until)
            session.flush()
            last_segment = session.scalar(
                sa.select(sa.func.max(Segment.ended_at)).where(Segment.camera_id == feed.id)
            )
            last_gap = session.scalar(
                sa.select(sa.func.max(RecordingGap.ended_at)).where(
                    RecordingGap.camera_id == feed.id
                )
            )
            session.commit()
        ends = [end for end in (last_segment, last_gap) if end is not None]
        since = max(ends) if ends else None
        orphans = 0
        if previous_state is not None and previous_state != CameraState.STOPPED and since:
            orphans = self._remove_orphans(feed, since)
        return Resumed(since, resume_reason(previous_state, previous_reason), len(stale), orphans)

    def _remove_orphans(self, feed: CameraFeed, since: datetime) -> int:
        """Delete blobs of `feed` from `since`'s day on that no index row names."""
        day, today = since.date(), self._clock.now().date()
        keys: list[str] = []
        while day <= today and len(keys) < 100_000:
            keys.extend(self._blobs.keys(f"cameras/{feed.id}/{day:%Y/%m/%d}/"))
            day += timedelta(days=1)
        if not keys:
            return 0
        with self._sessions() as session:
            named = set(
                session.scalars(sa.select(Segment.blob_key).where(Segment.blob_key.in_(keys)))
            )
        orphans = [key for key in keys if key not in named]
        if orphans:
            self._blobs.delete_many(orphans)
            log.warning(
                "camera %s: removed %d blob(s) a stopped recorder left unindexed",
                feed.name,
                len(orphans),
                extra={"camera": feed.name},
            )
        return len(orphans)

    def write_statuses(self, reports: Sequence[StatusReport]) -> None:
        """Write every report as its camera's status row, in one short transaction."""
        if not reports:
            return
        now = self._clock.now()
        with self._sessions() as session:
            if self._holder is not None:
                # A recorder writes the status of the cameras it holds, never of those it lost.
                held = held_by(session, self._holder)
                reports = [report for report in reports if report.camera_id in held]
            for report in reports:
                row = session.get(RecorderStatus, report.camera_id)
                if row is None:
                    row = RecorderStatus(camera_id=report.camera_id)
                    session.add(row)
                for column in dataclasses.fields(report):
                    setattr(row, column.name, getattr(report, column.name))
                row.recorder = self.name
                row.heartbeat_at = now
            session.commit()


def collect(
    session: Session, clock: Clock, actor: Actor, camera_id: int, camera: str, before: datetime
) -> int:
    """Name the camera's segments begun before `before` that no entry names yet, one audit
    entry per collection period, each segment with its ciphertext digest; how many were named.

    The rows are locked (on PostgreSQL, skipping rows another writer holds), so a recorder and
    the job collecting what dead recorders left never name a segment twice.
    """
    rows = session.execute(
        sa.select(Segment.id, Segment.started_at, Segment.duration_s, Segment.bytes, Segment.digest)
        .where(
            Segment.camera_id == camera_id,
            Segment.collected_seq.is_(None),
            Segment.started_at < before,
        )
        .order_by(Segment.started_at)
        .with_for_update(skip_locked=True)
    ).all()
    by_id = {row.id: row for row in rows}
    for period, ids in collection_batches((row.id, row.started_at) for row in rows).items():
        seq = audit.record(
            session,
            clock,
            actor,
            Action.COLLECT,
            "recording.segments_collected",
            object_type="camera",
            object_id=camera,
            details={
                "period": period.isoformat(),
                "segments": [
                    {
                        "id": segment_id,
                        "started_at": by_id[segment_id].started_at.isoformat(),
                        "duration_s": round(by_id[segment_id].duration_s, 3),
                        "bytes": by_id[segment_id].bytes,
                        "digest": by_id[segment_id].digest,
                    }
                    for segment_id in ids
                ],
            },
        )
        session.execute(
            sa.update(Segment)
            .where(Segment.id.in_(ids))
            .values(collected_seq=seq)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


def collect_overdue(session: Session, clock: Clock, actor: Actor) -> int:
    """Collect every camera's segments of periods that closed a period ago or more: what a
    recorder that stopped or died left uncollected. Commits."""
    before = collection_period(clock.now()) - COLLECTION_PERIOD
    waiting = session.scalars(
        sa.select(Segment.camera_id)
        .where(Segment.collected_seq.is_(None), Segment.started_at < before)
        .distinct()
    ).all()
    names = cameras.camera_names(session) if waiting else {}
    count = sum(collect(session, clock, actor, c, names[c], before) for c in waiting)
    session.commit()
    return count


def collect_now(session: Session, clock: Clock, actor: Actor, segment_ids: Iterable[str]) -> None:
    """Collect at once the given segments not yet named in the log (and their cameras' earlier
    ones), for evidence that must cite its entries now. Commits."""
    waiting = session.execute(
        sa.select(Segment.camera_id, sa.func.max(Segment.started_at))
        .where(Segment.id.in_(list(segment_ids)), Segment.collected_seq.is_(None))
        .group_by(Segment.camera_id)
    ).all()
    names = cameras.camera_names(session) if waiting else {}
    for camera_id, last in waiting:
        collect(
            session, clock, actor, camera_id, names[camera_id], last + timedelta(microseconds=1)
        )
    session.commit()


def collection_entry(session: Session, segment: Segment) -> int | None:
    """The position of the entry that names `segment` as collected: its period's entry, or,
    for a segment stored before collection was batched, its own sealing entry."""
    if segment.collected_seq is not None:
        return segment.collected_seq
    found = audit.find_entries(
        session,
        audit.EntryFilter(event="recording.segment_sealed", object_id=segment.id),
        limit=1,
    )
    return found[0].seq if found else None


def _close(
    session: Session,
    clock: Clock,
    actor: Actor,
    camera: str,
    gap: RecordingGap,
    ended_at: datetime,
) -> None:
    gap.ended_at = ended_at
    audit.record(
        session,
        clock,
        actor,
        Action.COLLECT,
        "recording.gap_closed",
        object_type="camera",
        object_id=camera,
        details={
            "gap": gap.id,
            "until": ended_at.isoformat(),
            "seconds": round((ended_at - gap.started_at).total_seconds(), 3),
        },
    )


def picture_size(session: Session, camera_id: int) -> tuple[int, int] | None:
    """The size of a camera's picture as last seen: by its recorder, else its last segment."""
    status = session.get(RecorderStatus, camera_id)
    if status is not None and status.width and status.height:
        return status.width, status.height
    row = session.execute(
        sa.select(Segment.width, Segment.height)
        .where(Segment.camera_id == camera_id)
        .order_by(Segment.started_at.desc())
        .limit(1)
    ).first()
    return (row.width, row.height) if row is not None else None


def recorder_statuses(session: Session) -> dict[int, RecorderStatus]:
    """The last status each camera's recorder reported, by camera id."""
    return {row.camera_id: row for row in session.scalars(sa.select(RecorderStatus))}


def open_gaps(session: Session) -> dict[int, RecordingGap]:
    """Each camera's open gap (the one still growing), by camera id; the latest if several."""
    query = (
        sa.select(RecordingGap)
        .where(RecordingGap.ended_at.is_(None))
        .order_by(RecordingGap.started_at)
    )
    return {gap.camera_id: gap for gap in session.scalars(query)}


@dataclass(frozen=True)
class StoredTotals:
    """What a camera has stored and not erased: how many segments, their bytes, the newest end."""

    segments: int
    bytes: int
    last_end: datetime | None


def stored_totals(session: Session) -> dict[int, StoredTotals]:
    """The segments each camera keeps (not erased), by camera id."""
    rows = session.execute(
        sa.select(
            Segment.camera_id,
            sa.func.count(Segment.id),
            sa.func.coalesce(sa.func.sum(Segment.bytes), 0),
            sa.func.max(Segment.ended_at),
        )
        .where(Segment.erased_at.is_(None))
        .group_by(Segment.camera_id)
    )
    return {
        camera_id: StoredTotals(int(count), int(size), _aware(last))
        for camera_id, count, size, last in rows
    }


def _aware(value: datetime | None) -> datetime | None:
    # min() and max() keep the column's type, so their values come back aware; this makes sure.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def oldest_due(session: Session, by: datetime) -> datetime | None:
    """The earliest planned expiry, at or before `by`, of a segment not erased yet."""
    value = session.scalar(
        sa.select(sa.func.min(Segment.expires_at)).where(
            Segment.expires_at <= by, Segment.erased_at.is_(None)
        )
    )
    return _aware(value)


def list_segments(
    session: Session,
    camera: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[Segment, str]]:
    """Stored segments with their camera's name, oldest first."""
    query = sa.select(Segment).order_by(Segment.camera_id, Segment.started_at)
    if camera is not None:
        query = query.where(Segment.camera_id == cameras.get_camera(session, camera).id)
    if since is not None:
        query = query.where(Segment.ended_at > since)
    if until is not None:
        query = query.where(Segment.started_at < until)
    names = cameras.camera_names(session)
    return [(segment, names[segment.camera_id]) for segment in session.scalars(query)]


def get_segment(session: Session, segment_id: str) -> tuple[Segment, str]:
    """A stored segment with its camera's name, or NotFound."""
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound(f"no segment '{segment_id}'")
    return segment, cameras.camera_names(session)[segment.camera_id]


def list_gaps(session: Session, camera: str | None = None) -> list[tuple[RecordingGap, str]]:
    """Recording gaps with their camera's name, oldest first."""
    query = sa.select(RecordingGap).order_by(RecordingGap.camera_id, RecordingGap.started_at)
    names = cameras.camera_names(session)
    if camera is not None:
        query = query.where(
            RecordingGap.camera_id.in_([i for i, n in names.items() if n == camera])
        )
    return [(gap, names[gap.camera_id]) for gap in session.scalars(query)]


@dataclass(frozen=True)
class Hole:
    """A stretch of a camera's time line that neither stored footage nor a gap row explains."""

    camera: str
    started_at: datetime
    ended_at: datetime

    @property
    def seconds(self) -> float:
        """How long the hole lasts."""
        return (self.ended_at - self.started_at).total_seconds()


def timeline_holes(
    session: Session,
    now: datetime,
    camera: str | None = None,
    tolerance: timedelta = timedelta(seconds=0.5),
) -> list[Hole]:
    """The holes in each camera's time line, from its first segment or gap to its last.

    Footage counts whether it is still stored or was erased on purpose (its tombstone keeps its
    times); an open gap reaches to `now`.
    """
    names = cameras.camera_names(session)
    segments = sa.select(Segment.camera_id, Segment.started_at, Segment.ended_at)
    gaps = sa.select(RecordingGap.camera_id, RecordingGap.started_at, RecordingGap.ended_at)
    if camera is not None:
        camera_id = cameras.get_camera(session, camera).id
        segments = segments.where(Segment.camera_id == camera_id)
        gaps = gaps.where(RecordingGap.camera_id == camera_id)
    covered: dict[int, list[tuple[datetime, datetime]]] = {}
    for query in (segments, gaps):
        for camera_id, start, end in session.execute(query):
            covered.setdefault(camera_id, []).append((start, now if end is None else end))
    return [
        Hole(names[camera_id], start, end)
        for camera_id in sorted(covered, key=lambda i: names[i])
        for start, end in holes(covered[camera_id], tolerance)
    ]


def live_picture(
    call: Call,
    name: str,
    timeout: float = 5.0,
    *,
    detectors: DetectorCache,
) -> bytes:
    """A picture of an active camera now, as a JPEG: privacy zones black, faces masked.

    The zones are applied first, then the redaction every viewed picture gets. No transaction
    is open while the camera is reached and the picture masked; the view is then audited as a
    consultation in a transaction of its own, and a failed audit shows nothing.
    """
    session = call.session
    camera = cameras.get_camera(session, name)
    if camera.status is not CameraStatus.ACTIVE:
        raise Conflict(f"camera {name} is {camera.status}: it has no live picture")
    source = camera.source_url
    zones = cameras.zones_by_camera(session).get(camera.id, [])
    session.commit()  # the reads end here: reaching a camera can take seconds
    picture = None
    problem = "no transport to try"
    for transport in transports_for(source):
        try:
            picture = first_picture(source, transport, timeout)
            break
        except (av.error.FFmpegError, OSError) as error:
            problem = describe(error)
    if picture is None:
        raise Conflict(f"camera {name} cannot be reached now ({problem})")
    height, width = picture.shape[:2]
    mask = ZoneMask(zones, width, height) if zones else None
    if mask is not None:
        mask.apply_bgr(picture)
    result, jpeg = redact_still(picture, detectors=detectors, zones=mask)
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONSULT,
        "camera.live_viewed",
        object_type="camera",
        object_id=name,
        details={"zones": len(zones), "masked": len(result.tracks)},
    )
    session.commit()
    return jpeg


def open_live(call: Call, name: str) -> tuple[str, tuple[tuple[Point, ...], ...]]:
    """Open a live session of an active camera: its source and its privacy zones.

    Audited as a consultation before any picture is shown; `close_live` records how long it
    lasted and how many pictures went out.
    """
    session = call.session
    camera = cameras.get_camera(session, name)
    if camera.status is not CameraStatus.ACTIVE:
        raise Conflict(f"camera {name} is {camera.status}: it has no live picture")
    zones = cameras.zones_by_camera(session).get(camera.id, [])
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONSULT,
        "camera.live_opened",
        object_type="camera",
        object_id=name,
        details={"zones": len(zones)},
    )
    session.commit()
    return camera.source_url, tuple(tuple(points) for points in zones)


def close_live(call: Call, name: str, seconds: float, pictures: int, why: str) -> None:
    """Record the end of a live session: how long it lasted, how many pictures went out."""
    audit.record(
        call.session,
        call.clock,
        call.actor,
        Action.CONSULT,
        "camera.live_closed",
        object_type="camera",
        object_id=name,
        details={"seconds": round(seconds, 1), "pictures": pictures, "why": why},
    )
    call.session.commit()


@dataclass(frozen=True)
class SealedSegment:
    """What opening a segment needs, read from the index so that no transaction stays open."""

    id: str
    camera_id: int
    blob_key: str
    digest: str
    wrapped_key: bytes
    nonce: bytes


def sealed_segment(segment: Segment) -> SealedSegment:
    """The blob and wrapped key of a stored segment, or NotFound if it has been erased."""
    if segment.key is None:
        raise NotFound(f"segment {segment.id} has no key: it has been erased")
    return SealedSegment(
        segment.id,
        segment.camera_id,
        segment.blob_key,
        segment.digest,
        segment.key.wrapped_key,
        segment.key.nonce,
    )


def open_sealed(sealer: Sealer, blobs: BlobStore, sealed: SealedSegment) -> bytes:
    """Fetch and decrypt a segment in memory, checking its digest first (no database access)."""
    ciphertext = blobs.get(sealed.blob_key)
    if not digests.matches(sealed.digest, ciphertext):
        raise TamperDetected(f"segment {sealed.id}: the stored blob does not match its digest")
    return sealer.open(
        ciphertext, sealed.wrapped_key, sealed.nonce, associated_data(sealed.id, sealed.camera_id)
    )


def open_segment(sealer: Sealer, blobs: BlobStore, segment: Segment) -> bytes:
    """Fetch and decrypt a segment in memory, checking its digest first."""
    return open_sealed(sealer, blobs, sealed_segment(segment))


@dataclass(frozen=True)
class SegmentCheck:
    """The result of checking one stored segment."""

    segment_id: str
    camera: str
    started_at: datetime
    problem: str | None


def check_segments(
    session: Session,
    sealer: Sealer,
    blobs: BlobStore,
    *,
    decode: bool = True,
    progress: Callable[[], None] | None = None,
) -> Iterator[SegmentCheck]:
    """Check every stored segment: blob present, hash, key, decryption and (optionally) decoding."""
    for segment, camera in list_segments(session):
        if segment.key_id is None:
            continue  # erased on purpose; nothing left to check
        problem = None
        try:
            plaintext = open_segment(sealer, blobs, segment)
            if decode:
                frames = probe_video(plaintext)["frames"]
                if frames != segment.frames:
                    problem = f"decodes to {frames} frames, the index says {segment.frames}"
        except (CustosError, StorageError) as error:
            problem = error.message
        except Exception as error:  # a decoder error from a corrupt file
            problem = f"does not decode: {error}"
        if progress is not None:
            progress()
        yield SegmentCheck(segment.id, camera, segment.started_at, problem)


# --- the retention plan on the segment row ----------------------------------------------------
#
# Retention decides when each segment expires; the decision is kept on the segment's row so that
# what is due is found by index alone. Retention reads and writes it only through what follows,
# always with plain column rows and set-based statements: these run over thousands of segments.

# A live segment and its plan: id, camera id, started_at, ended_at, region, expires_at,
# retention_reason, retention_detail.
PlannedRow = sa.Row[str, int, datetime, datetime, str, datetime | None, str, str]
# One plan to write: segment id, expires_at (None: not while a hold lasts), reason, detail.
PlanChange = tuple[str, datetime | None, str, str]

_WRITE_PLAN = (
    sa.update(_SEGMENTS)
    .where(_SEGMENTS.c.id == sa.bindparam("segment_id"))
    .values(
        expires_at=sa.bindparam("plan_expires_at"),
        retention_reason=sa.bindparam("plan_reason"),
        retention_detail=sa.bindparam("plan_detail"),
    )
)


def planned_segments(
    session: Session,
    camera_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[PlannedRow]:
    """The live segments of `camera_ids` overlapping (since, until), with their plan, in order.

    None leaves a bound open (all cameras, any time); the order is by camera, then start.
    """
    query = sa.select(
        Segment.id,
        Segment.camera_id,
        Segment.started_at,
        Segment.ended_at,
        Segment.region,
        Segment.expires_at,
        Segment.retention_reason,
        Segment.retention_detail,
    ).where(Segment.erased_at.is_(None))
    if camera_ids is not None:
        query = query.where(Segment.camera_id.in_(sorted(set(camera_ids))))
    if since is not None:
        query = query.where(Segment.ended_at > since)
    if until is not None:
        query = query.where(Segment.started_at < until)
    return session.execute(query.order_by(Segment.camera_id, Segment.started_at)).all()


def write_plans(session: Session, changes: Sequence[PlanChange]) -> None:
    """Write the plan of each segment in `changes` with one statement; the caller commits.

    Segments this session has loaded are given the new plan too, as if it had been set on them.
    """
    if not changes:
        return
    session.execute(
        _WRITE_PLAN,
        [
            {
                "segment_id": segment_id,
                "plan_expires_at": expires_at,
                "plan_reason": reason,
                "plan_detail": detail,
            }
            for segment_id, expires_at, reason, detail in changes
        ],
    )
    if not session.identity_map:
        return
    for segment_id, expires_at, reason, detail in changes:
        loaded = session.identity_map.get(identity_key(Segment, segment_id))
        if loaded is not None:
            set_committed_value(loaded, "expires_at", expires_at)
            set_committed_value(loaded, "retention_reason", reason)
            set_committed_value(loaded, "retention_detail", detail)


# A segment due for erasure: id, camera id, started_at, ended_at, region, bytes.
DueRow = sa.Row[str, int, datetime, datetime, str, int]


def due_segments(session: Session, by: datetime, limit: int | None = None) -> Sequence[DueRow]:
    """The segments not erased whose plan expires by `by`, soonest first (then by id)."""
    query = (
        sa.select(
            Segment.id,
            Segment.camera_id,
            Segment.started_at,
            Segment.ended_at,
            Segment.region,
            Segment.bytes,
        )
        .where(Segment.expires_at <= by, Segment.erased_at.is_(None))
        .order_by(Segment.expires_at, Segment.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return session.execute(query).all()


def planned_expiries(session: Session, segment_ids: Iterable[str]) -> dict[str, datetime | None]:
    """The planned expiry of each segment among `segment_ids` that is not erased yet."""
    return {
        row.id: row.expires_at
        for row in session.execute(
            sa.select(Segment.id, Segment.expires_at).where(
                Segment.id.in_(list(segment_ids)), Segment.erased_at.is_(None)
            )
        )
    }


# An erased segment, as its erasure is recorded: id, camera id, key id (None if it had no key
# left), started_at, ended_at, bytes, digest of the ciphertext.
ErasedRow = sa.Row[str, int, str | None, datetime, datetime, int, str]


def erase_segments(
    session: Session, at: datetime, reasons: Mapping[str, str]
) -> Sequence[ErasedRow]:
    """Erase the segments `reasons` names (id -> why) in the caller's transaction.

    Each row becomes a tombstone erased `at` for its reason, and its wrapped data key is deleted,
    so the blob can never be opened again. Segments erased already are left alone. Returns what
    the erasure of each one erased now is recorded with; the caller audits and commits.
    """
    if not reasons:
        return []
    rows = session.execute(
        sa.select(
            Segment.id,
            Segment.camera_id,
            Segment.key_id,
            Segment.started_at,
            Segment.ended_at,
            Segment.bytes,
            Segment.digest,
        ).where(Segment.id.in_(list(reasons)), Segment.erased_at.is_(None))
    ).all()
    for reason in {reasons[row.id] for row in rows}:
        session.execute(
            sa.update(_SEGMENTS)
            .where(_SEGMENTS.c.id.in_([row.id for row in rows if reasons[row.id] == reason]))
            .values(key_id=None, expires_at=None, erased_at=at, erasure_reason=reason)
        )
    keys = [row.key_id for row in rows if row.key_id is not None]
    if keys:
        session.execute(sa.delete(_KEYS).where(_KEYS.c.id.in_(keys)))
    return rows


def erased_blob_keys(session: Session, segment_ids: Iterable[str]) -> list[str]:
    """The blob keys of those of `segment_ids` that are erased."""
    return list(
        session.scalars(
            sa.select(Segment.blob_key).where(
                Segment.id.in_(list(segment_ids)), Segment.erased_at.is_not(None)
            )
        )
    )


# A live segment on some plan: id, camera id, started_at, ended_at, bytes, expires_at.
OldestRow = sa.Row[str, int, datetime, datetime, int, datetime | None]


def oldest_planned(session: Session, reason: str, limit: int) -> Sequence[OldestRow]:
    """The oldest `limit` segments not erased whose plan has `reason` and an expiry."""
    return session.execute(
        sa.select(
            Segment.id,
            Segment.camera_id,
            Segment.started_at,
            Segment.ended_at,
            Segment.bytes,
            Segment.expires_at,
        )
        .where(
            Segment.erased_at.is_(None),
            Segment.expires_at.is_not(None),
            Segment.retention_reason == reason,
        )
        .order_by(Segment.started_at, Segment.id)
        .limit(limit)
    ).all()


def cameras_filmed_in(session: Session, regions: Iterable[str]) -> list[int]:
    """The ids of the cameras with segments, erased or not, filmed in any of `regions`."""
    return list(
        session.scalars(
            sa.select(Segment.camera_id).where(Segment.region.in_(list(regions))).distinct()
        )
    )


def _filmed(
    regions: Iterable[str], since: datetime, until: datetime | None
) -> sa.ColumnElement[bool]:
    condition = sa.and_(Segment.region.in_(list(regions)), Segment.ended_at > since)
    if until is not None:
        condition = sa.and_(condition, Segment.started_at < until)
    return condition


def count_due_filmed(
    session: Session, regions: Iterable[str], since: datetime, until: datetime | None, by: datetime
) -> int:
    """How many segments filmed in `regions` between `since` and `until` are due by `by`."""
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Segment)
        .where(
            _filmed(regions, since, until), Segment.erased_at.is_(None), Segment.expires_at <= by
        )
    )
    return count or 0


# What became of footage: region, whether erased, erasure_reason, retention_reason, how many.
OutcomeRow = sa.Row[str, bool, str | None, str, int]


def outcomes_filmed(
    session: Session, regions: Iterable[str], since: datetime, until: datetime | None
) -> Sequence[OutcomeRow]:
    """How many segments filmed in `regions` between `since` and `until` became what.

    Counted by region, whether erased, erasure reason and plan reason.
    """
    erased = Segment.erased_at.is_not(None)
    return session.execute(
        sa.select(
            Segment.region,
            erased,
            Segment.erasure_reason,
            Segment.retention_reason,
            sa.func.count(),
        )
        .where(_filmed(regions, since, until))
        .group_by(Segment.region, erased, Segment.erasure_reason, Segment.retention_reason)
    ).all()


# Segments of one camera with one plan reason, live or erased: camera id, whether erased,
# retention_reason, how many, their bytes, the earliest started_at and the earliest expires_at.
PlanTotalRow = sa.Row[int, bool, str, int, int, datetime | None, datetime | None]


def plan_totals(session: Session) -> Sequence[PlanTotalRow]:
    """Segments counted by camera, whether erased, and plan reason, with their bytes and dates."""
    erased = Segment.erased_at.is_not(None)
    return session.execute(
        sa.select(
            Segment.camera_id,
            erased,
            Segment.retention_reason,
            sa.func.count(Segment.id),
            sa.func.coalesce(sa.func.sum(Segment.bytes), 0),
            sa.func.min(Segment.started_at),
            sa.func.min(Segment.expires_at),
        ).group_by(Segment.camera_id, erased, Segment.retention_reason)
    ).all()


def overdue_erasures(session: Session, before: datetime) -> dict[str, tuple[int, datetime]]:
    """Cameras with footage that should have been erased before `before` and was not: how
    many segments, and since when the oldest was due."""
    names = cameras.camera_names(session)
    rows = session.execute(
        sa.select(Segment.camera_id, sa.func.count(Segment.id), sa.func.min(Segment.expires_at))
        .where(Segment.expires_at < before, Segment.erased_at.is_(None))
        .group_by(Segment.camera_id)
    )
    return {
        names[camera_id]: (int(count), oldest)
        for camera_id, count, oldest in rows
        if oldest is not None
    }
