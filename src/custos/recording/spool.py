"""What one recorder must write, kept in order and written by a thread of its own.

The thread that reads a camera only seals segments and hands them here; it never waits for the
database or the blob store. The spool writes each item in turn and retries it until it goes
through: a database outage or a full disk holds the queue back, never the camera. It holds
sealed ciphertext only, up to a bound in bytes; a segment that would pass the bound is dropped,
and the time it covered becomes a gap whose reason says why nothing could be stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from custos.recording.leases import LeaseLost
from custos.recording.policy import Backoff, GapReason, collection_period, describe
from custos.recording.service import (
    CameraFeed,
    PendingSegment,
    SegmentWriter,
    StatusReport,
    store_failure,
)

log = logging.getLogger(__name__)

DEFAULT_SPOOL_BYTES = 256 * 1024 * 1024


@dataclass
class _Resume:
    """Find where the time line stood and open a gap from there to the first new segment."""

    reason: GapReason | None  # None: the previous run's status says


@dataclass
class _Lost:
    """From `since` on, nothing is recorded, for `reason`."""

    since: datetime
    reason: GapReason
    detail: str


@dataclass
class _Segment:
    pending: PendingSegment
    blob_written: bool = False
    attempts: int = 0  # at indexing


@dataclass
class _Event:
    name: str
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class _Stopped:
    """The recorder stopped at `at`: an open gap ends there, and the final status is written."""

    at: datetime
    status: StatusReport | None


_Op = _Resume | _Lost | _Segment | _Event | _Stopped


@dataclass(frozen=True)
class Failure:
    """Why the spool cannot write now."""

    reason: GapReason
    detail: str
    since: float  # time.monotonic() of the first failed attempt


class Spool:
    """Writes one recorder's segments, gaps and events in order, retrying each until it lands."""

    def __init__(
        self,
        writer: SegmentWriter,
        feed: CameraFeed,
        *,
        max_bytes: int = DEFAULT_SPOOL_BYTES,
        backoff: Backoff | None = None,
        on_fenced: Callable[[], None] | None = None,
    ) -> None:
        self._writer = writer
        self._feed = feed
        self._max_bytes = max_bytes
        self._backoff = backoff or Backoff(first=0.5, cap=10.0)
        self._ops: deque[_Op] = deque()
        self._wake = threading.Condition()
        self._bytes = 0
        self._segments = 0
        self._closing_by: float | None = None  # monotonic deadline once closing
        self._thread = threading.Thread(target=self._drain, name=f"spool-{feed.name}", daemon=True)
        # Kept by the drain thread only.
        self._gap: tuple[int, datetime, GapReason] | None = None
        self._period: datetime | None = None  # the collection period of the last segment
        self.failure: Failure | None = None
        self.dropped = 0
        self.stored_end: datetime | None = None
        self.lost_on_close = 0
        # Set once the previous run's status has been read: until then, no heartbeat may
        # overwrite it.
        self.resumed = threading.Event()
        # Set when a write was refused because another recorder holds the camera now: nothing
        # more is written, and `on_fenced` tells the recorder to stop.
        self.fenced = False
        self._on_fenced = on_fenced

    @property
    def depth(self) -> tuple[int, int]:
        """Segments and bytes waiting to be stored."""
        with self._wake:
            return self._segments, self._bytes

    def start(self, reason: GapReason | None = None) -> None:
        """Start writing: first the gap since the camera's last run, then what comes."""
        self._put(_Resume(reason))
        self._put(_Event("recording.started"))
        self._thread.start()

    def segment(self, pending: PendingSegment) -> bool:
        """Queue a sealed segment; False if the spool is full and it was dropped."""
        with self._wake:
            if self._segments and self._bytes + pending.size > self._max_bytes:
                self.dropped += 1
                failure = self.failure
                reason = failure.reason if failure else GapReason.STORAGE_UNAVAILABLE
                detail = failure.detail if failure else ""
                if not self._ops or not isinstance(self._ops[-1], _Lost):
                    self._ops.append(_Lost(pending.started_at, reason, f"spool full; {detail}"))
                    self._wake.notify_all()
                self._writer.release(pending)
                return False
            self._bytes += pending.size
            self._segments += 1
            self._ops.append(_Segment(pending))
            self._wake.notify_all()
            return True

    def wait_for_room(self, segments: int, stop: threading.Event) -> None:
        """Wait until fewer than `segments` segments wait to be stored, or `stop` is set.

        Only for sources that lose nothing by waiting (a file read faster than real time); a
        live camera's recorder never calls it.
        """
        with self._wake:
            while self._segments >= segments and self._thread.is_alive() and not stop.is_set():
                self._wake.wait(0.5)

    def interrupted(self, since: datetime, reason: GapReason, detail: str) -> None:
        """Nothing is recorded from `since` on, for `reason`, until the next segment."""
        self._put(_Lost(since, reason, detail))

    def event(self, name: str, **details: object) -> None:
        """Queue an audit entry of the recorder (it starts, it stops)."""
        self._put(_Event(name, dict(details)))

    def close(self, at: datetime, status: StatusReport | None, timeout: float) -> int:
        """End an open gap at `at`, write `status`, and wait up to `timeout` s for the rest.

        Returns how many segments could not be stored in that time: they are lost, their blobs
        removed, and the next run's gap covers their time.
        """
        self._put(_Stopped(at, status))
        with self._wake:
            self._closing_by = time.monotonic() + timeout
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout + 5)
        return self.lost_on_close

    def _put(self, op: _Op) -> None:
        with self._wake:
            self._ops.append(op)
            self._wake.notify_all()

    def _drain(self) -> None:
        while True:
            with self._wake:
                while not self._ops and self._closing_by is None:
                    self._wake.wait()
                if not self._ops:
                    return
                op = self._ops[0]
            if not self._write(op):
                self._abandon()
                if self.fenced and self._on_fenced is not None:
                    self._on_fenced()
                return
            with self._wake:
                self._ops.popleft()
                if isinstance(op, _Segment):
                    self._segments -= 1
                    self._bytes -= op.pending.size
                    self._wake.notify_all()
                    self._writer.release(op.pending)
            self.failure = None

    def _write(self, op: _Op) -> bool:
        """Write one item, retrying until it goes through; False when closing ran out of time."""
        attempt = 0
        while True:
            try:
                self._apply(op)
                return True
            except LeaseLost as error:
                # Never retried: the camera is another recorder's now.
                log.warning("camera %s: %s", self._feed.name, error.message)
                self.fenced = True
                self.resumed.set()
                return False
            except Exception as error:
                reason = store_failure(error)
                if self.failure is None:
                    self.failure = Failure(reason, describe(error), time.monotonic())
                    log.error(
                        "camera %s: cannot write (%s), retrying: %s",
                        self._feed.name,
                        reason,
                        error,
                        extra={"camera": self._feed.name},
                    )
                else:
                    self.failure = Failure(reason, describe(error), self.failure.since)
            delay = self._backoff.delay(attempt)
            attempt += 1
            with self._wake:
                if self._closing_by is not None:
                    left = self._closing_by - time.monotonic()
                    if left <= 0:
                        return False
                    delay = min(delay, left)
                self._wake.wait(delay)

    def _apply(self, op: _Op) -> None:
        writer, feed = self._writer, self._feed
        if isinstance(op, _Segment):
            pending = op.pending
            self._end_gap(pending.started_at)
            if not op.blob_written:
                writer.put_blob(pending)
                op.blob_written = True
            op.attempts += 1
            writer.index(pending, again=op.attempts > 1)
            self.stored_end = pending.ended_at
            period = collection_period(pending.started_at)
            if self._period is not None and period > self._period:
                # A period closed: its segments go into the log in one entry.
                writer.collect(feed, period)
            self._period = period
        elif isinstance(op, _Lost):
            if self._gap is not None:
                if self._gap[2] == op.reason or op.since <= self._gap[1]:
                    return  # the open gap covers this already
                self._end_gap(op.since)
            self._gap = (writer.open_gap(feed, op.since, op.reason, op.detail), op.since, op.reason)
        elif isinstance(op, _Resume):
            resumed = writer.resume(feed)
            self.resumed.set()
            if resumed.since is not None:
                reason = op.reason or resumed.reason
                self._gap = (writer.open_gap(feed, resumed.since, reason), resumed.since, reason)
            if resumed.stale_gaps_closed or resumed.orphans_removed:
                writer.recorder_event(
                    feed,
                    "recording.recovered",
                    stale_gaps_closed=resumed.stale_gaps_closed,
                    orphan_blobs_removed=resumed.orphans_removed,
                )
        elif isinstance(op, _Event):
            writer.recorder_event(feed, op.name, **op.details)
        else:
            self._end_gap(op.at)
            writer.collect(feed, op.at)  # the last period, cut short
            if op.status is not None:
                writer.write_statuses([op.status])

    def _end_gap(self, at: datetime) -> None:
        if self._gap is not None:
            self._writer.close_gap(self._feed, self._gap[0], max(at, self._gap[1]))
            self._gap = None

    def _abandon(self) -> None:
        """Closing ran out of time, or the camera was lost to another recorder: what is left is
        lost; remove blobs nothing will index."""
        with self._wake:
            left = list(self._ops)
            self._ops.clear()
            self._segments = self._bytes = 0
        segments = [op for op in left if isinstance(op, _Segment)]
        self.lost_on_close = len(segments)
        for op in segments:
            if op.blob_written:
                self._writer.discard(op.pending)
            self._writer.release(op.pending)
        log.error(
            "camera %s: stopped with %d segment(s) not stored (%s)",
            self._feed.name,
            len(segments),
            self.failure.reason
            if self.failure
            else ("another recorder holds the camera" if self.fenced else "no time left"),
            extra={"camera": self._feed.name},
        )
