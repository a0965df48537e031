"""Pure rules of periodic work: periods, and when a period's run may be claimed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.schedule.policy import (
    MAX_ATTEMPTS,
    Run,
    RunState,
    may_claim,
    period_of,
    period_start,
    periods_starting,
)

NOW = datetime(2026, 12, 7, 12, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "every", "periods"),
    [
        (NOW, 10, [period_of(NOW, 10) + n for n in range(7)]),  # 12:00:00 (current) .. 12:01:00
        (NOW.replace(second=0), 10, [period_of(NOW.replace(second=0), 10) + n for n in range(6)]),
        (NOW, 300, [period_of(NOW, 300)]),  # the current one only
        (NOW.replace(minute=4, second=30), 300, [period_of(NOW, 300), period_of(NOW, 300) + 1]),
    ],
)
def test_periods_starting(start: datetime, every: float, periods: list[int]) -> None:
    assert periods_starting(start, 60, every) == periods


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from([1.0, 10.0, 60.0, 300.0, 600.0, 3600.0]),
)
def test_consecutive_windows_cover_every_period_once_started(at: datetime, every: float) -> None:
    start = at.replace(tzinfo=UTC)
    first = periods_starting(start, 60, every)
    second = periods_starting(start + timedelta(seconds=60), 60, every)
    assert period_of(start, every) == first[0]
    # Together they hold every period that begins in the two minutes, with no hole between.
    joined = sorted(set(first) | set(second))
    assert joined == list(range(joined[0], joined[-1] + 1))
    for period in joined[1:]:
        assert start < period_start(period, every) < start + timedelta(seconds=120)


LEASE = NOW + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("run", "claimable"),
    [
        (None, True),
        (Run(RunState.RUNNING, 1, LEASE), False),  # in progress
        (Run(RunState.RUNNING, 1, NOW), True),  # its worker died: the lease ran out
        (Run(RunState.FAILED, 1, LEASE), True),
        (Run(RunState.FAILED, MAX_ATTEMPTS, LEASE), False),  # tried enough
        (Run(RunState.RUNNING, MAX_ATTEMPTS, NOW), False),
        (Run(RunState.DONE, 1, NOW), False),  # done is done
    ],
)
def test_may_claim(run: Run | None, claimable: bool) -> None:
    assert may_claim(run, NOW) is claimable


@given(
    st.sampled_from(list(RunState)),
    st.integers(1, 5),
    st.integers(-100, 100),
)
def test_a_done_period_is_never_claimed_again(state: RunState, attempts: int, lease: int) -> None:
    run = Run(state, attempts, NOW + timedelta(seconds=lease))
    if state is RunState.DONE or attempts >= MAX_ATTEMPTS:
        assert not may_claim(run, NOW)
