"""Pure rules of recording: segment length, where segments are cut, reconnection back-off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


def blob_key(camera_id: int, started_at: datetime, segment_id: str) -> str:
    """Where a segment's sealed blob is stored: by camera and UTC day, then the segment id."""
    return f"cameras/{camera_id}/{started_at:%Y/%m/%d}/{segment_id}"


def associated_data(segment_id: str, camera_id: int) -> bytes:
    """What a sealed segment is bound to; opening it under any other binding fails."""
    return f"custos-segment-v1\x00{segment_id}\x00{camera_id}".encode()
