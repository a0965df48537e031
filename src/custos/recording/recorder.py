"""One camera's recorder: connect, cut, seal, store; on a drop, record the gap and reconnect.

A recorder runs in its own thread until its stop event is set. It never gives up on a camera:
it retries with capped exponential back-off, and each outage becomes a gap row that starts
where the last stored segment ended and ends where the next one starts.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import av
from av.container import InputContainer

from custos.clock import Clock
from custos.recording.media import MaskingSegmenter, Segmenter, SegmentFile, open_source
from custos.recording.policy import Backoff, Timeline, transports_for
from custos.recording.service import CameraFeed, SegmentWriter

log = logging.getLogger(__name__)

SOURCE_ERRORS = (av.error.FFmpegError, OSError)
STORE_ATTEMPTS = 5


def describe(error: BaseException) -> str:
    """A one-line reason for a gap row."""
    return f"{type(error).__name__}: {error}"[:500]


class CameraRecorder:
    """Records one camera until `stop` is set."""

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
    ) -> None:
        self.feed = feed
        self._writer = writer
        self._clock = clock
        self._stop = stop
        self._backoff = backoff or Backoff()
        self._open_timeout = open_timeout
        self._read_timeout = read_timeout
        # A file source stands in for a camera: played in real time and looped, like a live feed.
        self._is_file = feed.source.startswith("/")
        self._realtime = realtime_files and self._is_file
        self._loop = loop_files
        self._transport: str | None = None
        self._last_end: datetime | None = None
        self._gap: int | None = None
        self.segments_stored = 0

    def run(self) -> None:
        """Record until stopped."""
        self._writer.recorder_event(self.feed, "recording.started")
        attempt = 0
        try:
            while not self._stop.is_set():
                stored_before = self.segments_stored
                reason = self._record_connection()
                if self._stop.is_set():
                    break
                if reason is None:
                    if not self._loop:
                        break
                    continue  # a file source came to its end: loop it without a gap
                if self.segments_stored > stored_before:
                    attempt = 0
                if self._gap is None:
                    since = self._last_end or self._clock.now()
                    self._gap = self._writer.open_gap(self.feed, since, reason)
                    log.warning(
                        "camera %s: %s", self.feed.name, reason, extra={"camera": self.feed.name}
                    )
                self._stop.wait(self._backoff.delay(attempt))
                attempt += 1
        finally:
            if self._gap is not None:  # stopped while the camera was away: the gap ends here
                self._writer.close_gap(self.feed, self._gap, self._clock.now())
                self._gap = None
            self._writer.recorder_event(
                self.feed, "recording.stopped", segments=self.segments_stored
            )

    def _connect(self) -> InputContainer | str:
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
        return describe(error)

    def _record_connection(self) -> str | None:
        """Record one connection; returns why it ended, or None for a file that reached its end."""
        connected = self._connect()
        if isinstance(connected, str):
            return connected
        with connected as container:
            if not container.streams.video:
                return "the source has no video stream"
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
            reason: str | None = "the stream ended"
            # A file loop continues the time line where the previous pass ended.
            resume = self._last_end if (self._is_file and self._gap is None) else None
            timeline = Timeline(start=resume or (self._clock.now() if self._is_file else None))
            pace_from: tuple[float, float] | None = None
            video_index, time_base = video.index, float(video.time_base or 0)
            try:
                for packet in container.demux(streams):
                    if self._stop.is_set():
                        break
                    pts = packet.pts
                    if pts is not None and packet.stream_index == video_index:
                        seconds = pts * time_base
                        if not timeline.fixed:
                            timeline.observe(seconds, self._clock.now())
                        if self._realtime:
                            pace_from = pace_from or (seconds, time.monotonic())
                            self._pace(seconds, pace_from)
                    finished = segmenter.push(packet)
                    if finished is not None:
                        self._store(finished, timeline)
                else:
                    if self._is_file:
                        reason = None
            except SOURCE_ERRORS as error:
                reason = describe(error)
            finally:
                for last in segmenter.finish():
                    self._store(last, timeline)
            return reason

    def _pace(self, seconds: float, start: tuple[float, float]) -> None:
        """Hold a file's packet back until its moment comes, as a live camera would."""
        delay = start[1] + (seconds - start[0]) - time.monotonic()
        if delay > 0:
            self._stop.wait(delay)

    def _store(self, segment: SegmentFile, timeline: Timeline) -> None:
        started_at = timeline.wall(segment.start)
        attempt = 0
        while True:
            try:
                row = self._writer.store(self.feed, segment, started_at)
                break
            except Exception as error:  # a storage fault must not end the recorder
                log.error(
                    "camera %s: cannot store a segment: %s",
                    self.feed.name,
                    error,
                    extra={"camera": self.feed.name},
                )
                if self._stop.is_set() or attempt >= STORE_ATTEMPTS:
                    if self._gap is None:
                        reason = f"segment not stored: {describe(error)}"
                        self._gap = self._writer.open_gap(self.feed, started_at, reason)
                    return
                self._stop.wait(self._backoff.delay(attempt))
                attempt += 1
        self.segments_stored += 1
        if self._gap is not None:
            self._writer.close_gap(self.feed, self._gap, row.started_at)
            self._gap = None
        self._last_end = row.ended_at
