"""Live video: one connection per camera, shared by every viewer, masked on the server.

    reader    decodes the camera's pictures and keeps only the latest. Where a recorder in
              the same process is connected to the camera (`custos serve`), it decodes the
              packets the recorder receives (`custos.taps`) and opens no connection of its
              own; otherwise it connects itself (a file source stands in for a camera: played
              in real time and looped, as the recorder plays it), reconnects with back-off
              when the camera drops, and moves to the recorder's connection when one opens
    masker    takes the latest picture whenever it is free: privacy zones black, faces masked
              (`redaction.live.LiveMasker`), a JPEG made; a picture that arrived while it
              worked is dropped. When masking cannot keep up the frame rate drops, never the
              masking: no picture leaves that was not masked
    viewers   each takes the newest JPEG at its own pace (`fps`), and waits for the next

A hub starts with its first viewer and stops when its last one has been gone IDLE_S seconds.
`LiveHubs` holds the hubs of one web process. A picture's "captured" time is when the reader
received it, so a viewer can tell how old what it shows is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import av
import cv2
import numpy as np

from custos.recording.media import open_source, tap_decoder
from custos.recording.policy import Backoff, transports_for
from custos.redaction.cache import DetectorCache
from custos.redaction.live import LiveMasker
from custos.redaction.pipeline import Options
from custos.redaction.zones import Point, ZoneMask
from custos.taps import PacketTaps, Tap

log = logging.getLogger(__name__)

IDLE_S = 10.0  # a hub with no viewer for this long closes its camera connection
JPEG_QUALITY = 80
LIVE_OPTIONS = Options()  # faces, searched at the default size, as recorded footage is
MAX_FPS = 15


@dataclass(frozen=True)
class LiveSource:
    """What a hub connects to: the camera's name, its source and its privacy zones."""

    name: str
    url: str
    zones: tuple[tuple[Point, ...], ...]


@dataclass(frozen=True)
class Picture:
    """One masked picture as JPEG, its number, and when the reader received it."""

    number: int
    jpeg: bytes
    captured: float  # time.time() of its arrival from the camera
    masked: int  # objects masked in it


class LiveHub:
    """The shared live feed of one camera."""

    def __init__(self, source: LiveSource, detectors: DetectorCache, taps: PacketTaps) -> None:
        self.source = source
        self._detectors = detectors
        self._taps = taps
        self._lock = threading.Condition()
        self._latest: tuple[np.ndarray, float] | None = None  # the newest decoded picture
        self._picture: Picture | None = None  # the newest masked one
        self._viewers = 0
        self._last_seen = time.monotonic()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.problem: str | None = None  # why the camera cannot be reached, while it cannot
        self.connections = 0  # how many times the hub has connected to the camera itself
        self.shared = 0  # how many times it has read a recorder's connection instead

    # --- life ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect and start masking (once)."""
        if self._threads:
            return
        for name, work in (("read", self._read), ("mask", self._mask)):
            thread = threading.Thread(
                target=work, name=f"live-{name}-{self.source.name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Close the camera connection and stop masking."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def idle(self, now: float) -> bool:
        """Whether nobody has watched for IDLE_S seconds."""
        with self._lock:
            return self._viewers == 0 and now - self._last_seen >= IDLE_S

    # --- reading and masking -------------------------------------------------------------------

    def _read(self) -> None:
        backoff, attempt = Backoff(), 0
        is_file = self.source.url.startswith("/")
        while not self._stop.is_set():
            tap = self._taps.get(self.source.name)
            if tap is not None:
                try:
                    self._shared_pictures(tap)
                except (TimeoutError, av.error.FFmpegError) as error:
                    self.problem = str(error)
                    self._stop.wait(1.0)
                continue
            failure = None
            for transport in transports_for(self.source.url):
                try:
                    self._pictures(transport, is_file)
                    failure = None
                    attempt = 0
                    break
                except (av.error.FFmpegError, OSError) as error:
                    failure = str(error)
            if self._stop.is_set():
                return
            if failure is not None:
                self.problem = failure
                self._stop.wait(backoff.delay(attempt))
                attempt += 1

    def _pictures(self, transport: str | None, is_file: bool) -> None:
        """Decode one connection's pictures until it ends, keeping only the latest."""
        with open_source(self.source.url, transport, 10.0, 10.0) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            self.connections += 1
            self.problem = None
            started: tuple[float, float] | None = None
            for frame in container.decode(stream):
                if self._stop.is_set() or self._taps.get(self.source.name) is not None:
                    return  # stopped, or a recorder's connection to share has opened
                if is_file and frame.time is not None:  # as a camera would send it
                    started = started or (float(frame.time), time.monotonic())
                    delay = started[1] + float(frame.time) - started[0] - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
                self._keep(frame)

    def _shared_pictures(self, tap: Tap) -> None:
        """Decode the packets of a recorder's connection until it ends."""
        with tap.subscribe() as subscription:
            decoder = tap_decoder(tap.info)
            self.shared += 1
            self.problem = None
            for packet in subscription.packets(self._stop):
                data = av.Packet(packet.data)
                data.pts = packet.pts
                try:
                    frames = decoder.decode(data)
                except av.error.FFmpegError:
                    continue  # a damaged packet: the pictures after the next keyframe are whole
                for frame in frames:
                    self._keep(frame)

    def _keep(self, frame: av.VideoFrame) -> None:
        """Make `frame` the latest picture, replacing one not yet masked."""
        picture = frame.reformat(frame.width & ~1, frame.height & ~1, "bgr24").to_ndarray()
        with self._lock:
            self._latest = (np.ascontiguousarray(picture), time.time())
            self._lock.notify_all()

    def _mask(self) -> None:
        masker: LiveMasker | None = None
        zones: ZoneMask | None = None
        number = 0
        while not self._stop.is_set():
            with self._lock:
                while self._latest is None and not self._stop.is_set():
                    self._lock.wait(0.5)
                if self._stop.is_set() or self._latest is None:
                    return
                picture, captured = self._latest
                self._latest = None  # whatever comes while this one is masked replaces it
            height, width = picture.shape[:2]
            if masker is None:
                masker = LiveMasker(LIVE_OPTIONS, self._detectors.get(LIVE_OPTIONS, 1))
            if self.source.zones and (
                zones is None or (zones.width, zones.height) != (width, height)
            ):
                zones = ZoneMask(list(self.source.zones), width, height)
            if zones is not None:
                zones.apply_bgr(picture)
            masked = masker.mask(picture, zones)
            ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:  # pragma: no cover - OpenCV encodes any BGR array
                continue
            number += 1
            with self._lock:
                self._picture = Picture(number, encoded.tobytes(), captured, masked)
                self._lock.notify_all()

    # --- viewers ---------------------------------------------------------------------------------

    def pictures(
        self, fps: float, stop: threading.Event, wait_s: float = 10.0
    ) -> Iterator[Picture]:
        """The newest masked pictures, at most `fps` a second, until `stop` is set.

        Raises TimeoutError when no picture comes for `wait_s` seconds (the camera is gone).
        """
        gap = 1.0 / max(0.5, min(float(MAX_FPS), fps))
        with self._lock:
            self._viewers += 1
        try:
            last = 0
            due = 0.0
            while not stop.is_set() and not self._stop.is_set():
                with self._lock:
                    deadline = time.monotonic() + wait_s
                    while (
                        self._picture is None or self._picture.number == last
                    ) and not stop.is_set():
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise TimeoutError(self.problem or "no picture from the camera")
                        self._lock.wait(min(0.5, remaining))
                    picture = self._picture
                if picture is None or stop.is_set():
                    return
                last = picture.number
                yield picture
                due = max(due + gap, time.monotonic())
                pause = due - time.monotonic()
                if pause > 0:
                    stop.wait(pause)
        finally:
            with self._lock:
                self._viewers -= 1
                self._last_seen = time.monotonic()

    def _waiting_since(self, last: int) -> bool:
        """Whether no picture newer than number `last` has come (call with the lock held)."""
        return self._picture is None or self._picture.number == last


class LiveHubs:
    """The live hubs of one web process, one per camera, made on demand, closed when idle."""

    def __init__(self, detectors: DetectorCache, taps: PacketTaps) -> None:
        self._detectors = detectors
        self._taps = taps
        self._lock = threading.Lock()
        self._hubs: dict[str, LiveHub] = {}

    def hub(self, source: LiveSource) -> LiveHub:
        """The running hub of a camera; a new one if its source or zones changed."""
        with self._lock:
            self._reap()
            hub = self._hubs.get(source.name)
            if hub is not None and hub.source != source:
                hub.stop()
                hub = None
            if hub is None or hub.stopped:
                hub = self._hubs[source.name] = LiveHub(source, self._detectors, self._taps)
            hub.start()
            return hub

    def hub_of(self, name: str) -> LiveHub | None:
        """The hub of camera `name`, if one runs."""
        with self._lock:
            return self._hubs.get(name)

    def _reap(self) -> None:
        now = time.monotonic()
        for name, hub in list(self._hubs.items()):
            if hub.idle(now):
                hub.stop()
                del self._hubs[name]

    def close(self) -> None:
        """Stop every hub."""
        with self._lock:
            for hub in self._hubs.values():
                hub.stop()
            self._hubs.clear()

    def running(self) -> Sequence[str]:
        """The cameras with a hub now."""
        with self._lock:
            return sorted(self._hubs)
