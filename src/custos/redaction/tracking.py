"""Tracking: tie detections in successive detection rounds into numbered tracks. Pure, no I/O.

Detection runs on every k-th frame (a "round"). The tracker matches each round's detections
to the tracks of the round before; a track that finds no match is held for `hold` rounds
before it ends, so that a face the detector misses for a moment stays masked: both where it
was and where the speed it had would take it, grown each round by `growth`. A moving track's
mask gets a wider margin too (`spread`: half its speed per round as a fraction of its size, at
most half its size). The frames between two rounds get boxes interpolated between the two
rounds' tracks (`between`): a track seen in both moves smoothly, one seen only before or only
after is masked where it was seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from custos.redaction.boxes import Box, Detection, iou


@dataclass(frozen=True)
class TrackedBox:
    """Where one track is masked in one frame."""

    track: int
    kind: str
    box: Box
    held: bool = False  # not detected in this round: masked where its motion would take it
    # Added to the mask's margin, as a fraction of the box: how fast the track moves (what
    # tracking cannot predict is where a moving object goes next).
    spread: float = 0.0


@dataclass(frozen=True)
class _Track:
    box: TrackedBox
    misses: int
    detections: int
    velocity: tuple[float, float] = (
        0.0,
        0.0,
    )  # centre's move per round, from the last two sightings


def grown(box: Box, fraction: float) -> Box:
    """`box` enlarged by `fraction` of its size on each side."""
    dx = (box[2] - box[0]) * fraction
    dy = (box[3] - box[1]) * fraction
    return box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy


MAX_SPREAD = 0.5


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _moved(box: Box, by: tuple[float, float]) -> Box:
    return box[0] + by[0], box[1] + by[1], box[2] + by[0], box[3] + by[1]


def _hull(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def speed_of(box: Box, velocity: tuple[float, float]) -> float:
    """How far a box moves per round, as a fraction of its own size (the larger of the two)."""
    width, height = max(box[2] - box[0], 1e-6), max(box[3] - box[1], 1e-6)
    return max(abs(velocity[0]) / width, abs(velocity[1]) / height)


def _lerp(a: Box, b: Box, t: float) -> Box:
    # Weighted sum rather than a + (b - a) * t: exact at both ends.
    return (
        a[0] * (1 - t) + b[0] * t,
        a[1] * (1 - t) + b[1] * t,
        a[2] * (1 - t) + b[2] * t,
        a[3] * (1 - t) + b[3] * t,
    )


class Tracker:
    """Numbers tracks from 1 in the order they appear; the same input gives the same numbers."""

    def __init__(self, hold: int = 5, min_overlap: float = 0.05, growth: float = 0.1) -> None:
        if hold < 0:
            raise ValueError("hold must not be negative")
        self.hold = hold
        self.min_overlap = min_overlap
        self.growth = growth
        self._tracks: dict[int, _Track] = {}
        self._next_id = 1
        self.detections: dict[int, int] = {}  # track id -> how many rounds detected it

    def update(self, detections: Sequence[Detection]) -> list[TrackedBox]:
        """Take one round's detections; returns every track masked in this round."""
        matches = self._match(detections)
        matched_tracks = set(matches.values())
        tracks: dict[int, _Track] = {}
        for index, detection in enumerate(detections):
            track_id = matches.get(index)
            velocity = (0.0, 0.0)
            if track_id is None:
                track_id = self._next_id
                self._next_id += 1
                seen = 0
            else:
                before = self._tracks[track_id]
                seen = before.detections
                (x0, y0), (x1, y1) = _centre(before.box.box), _centre(detection.box)
                rounds = before.misses + 1
                velocity = ((x1 - x0) / rounds, (y1 - y0) / rounds)
            spread = min(MAX_SPREAD, speed_of(detection.box, velocity) / 2)
            tracks[track_id] = _Track(
                TrackedBox(track_id, detection.kind, detection.box, spread=spread),
                0,
                seen + 1,
                velocity,
            )
            self.detections[track_id] = seen + 1
        for track_id, track in self._tracks.items():
            if track_id in matched_tracks or track.misses >= self.hold:
                continue
            # Not found this round: masked both where it was and where its motion would have
            # taken it, and grown for every round it stays unseen.
            last = track.box.box
            box = grown(_hull(last, _moved(last, track.velocity)), self.growth)
            held = replace(track.box, box=box, held=True)
            tracks[track_id] = _Track(held, track.misses + 1, track.detections, track.velocity)
        self._tracks = dict(sorted(tracks.items()))
        return [track.box for track in self._tracks.values()]

    def _match(self, detections: Sequence[Detection]) -> dict[int, int]:
        """Detection index -> track id, greedily by overlap, each used once, same kind only."""
        pairs = []
        for index, detection in enumerate(detections):
            for track_id, track in self._tracks.items():
                if track.box.kind != detection.kind:
                    continue
                # Against the track's box grown by half: a fast object still overlaps it.
                overlap = iou(grown(track.box.box, 0.5), detection.box)
                if overlap >= self.min_overlap:
                    pairs.append((overlap, index, track_id))
        matches: dict[int, int] = {}
        used: set[int] = set()
        for _, index, track_id in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
            if index not in matches and track_id not in used:
                matches[index] = track_id
                used.add(track_id)
        return matches


def between(
    before: Sequence[TrackedBox], after: Sequence[TrackedBox], fraction: float
) -> list[TrackedBox]:
    """The boxes of a frame `fraction` (0..1) of the way from one round to the next.

    A track in both rounds moves and changes size linearly (the margin of the mask absorbs
    the difference from a straight path); one in a single round keeps that round's box, so
    nothing seen at either end goes unmasked in between.
    """
    later = {tracked.track: tracked for tracked in after}
    boxes: list[TrackedBox] = []
    for tracked in before:
        other = later.pop(tracked.track, None)
        if other is None:
            boxes.append(tracked)
        else:
            boxes.append(replace(other, box=_lerp(tracked.box, other.box, fraction)))
    boxes.extend(later.values())
    return sorted(boxes, key=lambda tracked: tracked.track)
