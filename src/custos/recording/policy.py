"""Pure rules of recording: segment length, where segments are cut, reconnection back-off."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


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


class GapReason(StrEnum):
    """Why a camera's time line has a hole, in the words an operator reads."""

    HOST_UNREACHABLE = "host unreachable"
    HOST_NOT_FOUND = "host not found"
    CONNECTION_REFUSED = "connection refused"
    AUTHENTICATION_FAILED = "authentication failed"
    STREAM_NOT_FOUND = "stream not found"
    NOT_A_VIDEO_STREAM = "not a video stream"
    STREAM_ENDED = "stream ended"
    STORAGE_FULL = "storage full"
    STORAGE_UNAVAILABLE = "storage unavailable"
    DATABASE_UNAVAILABLE = "database unavailable"
    RECORDER_RESTARTED = "recorder restarted"
    SYSTEM_NOT_RUNNING = "system not running"
    CAMERA_SUSPENDED = "camera suspended"
    DPIA_EXPIRED = "DPIA expired"  # suspended: no current impact assessment covers it
    CAMERA_CHANGED = "camera settings changed"
    RECORDER_FAILED_OVER = "recorder failed over"  # its recorder stopped renewing its lease
    RECORDER_HANDED_OVER = "recorder handed over"  # its recorder stopped cleanly and let it go


# errno values, as FFmpeg reports them on Linux.
_ENOENT, _EIO, _EACCES, _EPERM = 2, 5, 13, 1
_ENETUNREACH, _ETIMEDOUT, _ECONNREFUSED, _EHOSTUNREACH, _EHOSTDOWN = 101, 110, 111, 113, 112
_UNREACHABLE = {_ENETUNREACH, _ETIMEDOUT, _EHOSTUNREACH, _EHOSTDOWN}


def source_failure(kind: str, errno: int | None, message: str, *, connected: bool) -> GapReason:
    """The plain reason for a camera source failing, from what FFmpeg raised.

    `kind` is the error's class name, `errno` its number (None when it has none), `message` its
    text without the source's URL (a URL may hold '401' or '404' in its port or path) and
    `connected` whether a stream had been opened when it happened: a timeout while connecting
    means the host does not answer, a timeout later means the stream stopped.

    What real sources raise through PyAV (checked by tests/recording/test_probe.py):
    a route to nowhere is OSError 113 "No route to host"; a closed port ConnectionRefusedError
    111; a name that does not resolve OSError 5 "Input/output error"; wrong or missing
    credentials HTTPUnauthorizedError "Server returned 401 Unauthorized (authorization
    failed)", with FFmpeg's own error number, which is no errno; a path the server does not
    have HTTPNotFoundError "Server returned 404 Not Found"; an HTML page or any other file
    that is no video InvalidDataError "Invalid data found when processing input".
    """
    text = message.lower()
    if kind == "HTTPUnauthorizedError" or "401 unauthorized" in text:
        return GapReason.AUTHENTICATION_FAILED
    if kind in ("HTTPForbiddenError", "PermissionError") or errno in (_EACCES, _EPERM):
        return GapReason.AUTHENTICATION_FAILED
    if kind in ("HTTPNotFoundError", "FileNotFoundError") or "404 not found" in text:
        return GapReason.STREAM_NOT_FOUND
    if errno == _ENOENT:
        return GapReason.STREAM_NOT_FOUND
    if connected:
        if kind == "InvalidDataError" or "no video stream" in text:
            return GapReason.NOT_A_VIDEO_STREAM
        return GapReason.STREAM_ENDED
    if errno == _ECONNREFUSED or kind == "ConnectionRefusedError":
        return GapReason.CONNECTION_REFUSED
    if errno in _UNREACHABLE or kind == "TimeoutError":
        return GapReason.HOST_UNREACHABLE
    if errno == _EIO or "resolve" in text or "name or service" in text:
        # FFmpeg answers a name that does not resolve with an input/output error.
        return GapReason.HOST_NOT_FOUND
    if kind == "InvalidDataError" or "no video stream" in text:
        return GapReason.NOT_A_VIDEO_STREAM
    return GapReason.STREAM_ENDED


_URL_PASSWORD = re.compile(r"(://[^/\s:@'\"]*):[^/\s@'\"]*@")


def hide_passwords(text: str) -> str:
    """`text` with the password of any URL in it replaced by ***."""
    return _URL_PASSWORD.sub(r"\1:***@", text)


def describe(error: BaseException) -> str:
    """A one-line technical account of an error, kept beside a gap's plain reason.

    FFmpeg's errors name the source's URL: a password in it is masked, as everywhere it is shown.
    """
    return hide_passwords(f"{type(error).__name__}: {error}")[:500]


_ADVICE = {
    GapReason.HOST_UNREACHABLE: "nothing answers at that address: check that the camera is on "
    "and that this machine's network reaches it",
    GapReason.HOST_NOT_FOUND: "the host name does not resolve: check its spelling and the DNS",
    GapReason.CONNECTION_REFUSED: "the host answers, but nothing listens on that port: check "
    "the port in the URL",
    GapReason.AUTHENTICATION_FAILED: "the camera refuses the user name or password: check the "
    "credentials in the URL",
    GapReason.STREAM_NOT_FOUND: "there is no stream at that path: check the path in the URL, "
    "or that the file exists",
    GapReason.NOT_A_VIDEO_STREAM: "the source answers, but with nothing Custos reads as video",
    GapReason.STREAM_ENDED: "the stream stopped before its first picture",
}


def source_advice(reason: GapReason) -> str:
    """What an operator can check when a camera source fails for `reason`."""
    return _ADVICE.get(reason, "")


class CameraState(StrEnum):
    """What a camera's recorder is doing, as operators see it."""

    RECORDING = "recording"
    RECONNECTING = "reconnecting"
    DOWN = "down"
    STORAGE_REFUSED = "storage refused"
    STOPPED = "stopped"


# An outage shorter than this is a reconnection; a longer one means the camera is down.
RECONNECTING_SECONDS = 10.0


def recorder_state(
    *, connected: bool, outage_seconds: float | None, storage_failing: bool
) -> CameraState:
    """The state of a running recorder.

    `outage_seconds` is how long the camera has been out of reach (None when it is not).
    """
    if connected:
        return CameraState.STORAGE_REFUSED if storage_failing else CameraState.RECORDING
    if outage_seconds is not None and outage_seconds >= RECONNECTING_SECONDS:
        return CameraState.DOWN
    return CameraState.RECONNECTING


def resume_reason(previous_state: str | None, previous_reason: str) -> GapReason:
    """Why a camera's time line has a hole between the last run of its recorder and this one.

    A run that stopped cleanly says why it stopped (suspended, changed, or the whole system
    stopped); a run that left no clean stop behind died, and its recorder was restarted.
    """
    if previous_state == CameraState.STOPPED:
        for reason in (
            GapReason.CAMERA_SUSPENDED,
            GapReason.DPIA_EXPIRED,
            GapReason.CAMERA_CHANGED,
            GapReason.RECORDER_HANDED_OVER,
        ):
            if previous_reason == reason:
                return reason
        return GapReason.SYSTEM_NOT_RUNNING
    return GapReason.RECORDER_RESTARTED


Interval = tuple[datetime, datetime]


def holes(covered: Iterable[Interval], tolerance: timedelta = timedelta(0)) -> list[Interval]:
    """The stretches between `covered` intervals (segments and gaps) that nothing explains.

    Intervals may overlap and come in any order; holes no longer than `tolerance` are ignored.
    Time before the first interval and after the last is not a hole.
    """
    result: list[Interval] = []
    reach: datetime | None = None
    for start, end in sorted(covered):
        if reach is not None and start - reach > tolerance:
            result.append((reach, start))
        reach = end if reach is None else max(reach, end)
    return result


def part_within(
    segment_start: datetime, segment_end: datetime, start: datetime, end: datetime
) -> tuple[float, float] | None:
    """The part of a segment between `start` and `end`, in seconds from the segment's start;
    None if they do not meet."""
    first = max(segment_start, start)
    last = min(segment_end, end)
    if last <= first:
        return None
    return (first - segment_start).total_seconds(), (last - segment_start).total_seconds()


# Camera leases: which recorder records which camera.


def fair_shares(cameras: int, capacities: Mapping[str, int]) -> dict[str, int]:
    """How many of `cameras` each live recorder should hold, within its capacity.

    Cameras are spread as evenly as the capacities allow: a recorder with little room takes
    what it can, and the rest is shared among the others. Remainders go to recorders in name
    order, so every recorder computes the same shares from the same facts.
    """
    shares = dict.fromkeys(capacities, 0)
    left = max(0, cameras)
    open_ = sorted(capacities, key=lambda name: (capacities[name], name))
    while left and open_:
        even, extra = divmod(left, len(open_))
        smallest = open_[0]
        if capacities[smallest] - shares[smallest] <= even:
            # The smallest cannot take an even part: it takes all it can, the rest is shared.
            left -= capacities[smallest] - shares[smallest]
            shares[smallest] = capacities[smallest]
            open_.pop(0)
            continue
        for index, name in enumerate(sorted(open_)):
            shares[name] += even + (1 if index < extra else 0)
        left = 0
    return shares


def to_claim(held: int, share: int, capacity: int) -> int:
    """How many more cameras a recorder holding `held` claims now: up to its share."""
    return max(0, min(share, capacity) - held)


def claim_order(free: Iterable[tuple[int, int]]) -> list[int]:
    """Free cameras (id, priority) in the order they are claimed: higher priority first."""
    return [camera for camera, _ in sorted(free, key=lambda item: (-item[1], item[0]))]


def to_release(held: int, share: int) -> int:
    """How many cameras a recorder holding more than its share lets go this round: one at a
    time, so a recorder that joins is given cameras without a burst of hand-overs."""
    return 1 if held > share else 0


def release_order(held: Iterable[tuple[int, int]]) -> list[int]:
    """Held cameras (id, priority) in the order they are let go: the reverse of claiming."""
    return list(reversed(claim_order(held)))


@dataclass(frozen=True)
class LeaseState:
    """A camera's lease as a recorder finds it when it looks for cameras to claim."""

    holder: str | None  # None: never held, or let go
    expires_at: datetime


def claimable(lease: LeaseState | None, now: datetime) -> bool:
    """Whether a recorder may claim this camera now: nobody holds it, or its holder went silent."""
    return lease is None or lease.holder is None or lease.expires_at <= now


def takeover_reason(lease: LeaseState | None) -> GapReason | None:
    """Why the camera's time line has a hole when a recorder claims it from `lease`.

    A holder that stopped renewing failed over, whichever recorder takes the camera (another,
    or a new process on the same machine). A camera let go says why in its last run's status
    (handed over, suspended, the system stopped): None leaves it to that.
    """
    if lease is not None and lease.holder is not None:
        return GapReason.RECORDER_FAILED_OVER
    return None


# Collection in the audit log: one entry per camera per period, naming every segment.

COLLECTION_PERIOD = timedelta(minutes=10)


def collection_period(at: datetime, period: timedelta = COLLECTION_PERIOD) -> datetime:
    """The start of the collection period `at` falls in (periods are aligned to the epoch)."""
    step = period.total_seconds()
    return datetime.fromtimestamp((at.timestamp() // step) * step, UTC)


def collection_batches(
    segments: Iterable[tuple[str, datetime]], period: timedelta = COLLECTION_PERIOD
) -> dict[datetime, list[str]]:
    """Segments (id, start) grouped by the collection period they start in, in time order."""
    batches: dict[datetime, list[str]] = {}
    for segment_id, started_at in sorted(segments, key=lambda item: (item[1], item[0])):
        batches.setdefault(collection_period(started_at, period), []).append(segment_id)
    return dict(sorted(batches.items()))
