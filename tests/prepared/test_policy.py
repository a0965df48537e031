"""The pure rules of prepared detections: order, claims, what a player moves ahead, and how the
tracks of consecutive segments are joined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.prepared import policy
from custos.prepared.policy import Piece, Planned, WorkState
from custos.redaction.boxes import FACE, PLATE
from custos.redaction.tracking import TrackedBox

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_the_start_of_every_window_comes_first() -> None:
    planned = policy.plan([(1, ["a1", "a2", "a3"]), (2, ["b1", "b2"])])
    ranked = sorted(planned, key=lambda p: (p.rank, p.window_id))
    assert [p.segment_id for p in ranked] == ["a1", "b1", "a2", "b2", "a3"]
    assert Planned(2, "b2", 1) in planned


@pytest.mark.parametrize(
    ("state", "lease", "attempts", "free"),
    [
        (WorkState.PENDING, None, 0, True),
        (WorkState.PENDING, None, policy.MAX_ATTEMPTS, False),
        (WorkState.CLAIMED, NOW + timedelta(seconds=1), 1, False),
        (WorkState.CLAIMED, NOW, 1, True),  # the worker's lease ran out: it died
        (WorkState.CLAIMED, NOW - timedelta(minutes=5), policy.MAX_ATTEMPTS, False),
        (WorkState.DONE, None, 1, False),
        (WorkState.FAILED, None, policy.MAX_ATTEMPTS, False),
    ],
)
def test_who_may_take_a_segment(
    state: WorkState, lease: datetime | None, attempts: int, free: bool
) -> None:
    assert policy.claimable(state, lease, attempts, NOW) is free


def test_a_segment_fails_for_good_after_the_last_attempt() -> None:
    assert [policy.after_failure(n) for n in range(1, policy.MAX_ATTEMPTS + 1)] == [
        WorkState.PENDING
    ] * (policy.MAX_ATTEMPTS - 1) + [WorkState.FAILED]


def test_what_a_player_asks_for_moves_ahead_with_the_next_few() -> None:
    order = [f"s{i}" for i in range(10)]
    assert policy.asked(order, "s4") == ["s4", "s5", "s6", "s7"]
    assert policy.asked(order, "s9") == ["s9"]
    assert policy.asked(order, "elsewhere") == []


def box(track: int, x: float, kind: str = FACE) -> TrackedBox:
    return TrackedBox(track, kind, (x, 100.0, x + 40.0, 150.0))


def test_a_person_walking_across_the_cut_keeps_one_number() -> None:
    first = Piece([[box(1, 100), box(2, 400)], [box(1, 104), box(2, 400)]], None)
    # The next segment was tracked on its own: its numbers start at 1 again, in another order.
    second = Piece([[box(1, 400), box(2, 108)], [box(2, 112)]], 0.04)
    third = Piece([[box(1, 116)]], 5.0)  # after a gap: nobody continues across it
    out = policy.stitched([first, second, third])
    assert [[b.track for b in frame] for frame in out[1]] == [[2, 1], [1]]
    assert [b.track for b in out[2][0]] == [3]


def test_kinds_never_join() -> None:
    out = policy.stitched([Piece([[box(1, 100, FACE)]], None), Piece([[box(1, 100, PLATE)]], 0.0)])
    assert out[1][0][0].track == 2


boxes = st.builds(
    box, st.integers(1, 4), st.floats(0, 1000, allow_nan=False), st.sampled_from([FACE, PLATE])
)
frames = st.lists(st.lists(boxes, max_size=4), min_size=1, max_size=4).map(
    # one box per track within a frame, as the tracker gives them
    lambda fs: [list({b.track: b for b in f}.values()) for f in fs]
)


@given(st.lists(st.tuples(frames, st.floats(0, 3)), min_size=1, max_size=5))
def test_stitching_only_renumbers(pieces: list[tuple[list[list[TrackedBox]], float]]) -> None:
    given_pieces = [Piece(f, None if i == 0 else gap) for i, (f, gap) in enumerate(pieces)]
    out = policy.stitched(given_pieces)
    for piece, after in zip(given_pieces, out, strict=True):
        assert [len(f) for f in piece.frames] == [len(f) for f in after]
        for frame_in, frame_out in zip(piece.frames, after, strict=True):
            assert [(b.kind, b.box) for b in frame_in] == [(b.kind, b.box) for b in frame_out]
            # two tracks of one frame never share a number
            assert len({b.track for b in frame_out}) == len(frame_out)
        # one track of a piece keeps one number through it
        mapping = {}
        for frame_in, frame_out in zip(piece.frames, after, strict=True):
            for b_in, b_out in zip(frame_in, frame_out, strict=True):
                assert mapping.setdefault(b_in.track, b_out.track) == b_out.track
