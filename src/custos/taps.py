"""One connection to a camera, shared inside a process.

A recorder publishes the video packets it receives from its camera on a tap; a live viewer of
the same camera in the same process (`custos serve`) decodes those packets instead of opening
a second connection, which many cameras limit. Nothing is copied while nobody subscribes. A
subscriber that falls behind loses what it had queued and resumes at the next keyframe: the
recorder never waits for a viewer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

BACKLOG = 256  # packets a subscriber may have waiting (about 10 s at 25 fps)


@dataclass(frozen=True)
class StreamInfo:
    """What a decoder needs to read a tap's packets."""

    codec: str
    extradata: bytes | None
    width: int
    height: int
    time_base: Fraction | None


@dataclass(frozen=True)
class TapPacket:
    data: bytes
    pts: int | None
    keyframe: bool


_END = None  # queued when the tap closes


class Subscription:
    """One reader of a tap: its packets in order, from a keyframe on."""

    def __init__(self, tap: Tap) -> None:
        self.tap = tap
        self._queue: queue.Queue[TapPacket | None] = queue.Queue(maxsize=BACKLOG)
        self._waiting_for_key = True
        self.skipped = 0  # packets lost by falling behind

    def offer(self, packet: TapPacket) -> None:
        """Queue `packet` (the tap's lock held); past the backlog, drop all until a keyframe."""
        if self._waiting_for_key and not packet.keyframe:
            self.skipped += 1
            return
        self._waiting_for_key = False
        try:
            self._queue.put_nowait(packet)
        except queue.Full:
            self.skipped += self._queue.qsize() + 1
            self._clear()
            self._waiting_for_key = True

    def end(self) -> None:
        """After what is queued, the end (a full backlog is dropped to make room for it)."""
        try:
            self._queue.put_nowait(_END)
        except queue.Full:
            self._clear()
            self._queue.put_nowait(_END)

    def _clear(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def packets(self, stop: threading.Event, wait_s: float = 10.0) -> Iterator[TapPacket]:
        """The packets as they come, until the tap closes or `stop` is set.

        Raises TimeoutError when none comes for `wait_s` seconds.
        """
        waited = 0.0
        while not stop.is_set():
            try:
                packet = self._queue.get(timeout=0.25)
            except queue.Empty:
                waited += 0.25
                if waited >= wait_s:
                    raise TimeoutError("no packet from the recorder's connection") from None
                continue
            if packet is _END:
                return
            waited = 0.0
            yield packet

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.tap.unsubscribe(self)


class Tap:
    """The packets of one connection to one camera, handed to whoever subscribes."""

    def __init__(self, info: StreamInfo) -> None:
        self.info = info
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []
        self.closed = False

    @property
    def watched(self) -> bool:
        """Whether anyone reads: the publisher copies nothing otherwise."""
        return bool(self._subscribers)

    def publish(self, data: bytes, pts: int | None, keyframe: bool) -> None:
        packet = TapPacket(data, pts, keyframe)
        with self._lock:
            for subscription in self._subscribers:
                subscription.offer(packet)

    def subscribe(self) -> Subscription:
        subscription = Subscription(self)
        with self._lock:
            if self.closed:
                subscription.end()
            else:
                self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    def close(self) -> None:
        """The connection ended: every subscriber's packets end."""
        with self._lock:
            self.closed = True
            for subscription in self._subscribers:
                subscription.end()
            self._subscribers.clear()


class PacketTaps:
    """The open taps of one process, by camera name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._taps: dict[str, Tap] = {}

    def open(self, camera: str, info: StreamInfo) -> Tap:
        """A new tap for a new connection to `camera`; one it replaces is closed."""
        tap = Tap(info)
        with self._lock:
            previous = self._taps.get(camera)
            self._taps[camera] = tap
        if previous is not None:
            previous.close()
        return tap

    def close(self, camera: str, tap: Tap) -> None:
        """Close `tap` and forget it, unless a newer one has taken its place."""
        with self._lock:
            if self._taps.get(camera) is tap:
                del self._taps[camera]
        tap.close()

    def get(self, camera: str) -> Tap | None:
        """The open tap of `camera`, if a recorder in this process is connected to it."""
        with self._lock:
            tap = self._taps.get(camera)
        return None if tap is None or tap.closed else tap
