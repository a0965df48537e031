"""Deadlines in calendar months: the same day, or the last day of a shorter month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.deadlines import add_months

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
)


@pytest.mark.parametrize(
    ("start", "count", "end"),
    [
        (datetime(2026, 1, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
        (datetime(2026, 12, 7, 9, tzinfo=UTC), 1, datetime(2027, 1, 7, 9, tzinfo=UTC)),
        (datetime(2026, 11, 30, 9, tzinfo=UTC), 3, datetime(2027, 2, 28, 9, tzinfo=UTC)),
        (datetime(2028, 1, 31, 9, tzinfo=UTC), 1, datetime(2028, 2, 29, 9, tzinfo=UTC)),
    ],
)
def test_a_period_in_months_ends_on_the_same_day_or_the_last_of_a_short_month(
    start: datetime, count: int, end: datetime
) -> None:
    assert add_months(start, count) == end


@given(moments, st.integers(0, 30))
def test_months_never_run_backwards(start: datetime, count: int) -> None:
    assert add_months(start, count) >= start
    assert add_months(start, count + 1) > add_months(start, count)
