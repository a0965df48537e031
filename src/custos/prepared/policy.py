"""Pure rules of prepared detections: what is prepared first, who works on what, and how the
tracks of one segment continue in the next. No I/O; `now` is passed in.

When a grant is approved, each segment of its windows is prepared in the background: decoded,
searched and tracked once, so that playing it later only decodes, masks and encodes.

    order       the start of every window first, then the second segment of each, and so on
                (`plan`): an investigator opens a window at its start. A player that asks for
                a moment moves that segment and the few after it ahead of everything (`asked`).
    claims      a worker claims one segment at a time for LEASE; a worker that dies leaves a
                claim that runs out, and another takes the segment again. A segment that
                failed MAX_ATTEMPTS times is left failed: playing it detects inline instead.
    stitching   each segment is tracked on its own (it may be prepared by any worker, in any
                order); when a window is played, the tracks of consecutive segments are joined
                by where the boxes are at the cut and how far apart in time, never by what a
                person looks like (`stitched`): a person keeps one track number across the
                window, which is what the investigator names when linking a track to a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from custos.redaction.boxes import iou
from custos.redaction.tracking import TrackedBox, grown

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 3
AHEAD = 3  # segments after the one a player asks for that move to the front with it
FRONT = -1  # the rank of what a player waits for
STITCH_GAP_S = 1.0  # segments further apart than this are not stitched: a gap lies between
STITCH_OVERLAP = 0.1  # boxes grown by half at the cut must overlap this much to be one track


class WorkState(StrEnum):
    """Where the preparation of one segment of a grant's window stands."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Planned:
    """One segment of one window to prepare, and how soon (lower ranks first)."""

    window_id: int
    segment_id: str
    rank: int


def plan(windows: Sequence[tuple[int, Sequence[str]]]) -> list[Planned]:
    """The work of a grant: each window's segments in time order, the windows' starts first."""
    return [
        Planned(window_id, segment_id, position)
        for window_id, segments in windows
        for position, segment_id in enumerate(segments)
    ]


def claimable(state: WorkState, lease_until: datetime | None, attempts: int, now: datetime) -> bool:
    """Whether a worker may take this segment now."""
    if attempts >= MAX_ATTEMPTS:
        return False
    if state is WorkState.PENDING:
        return True
    return state is WorkState.CLAIMED and lease_until is not None and lease_until <= now


def after_failure(attempts: int) -> WorkState:
    """What a segment becomes when preparing it failed for the `attempts`-th time."""
    return WorkState.FAILED if attempts >= MAX_ATTEMPTS else WorkState.PENDING


def asked(order: Sequence[str], at: str) -> list[str]:
    """The segments that move to the front when a player asks for segment `at` of a window
    whose segments are `order`: that one and the next AHEAD."""
    if at not in order:
        return []
    start = order.index(at)
    return list(order[start : start + AHEAD + 1])


# --- stitching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """The prepared frames of one segment's part of a window, and the seconds since the
    previous piece ended (None for the first)."""

    frames: Sequence[Sequence[TrackedBox]]
    gap_before_s: float | None


def joins(
    ending: Sequence[TrackedBox], starting: Sequence[TrackedBox], gap_s: float
) -> dict[int, int]:
    """Which track of the next piece continues which track of the previous one.

    The last frame's boxes of one piece against the first frame's of the next, same kind only,
    each used once, the best overlaps first (boxes grown by half, as the tracker matches a
    moving object); nothing joins across a gap longer than STITCH_GAP_S.
    """
    if gap_s > STITCH_GAP_S:
        return {}
    pairs = [
        (iou(grown(before.box, 0.5), grown(after.box, 0.5)), after.track, before.track)
        for before in ending
        for after in starting
        if before.kind == after.kind
    ]
    joined: dict[int, int] = {}
    used: set[int] = set()
    for overlap, after, before in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if overlap >= STITCH_OVERLAP and after not in joined and before not in used:
            joined[after] = before
            used.add(before)
    return joined


def numbering(pieces: Sequence[Piece]) -> list[dict[int, int]]:
    """For each piece, its tracks' numbers across the window (local number -> window number).

    The first piece keeps its numbers; a track of a later piece takes the number of the track
    it continues (`joins`), or the next number not yet used.
    """
    maps: list[dict[int, int]] = []
    next_id = 1
    previous_last: list[TrackedBox] = []
    for piece in pieces:
        first = list(piece.frames[0]) if piece.frames else []
        gap = piece.gap_before_s
        continued = joins(previous_last, first, gap) if gap is not None else {}
        numbers: dict[int, int] = {}
        for local in sorted({box.track for frame in piece.frames for box in frame}):
            if local in continued:
                numbers[local] = continued[local]
            else:
                numbers[local] = next_id
                next_id += 1
        next_id = max([next_id, *(n + 1 for n in numbers.values())])
        maps.append(numbers)
        if piece.frames:
            previous_last = [replace(box, track=numbers[box.track]) for box in piece.frames[-1]]
    return maps


def renumbered(
    frames: Sequence[Sequence[TrackedBox]], numbers: dict[int, int]
) -> list[list[TrackedBox]]:
    """A piece's frames with its tracks' window numbers."""
    return [[replace(box, track=numbers[box.track]) for box in frame] for frame in frames]


def stitched(pieces: Sequence[Piece]) -> list[list[list[TrackedBox]]]:
    """The pieces' frames with one numbering of tracks across the window (`numbering`)."""
    return [
        renumbered(piece.frames, numbers)
        for piece, numbers in zip(pieces, numbering(pieces), strict=True)
    ]
