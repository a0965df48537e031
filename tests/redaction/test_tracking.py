"""Tracking as tables and properties: stable numbering, holding missed objects, interpolation."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.redaction.detectors import FACE, PERSON, PLATE, Detection
from custos.redaction.tracking import TrackedBox, Tracker, between, grown

KINDS = (FACE, PLATE, PERSON)


def det(kind, x0, y0, x1, y1, score=0.9):
    return Detection(kind, (float(x0), float(y0), float(x1), float(y1)), score)


def contains(outer, inner):
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
    )


def run(tracker, rounds):
    return [tracker.update(detections) for detections in rounds]


# Boxes in a small field, so that detections of successive rounds often overlap and match.
coordinate = st.floats(min_value=0, max_value=300, allow_nan=False)
size = st.floats(min_value=1, max_value=120, allow_nan=False)


@st.composite
def detections(draw):
    x, y, w, h = draw(coordinate), draw(coordinate), draw(size), draw(size)
    score = draw(st.floats(min_value=0, max_value=1))
    return Detection(draw(st.sampled_from(KINDS)), (x, y, x + w, y + h), score)


rounds_of_detections = st.lists(st.lists(detections(), max_size=5), max_size=10)
holds = st.integers(min_value=0, max_value=4)
growths = st.floats(min_value=0, max_value=0.5)


# --- tables ---------------------------------------------------------------------------------


def test_negative_hold_is_refused():
    with pytest.raises(ValueError, match="hold"):
        Tracker(hold=-1)


def test_zero_hold_is_allowed_and_drops_a_missed_track_at_once():
    tracker = Tracker(hold=0)
    assert [t.track for t in tracker.update([det(FACE, 0, 0, 10, 10)])] == [1]
    assert tracker.update([]) == []


def test_ids_count_from_one_in_order_of_first_appearance():
    tracker = Tracker()
    first = tracker.update(
        [det(FACE, 0, 0, 10, 10), det(PLATE, 500, 500, 540, 510), det(FACE, 900, 0, 920, 20)]
    )
    assert [(t.track, t.kind, t.box) for t in first] == [
        (1, FACE, (0.0, 0.0, 10.0, 10.0)),
        (2, PLATE, (500.0, 500.0, 540.0, 510.0)),
        (3, FACE, (900.0, 0.0, 920.0, 20.0)),
    ]
    # A newcomer listed before a known face gets the next free number, not the first.
    second = tracker.update([det(PERSON, 300, 300, 340, 400), det(FACE, 1, 1, 11, 11)])
    assert {t.track: (t.kind, t.held) for t in second} == {
        1: (FACE, False),
        2: (PLATE, True),
        3: (FACE, True),
        4: (PERSON, False),
    }


def test_a_missed_face_is_held_growing_then_dropped():
    tracker = Tracker(hold=2, growth=0.1)
    tracker.update([det(FACE, 100, 100, 200, 200)])
    (once,) = tracker.update([])
    assert (once.track, once.kind, once.held) == (1, FACE, True)
    assert once.box == pytest.approx((90, 90, 210, 210))  # 10 % of 100 px on each side
    (twice,) = tracker.update([])
    assert twice.held
    assert twice.box == pytest.approx((78, 78, 222, 222))  # 10 % of 120 px on each side
    assert tracker.update([]) == []


def test_a_moving_face_that_is_missed_is_masked_where_it_was_and_where_it_was_going():
    tracker = Tracker(hold=2, growth=0.0)
    tracker.update([det(FACE, 100, 100, 200, 200)])
    (moving,) = tracker.update([det(FACE, 130, 100, 230, 200)])  # 30 px a round to the right
    assert moving.spread == pytest.approx(0.15)  # half of 30 / 100
    (held,) = tracker.update([])
    assert held.held
    assert held.box == pytest.approx((130, 100, 260, 200))  # the last box and the next one
    (again,) = tracker.update([])
    assert again.box == pytest.approx((130, 100, 290, 200))
    assert again.spread == pytest.approx(0.15)


def test_a_still_face_has_no_extra_spread_and_fast_ones_are_capped():
    tracker = Tracker()
    tracker.update([det(FACE, 0, 0, 10, 10), det(FACE, 500, 500, 600, 600)])
    still, fast = tracker.update([det(FACE, 0, 0, 10, 10), det(FACE, 610, 500, 710, 600)])
    assert still.spread == 0.0
    assert fast.spread == 0.5  # 110 px a round on a 100 px face: capped at half its size


def test_a_missed_face_is_held_for_five_rounds_by_default():
    tracker = Tracker()
    tracker.update([det(FACE, 100, 100, 200, 200)])
    assert [len(tracker.update([])) for _ in range(6)] == [1, 1, 1, 1, 1, 0]


def test_a_held_face_that_returns_keeps_its_number():
    tracker = Tracker(hold=3)
    tracker.update([det(FACE, 100, 100, 200, 200)])
    tracker.update([])
    tracker.update([])
    (back,) = tracker.update([det(FACE, 110, 105, 205, 210)])
    assert (back.track, back.held, back.box) == (1, False, (110.0, 105.0, 205.0, 210.0))
    assert tracker.detections == {1: 2}


def test_a_face_that_returns_after_the_hold_gets_a_new_number():
    tracker = Tracker(hold=1)
    tracker.update([det(FACE, 100, 100, 200, 200)])
    tracker.update([])
    assert tracker.update([]) == []
    (back,) = tracker.update([det(FACE, 100, 100, 200, 200)])
    assert (back.track, back.held) == (2, False)


def test_a_jump_far_away_starts_a_new_track_and_holds_the_old_one():
    tracker = Tracker()
    tracker.update([det(FACE, 0, 0, 50, 50)])
    result = tracker.update([det(FACE, 400, 400, 450, 450)])
    assert [(t.track, t.held) for t in result] == [(1, True), (2, False)]


@pytest.mark.parametrize(("dx", "dy"), [(110, 0), (-110, 0), (0, 110), (90, 90), (-90, 90)])
def test_a_fast_object_that_no_longer_overlaps_its_last_box_keeps_its_number(dx, dy):
    # The tracker matches against the last box grown by half, so that a fast object still
    # overlaps it: these jumps leave (almost) no overlap with the 100 px box itself.
    tracker = Tracker()
    tracker.update([det(FACE, 100, 100, 200, 200)])
    result = tracker.update([det(FACE, 100 + dx, 100 + dy, 200 + dx, 200 + dy)])
    assert [(t.track, t.held) for t in result] == [(1, False)]


@pytest.mark.parametrize(("first", "second"), [(FACE, PLATE), (PLATE, FACE), (FACE, PERSON)])
def test_another_kind_in_the_same_place_is_another_track(first, second):
    tracker = Tracker()
    tracker.update([det(first, 100, 100, 200, 200)])
    result = tracker.update([det(second, 100, 100, 200, 200)])
    assert [(t.track, t.kind, t.held) for t in result] == [(1, first, True), (2, second, False)]


def test_the_best_overlap_wins_the_track():
    tracker = Tracker()
    tracker.update([det(FACE, 100, 100, 200, 200)])
    # Both overlap the old face; the second overlaps it far more and must inherit its number.
    result = tracker.update([det(FACE, 160, 160, 260, 260), det(FACE, 102, 101, 203, 199)])
    by_box = {t.box: t.track for t in result}
    assert by_box[(102.0, 101.0, 203.0, 199.0)] == 1
    assert by_box[(160.0, 160.0, 260.0, 260.0)] == 2


@pytest.mark.parametrize(
    ("box", "fraction", "expected"),
    [
        ((10, 20, 30, 60), 0.0, (10, 20, 30, 60)),
        ((10, 20, 30, 60), 0.5, (0, 0, 40, 80)),
        ((10, 20, 30, 60), 1.0, (-10, -20, 50, 100)),
        ((0, 0, 10, 10), 2.0, (-20, -20, 30, 30)),
    ],
)
def test_grown_adds_the_fraction_of_the_size_on_each_side(box, fraction, expected):
    assert grown(box, fraction) == pytest.approx(expected)


def tb(track, box, kind=FACE, held=False):
    return TrackedBox(track, kind, tuple(float(v) for v in box), held)


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [
        (0.0, (0, 0, 10, 10)),
        (0.25, (5, 10, 20, 25)),
        (0.5, (10, 20, 30, 40)),
        (1.0, (20, 40, 50, 70)),
    ],
)
def test_between_moves_a_track_seen_in_both_rounds(fraction, expected):
    before = [tb(1, (0, 0, 10, 10))]
    after = [tb(1, (20, 40, 50, 70))]
    (moved,) = between(before, after, fraction)
    assert moved.track == 1
    assert moved.box == pytest.approx(expected)


def test_between_keeps_tracks_seen_at_one_end_only():
    gone = tb(1, (0, 0, 10, 10))
    stays_before, stays_after = tb(2, (100, 100, 110, 110)), tb(2, (120, 100, 130, 110))
    new = tb(3, (200, 200, 220, 230), kind=PLATE)
    result = between([gone, stays_before], [new, stays_after], 0.5)
    assert [t.track for t in result] == [1, 2, 3]
    assert result[0] == gone
    assert result[1].box == pytest.approx((110, 100, 120, 110))
    assert result[2] == new


def test_between_of_nothing_is_nothing():
    assert between([], [], 0.5) == []


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=100)
@given(rounds_of_detections, holds, growths)
def test_the_same_rounds_give_the_same_tracks(rounds, hold, growth):
    first = run(Tracker(hold=hold, growth=growth), rounds)
    # Equal but distinct detection objects: nothing may depend on identity.
    copies = [[Detection(d.kind, tuple(d.box), d.score) for d in r] for r in rounds]
    second = run(Tracker(hold=hold, growth=growth), copies)
    assert first == second


@settings(max_examples=100)
@given(
    st.lists(st.lists(detections(), max_size=5, unique_by=lambda d: d.box), max_size=10),
    holds,
)
def test_ids_are_numbered_from_one_in_order_of_first_appearance(rounds, hold):
    tracker = Tracker(hold=hold)
    seen: set[int] = set()
    for detections_ in rounds:
        result = tracker.update(detections_)
        ids = [t.track for t in result]
        assert all(i >= 1 for i in ids)
        assert ids == sorted(set(ids)), "ids unique within a round, listed in order"
        # Every detection is masked as itself, once, and not held.
        fresh = [t for t in result if not t.held]
        assert Counter((t.kind, t.box) for t in fresh) == Counter(
            (d.kind, d.box) for d in detections_
        )
        # Newcomers take the next numbers, in the order the detections were listed.
        new = [t for t in result if t.track not in seen]
        assert all(not t.held for t in new)
        assert [t.track for t in new] == list(range(len(seen) + 1, len(seen) + 1 + len(new)))
        index = {d.box: position for position, d in enumerate(detections_)}
        positions = [index[t.box] for t in new]
        assert positions == sorted(positions)
        seen.update(ids)
        assert seen == set(range(1, len(seen) + 1))


@settings(max_examples=100)
@given(rounds_of_detections, holds, growths)
def test_a_track_is_held_for_hold_rounds_after_its_last_detection(rounds, hold, growth):
    tracker = Tracker(hold=hold, growth=growth)
    last_seen: dict[int, tuple[int, tuple[float, ...], str]] = {}  # id -> round, box, kind
    for number, detections_ in enumerate(rounds):
        result = {t.track: t for t in tracker.update(detections_)}
        for t in result.values():
            if not t.held:
                last_seen[t.track] = (number, t.box, t.kind)
        for track, (when, box, kind) in last_seen.items():
            missed = number - when
            if missed > hold:
                assert track not in result, f"track {track} outlived {hold} missed rounds"
                continue
            assert track in result, f"track {track} dropped after {missed} of {hold} misses"
            held = result[track]
            assert held.kind == kind
            assert held.held == (missed > 0)
            assert contains(held.box, box), "a held box must cover the last detected box"


@settings(max_examples=100)
@given(
    st.lists(detections(), min_size=1, max_size=5),
    st.integers(min_value=0, max_value=5),
    growths,
    st.lists(st.lists(detections(), max_size=3), min_size=0, max_size=3),
)
def test_tracks_missed_for_hold_rounds_then_end(first, hold, growth, earlier):
    tracker = Tracker(hold=hold, growth=growth)
    run(tracker, earlier)
    detected = {t.track: t.box for t in tracker.update(first) if not t.held}
    for _ in range(hold):
        result = {t.track: t for t in tracker.update([])}
        assert set(detected) <= set(result)
        assert all(t.held for t in result.values())
        for track, box in detected.items():
            assert contains(result[track].box, box)
    # One more empty round: every track of the last detections is gone, never to return.
    assert not {t.track for t in tracker.update([])} & set(detected)
    assert not {t.track for t in tracker.update(first)} & set(detected)


@settings(max_examples=100)
@given(rounds_of_detections)
def test_a_track_never_changes_kind_or_comes_back(rounds):
    tracker = Tracker()
    kinds: dict[int, str] = {}
    ended: set[int] = set()
    previous: set[int] = set()
    for detections_ in rounds:
        result = tracker.update(detections_)
        current = {t.track for t in result}
        assert not current & ended, "an ended track's number was used again"
        ended |= previous - current
        previous = current
        for t in result:
            assert kinds.setdefault(t.track, t.kind) == t.kind


@st.composite
def slow_walks(draw):
    """Objects far apart, each moving under 20 % of its size per round and wobbling in size."""
    count = draw(st.integers(min_value=1, max_value=4))
    length = draw(st.integers(min_value=2, max_value=20))
    walks = []
    for number in range(count):
        kind = draw(st.sampled_from(KINDS))
        width = draw(st.floats(min_value=8, max_value=80))
        height = draw(st.floats(min_value=8, max_value=80))
        cx, cy = 1000.0 + 1000.0 * number, 1000.0 + 500.0 * (number % 2)
        boxes = []
        for _ in range(length):
            scale = draw(st.floats(min_value=0.9, max_value=1.1))
            w, h = width * scale, height * scale
            boxes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
            cx += draw(st.floats(min_value=-0.19, max_value=0.19)) * width
            cy += draw(st.floats(min_value=-0.19, max_value=0.19)) * height
        walks.append((kind, boxes))
    # Detectors list objects in no particular order: shuffle each round.
    orders = [draw(st.permutations(range(count))) for _ in range(length)]
    return walks, orders


@settings(max_examples=100)
@given(slow_walks())
def test_a_slowly_moving_object_keeps_its_number(walk):
    walks, orders = walk
    tracker = Tracker()
    numbers: dict[int, int] = {}  # object -> its track
    for step, order in enumerate(orders):
        result = tracker.update([Detection(walks[o][0], walks[o][1][step], 0.9) for o in order])
        assert all(not t.held for t in result), "no object was missed, so nothing is held"
        by_box = {t.box: t.track for t in result}
        for number, (_, boxes) in enumerate(walks):
            assert numbers.setdefault(number, by_box[boxes[step]]) == by_box[boxes[step]]
    assert len(set(numbers.values())) == len(walks)


# Tracked boxes of distinct tracks, from a small pool of numbers so that both ends share some.
@st.composite
def round_of_tracks(draw):
    tracks = draw(st.lists(st.integers(min_value=1, max_value=8), unique=True, max_size=6))
    result = []
    for track in tracks:
        x, y, w, h = draw(coordinate), draw(coordinate), draw(size), draw(size)
        kind, held = draw(st.sampled_from(KINDS)), draw(st.booleans())
        result.append(TrackedBox(track, kind, (x, y, x + w, y + h), held))
    return draw(st.permutations(result))


@settings(max_examples=100)
@given(round_of_tracks(), round_of_tracks(), st.floats(min_value=0, max_value=1))
def test_between_keeps_every_track_of_either_round(before, after, fraction):
    result = between(before, after, fraction)
    earlier = {t.track: t for t in before}
    later = {t.track: t for t in after}
    ids = [t.track for t in result]
    assert ids == sorted(set(earlier) | set(later))
    for t in result:
        if t.track not in later:
            assert t == earlier[t.track]
        elif t.track not in earlier:
            assert t == later[t.track]
        else:
            a, b = earlier[t.track].box, later[t.track].box
            for value, start, end in zip(t.box, a, b, strict=True):
                slack = 1e-9 * max(1.0, abs(start), abs(end))
                assert min(start, end) - slack <= value <= max(start, end) + slack


@settings(max_examples=100)
@given(round_of_tracks(), round_of_tracks())
def test_between_starts_at_the_earlier_round_and_ends_at_the_later(before, after):
    earlier = {t.track: t.box for t in before}
    later = {t.track: t.box for t in after}
    both = set(earlier) & set(later)
    start = {t.track: t.box for t in between(before, after, 0.0)}
    end = {t.track: t.box for t in between(before, after, 1.0)}
    for track in both:
        assert start[track] == earlier[track]
        # a + (b - a) * 1 can be one rounding step away from b: equal up to float rounding.
        assert end[track] == pytest.approx(later[track], rel=1e-12, abs=1e-12)


@settings(max_examples=50)
@given(rounds_of_detections, holds, st.floats(min_value=0, max_value=1))
def test_between_tracker_rounds_masks_every_track_of_either_round(rounds, hold, fraction):
    tracker = Tracker(hold=hold)
    previous: list[TrackedBox] = []
    for detections_ in rounds:
        current = tracker.update(detections_)
        result = {t.track: t for t in between(previous, current, fraction)}
        assert set(result) == {t.track for t in previous} | {t.track for t in current}
        for t in previous + current:
            assert result[t.track].kind == t.kind
        previous = current
