"""Pure rules of recording: segment length, where segments are cut, reconnection back-off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def should_cut(elapsed: float, target: float, is_keyframe: bool) -> bool:
    """Start a new segment here? Only at a keyframe, so each segment decodes on its own."""
    return is_keyframe and elapsed >= target


@dataclass(frozen=True)
class Backoff:
    """Capped exponential back-off between reconnection attempts."""

    first: float = 1.0
    factor: float = 2.0
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt` (0 for the first retry)."""
        return float(min(self.cap, self.first * self.factor ** min(attempt, 32)))


def transports_for(source: str) -> tuple[str | None, ...]:
    """RTSP tries TCP first (it crosses firewalls and loses nothing), then UDP; others have none."""
    if source.startswith(("rtsp://", "rtsps://")):
        return ("tcp", "udp")
    return (None,)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def segment_id(started_at: datetime, random: bytes) -> str:
    """A segment id that sorts by time: 48 bits of milliseconds, then 80 random bits, in hex.

    Rows recorded together sit together in the index, so erasing a period touches a few
    pages of the database rather than one page per segment.
    """
    if len(random) != 10:
        raise ValueError("a segment id takes 10 random bytes")
    # Integer arithmetic: a float timestamp rounds x.000999 s up to x.001 near 2100, and two
    # segments a millisecond apart would then share their time prefix.
    since = started_at - _EPOCH
    millis = (since.days * 86_400_000 + since.seconds * 1000 + since.microseconds // 1000) & (
        0xFFFF_FFFF_FFFF
    )
    return millis.to_bytes(6, "big").hex() + random.hex()


def blob_key(camera_id: int, started_at: datetime, segment_id: str) -> str:
    """Where a segment's sealed blob is stored: by camera and UTC day, then the segment id."""
    return f"cameras/{camera_id}/{started_at:%Y/%m/%d}/{segment_id}"


def associated_data(segment_id: str, camera_id: int) -> bytes:
    """What a sealed segment is bound to; opening it under any other binding fails."""
    return f"custos-segment-v1\x00{segment_id}\x00{camera_id}".encode()


class Timeline:
    """Maps a source's own timestamps (seconds) to wall-clock time.

    A packet may arrive late (network delay, or the burst FFmpeg reads ahead while probing a
    stream) but never before it was filmed, so the earliest arrival relative to its timestamp
    is the best estimate of the offset. The estimate is fixed at the first conversion, so the
    segments of one connection stay exactly contiguous. A timeline given a `start` (a file
    looping on from where its last pass ended) is fixed from its first packet.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start
        self._offset: float | None = None
        self._fixed = False

    @property
    def fixed(self) -> bool:
        """Whether the offset is settled; later observations change nothing."""
        return self._fixed

    def observe(self, source_seconds: float, arrival: datetime) -> None:
        """Take note of a packet stamped `source_seconds` that arrived at `arrival`."""
        if self._fixed:
            return
        if self._start is not None:
            self._offset = self._start.timestamp() - source_seconds
            self._fixed = True
            return
        candidate = arrival.timestamp() - source_seconds
        if self._offset is None or candidate < self._offset:
            self._offset = candidate

    def wall(self, source_seconds: float) -> datetime:
        """The wall-clock time of `source_seconds`; fixes the estimate from now on."""
        if self._offset is None:
            raise ValueError("no packet observed yet")
        self._fixed = True
        return datetime.fromtimestamp(self._offset + source_seconds, UTC)
