"""One camera's recorder: connect, cut, seal, store; on a drop, record the gap and reconnect.

A recorder runs in its own thread until its stop event is set. It never gives up on a camera:
it retries with capped exponential back-off, and each outage becomes a gap row that starts
where the last segment ended and ends where the next one starts. It never waits for storage
either: it seals each segment and hands it to its spool, which stores it in the background.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import av
from av.container import InputContainer

from custos.clock import Clock
from custos.recording.media import (
    MaskingSegmenter,
    Segmenter,
    SegmentFile,
    open_source,
    stream_info,
)
from custos.recording.policy import (
    Backoff,
    CameraState,
    GapReason,
    Timeline,
    describe,
    recorder_state,
    source_failure,
    transports_for,
)
from custos.recording.service import CameraFeed, PendingSegment, SegmentWriter, StatusReport
from custos.recording.spool import DEFAULT_SPOOL_BYTES, Spool
from custos.taps import PacketTaps

log = logging.getLogger(__name__)

SOURCE_ERRORS = (av.error.FFmpegError, OSError)


def source_reason(error: BaseException, *, connected: bool) -> tuple[GapReason, str]:
    """The plain reason and the technical detail of a camera source failing.

    The reason is read from the error's text without its file name: PyAV appends the source's
    URL, whose port or path may hold anything ('rtsp://10.0.0.4:4010/ch401').
    """
    number = error.errno if isinstance(error, OSError) else None
    text = getattr(error, "strerror", None)
    message = text if isinstance(text, str) else str(error)
    reason = source_failure(type(error).__name__, number, message, connected=connected)
    return reason, describe(error)


class CameraRecorder:
    """Records one camera until `stop` is set; what it seals goes through its spool."""

    def __init__(
        self,
        feed: CameraFeed,
        writer: SegmentWriter,
        clock: Clock,
        stop: threading.Event,
        *,
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
        read_timeout: float = 10.0,
        realtime_files: bool = True,
        loop_files: bool = True,
        spool_bytes: int = DEFAULT_SPOOL_BYTES,
        close_timeout: float = 20.0,
        taps: PacketTaps | None = None,
    ) -> None:
        self.feed = feed
        self._taps = taps  # where live viewers in this process read this connection
        self._writer = writer
        self._clock = clock
        self._stop = stop
        self._backoff = backoff or Backoff()
        self._open_timeout = open_timeout
        self._read_timeout = read_timeout
        self._close_timeout = close_timeout
        # A file source stands in for a camera: played in real time and looped, like a live feed.
        self._is_file = feed.source.startswith("/")
        self._realtime = realtime_files and self._is_file
        self._loop = loop_files
        self._transport: str | None = None
        self._last_end: datetime | None = None
        self._interrupted = False
        self.spool = Spool(writer, feed, max_bytes=spool_bytes, on_fenced=stop.set)
        self.segments_stored = 0  # sealed and handed to the spool
        # Why the recorder stops, set by whoever sets `stop`: the next run's gap says it.
        self.stop_reason: GapReason = GapReason.SYSTEM_NOT_RUNNING
        self._started_at = clock.now()
        self._connected = False
        self._connections = 0
        self._outage: tuple[datetime, GapReason, str] | None = None
        self._last: PendingSegment | None = None
        self._reported: tuple[CameraState, datetime] | None = None
        self._extra = {"camera": feed.name}

    def run(self, start_reason: GapReason | None = None) -> None:
        """Record until stopped; `start_reason`, if given, says why the last run ended."""
        self.spool.start(start_reason)
        attempt = 0
        try:
            while not self._stop.is_set():
                stored_before = self.segments_stored
                failure = self._record_connection()
                if self._stop.is_set():
                    break
                if failure is None:
                    if not self._loop:
                        break
                    continue  # a file source came to its end: loop it without a gap
                if self.segments_stored > stored_before:
                    attempt = 0
                self._lost(*failure)
                self._stop.wait(self._backoff.delay(attempt))
                attempt += 1
        finally:
            self._connected = False
            self.spool.event("recording.stopped", segments=self.segments_stored)
            final = self.status(stopping=True) if self._stop.is_set() else None
            lost = self.spool.close(self._clock.now(), final, self._close_timeout)
            self.segments_stored -= lost

    def _lost(self, reason: GapReason, detail: str) -> None:
        now = self._clock.now()
        if self._outage is None:
            self._outage = (now, reason, detail)
            log.warning("camera %s: %s (%s)", self.feed.name, reason, detail, extra=self._extra)
        else:
            self._outage = (self._outage[0], reason, detail)
        if not self._interrupted:
            self.spool.interrupted(self._last_end or now, reason, detail)
            self._interrupted = True

    def _connect(self) -> InputContainer | tuple[GapReason, str]:
        transports = transports_for(self.feed.source)
        if self._transport in transports:  # the transport that worked last time goes first
            transports = (self._transport, *[t for t in transports if t != self._transport])
        error: BaseException | None = None
        for transport in transports:
            try:
                container = open_source(
                    self.feed.source, transport, self._open_timeout, self._read_timeout
                )
            except SOURCE_ERRORS as failure:
                error = failure
                continue
            self._transport = transport
            return container
        assert error is not None
        return source_reason(error, connected=False)

    def _record_connection(self) -> tuple[GapReason, str] | None:
        """Record one connection; returns why it ended, or None for a file that reached its end."""
        connected = self._connect()
        if isinstance(connected, tuple):
            return connected
        with connected as container:
            if not container.streams.video:
                return GapReason.NOT_A_VIDEO_STREAM, "the source has no video stream"
            video = container.streams.video[0]
            audio = None
            if self.feed.record_audio and container.streams.audio:
                audio = container.streams.audio[0]
            segmenter = (
                MaskingSegmenter(video, audio, self.feed.segment_seconds, self.feed.zones)
                if self.feed.zones
                else Segmenter(video, audio, self.feed.segment_seconds)
            )
            streams = [video] if audio is None else [video, audio]
            taps = self._taps
            tap = None if taps is None else taps.open(self.feed.name, stream_info(video))
            failure: tuple[GapReason, str] | None = (GapReason.STREAM_ENDED, "the stream ended")
            # A file loop continues the time line where the previous pass ended.
            resume = self._last_end if (self._is_file and not self._interrupted) else None
            timeline = Timeline(start=resume or (self._clock.now() if self._is_file else None))
            pace_from: tuple[float, float] | None = None
            video_index, time_base = video.index, float(video.time_base or 0)
            try:
                for packet in container.demux(streams):
                    if self._stop.is_set():
                        break
                    pts = packet.pts
                    if pts is not None and packet.stream_index == video_index:
                        if not self._connected:
                            self._on_connected()
                        seconds = pts * time_base
                        if not timeline.fixed:
                            timeline.observe(seconds, self._clock.now())
                        if self._realtime:
                            pace_from = pace_from or (seconds, time.monotonic())
                            self._pace(seconds, pace_from)
                    if tap is not None and tap.watched and packet.stream_index == video_index:
                        tap.publish(bytes(packet), pts, packet.is_keyframe)
                    finished = segmenter.push(packet)
                    if finished is not None:
                        self._store(finished, timeline)
                else:
                    if self._is_file:
                        failure = None
            except SOURCE_ERRORS as error:
                failure = source_reason(error, connected=True)
            finally:
                if taps is not None and tap is not None:
                    taps.close(self.feed.name, tap)
                for last in segmenter.finish():
                    self._store(last, timeline)
                self._connected = False
            return failure

    def _on_connected(self) -> None:
        self._connected = True
        self._connections += 1
        if self._outage is not None:
            log.info("camera %s: recording again", self.feed.name, extra=self._extra)
        self._outage = None

    def _pace(self, seconds: float, start: tuple[float, float]) -> None:
        """Hold a file's packet back until its moment comes, as a live camera would."""
        delay = start[1] + (seconds - start[0]) - time.monotonic()
        if delay > 0:
            self._stop.wait(delay)

    def _store(self, segment: SegmentFile, timeline: Timeline) -> None:
        """Seal a finished segment and hand it to the spool; never waits for storage."""
        pending = self._writer.seal(self.feed, segment, timeline.wall(segment.start))
        self._last = pending
        self._last_end = pending.ended_at
        self._interrupted = False
        if self.spool.segment(pending):
            self.segments_stored += 1
        if self._is_file and not self._realtime:
            # A file read at full speed loses nothing by waiting, so each segment is stored
            # before the next is read: the spool holds one segment, not the whole file, and
            # reading never competes with storing for the interpreter, as with a live camera,
            # whose reader mostly waits for the network.
            self.spool.wait_for_room(1, self._stop)

    def status(self, *, stopping: bool = False) -> StatusReport:
        """What this recorder is doing now, for its status row."""
        now = self._clock.now()
        failure = self.spool.failure
        if stopping:
            state: CameraState = CameraState.STOPPED
            reason, detail = str(self.stop_reason), ""
        else:
            outage = self._outage
            state = recorder_state(
                connected=self._connected,
                outage_seconds=(now - outage[0]).total_seconds() if outage else None,
                storage_failing=failure is not None,
            )
            if outage is not None and not self._connected:
                reason, detail = str(outage[1]), outage[2]
            elif failure is not None:
                reason, detail = str(failure.reason), failure.detail
            else:
                reason, detail = "", ""
        if self._reported is None or self._reported[0] != state:
            self._reported = (state, now)
        spooled, spooled_bytes = self.spool.depth
        last = self._last
        return StatusReport(
            camera_id=self.feed.id,
            state=str(state),
            reason=reason,
            detail=detail,
            state_since=self._reported[1],
            started_at=self._started_at,
            last_segment_end=self.spool.stored_end,
            lag_s=(now - self._last_end).total_seconds()
            if self._connected and self._last_end
            else None,
            bitrate_bps=last.size * 8 / last.duration if last and last.duration else None,
            fps=last.frames / last.duration if last and last.duration else None,
            width=last.width if last else None,
            height=last.height if last else None,
            codec=last.codec if last else "",
            reconnects=max(0, self._connections - 1),
            spool_segments=spooled,
            spool_bytes=spooled_bytes,
            segments_dropped=self.spool.dropped,
        )
