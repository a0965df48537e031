"""Deadlines counted as the law counts them: in working days by a calendar, in hours, or in
calendar months. Pure: no I/O, the times come in.

A working day is one the calendar does not name as a weekend day or a holiday, in the
calendar's time zone. A period of N working days ends at the same local time on the N-th
working day after the day it starts: a period of one working day that starts on a Friday
evening ends on Monday evening. A period of N months ends on the same day of the month N
months later, or on that month's last day where it is shorter.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Calendar:
    """Which days are worked, where."""

    time_zone: str
    weekend: frozenset[int]  # ISO weekdays: 6 Saturday, 7 Sunday
    holidays: frozenset[date]

    def working(self, day: date) -> bool:
        """Whether `day` is a working day."""
        return day.isoweekday() not in self.weekend and day not in self.holidays


UTC_WEEK = Calendar("UTC", frozenset({6, 7}), frozenset())


def add_working_days(start: datetime, days: int, calendar: Calendar) -> datetime:
    """The end of a period of `days` working days from `start`."""
    zone = ZoneInfo(calendar.time_zone)
    local = start.astimezone(zone)
    day, left = local.date(), days
    for _ in range(3660):  # ten years without a working day would be a broken calendar
        if left <= 0:
            break
        day += timedelta(days=1)
        if calendar.working(day):
            left -= 1
    else:
        raise ValueError("the calendar has no working day in ten years")
    return datetime.combine(day, local.timetz().replace(tzinfo=None), zone)


def add_months(start: datetime, count: int) -> datetime:
    """The end of a period of `count` calendar months from `start`."""
    month0 = start.month - 1 + count
    year, month = start.year + month0 // 12, month0 % 12 + 1
    day = min(start.day, months.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def missed(due: datetime, done_at: datetime | None, now: datetime) -> bool:
    """Whether a deadline is missed: what was due not done by `due` (or, not done yet, `now`
    is past it)."""
    return (done_at or now) > due


def working_days_between(start: date, end: date, calendar: Calendar) -> int:
    """How many working days lie after `start` up to and including `end`."""
    return sum(
        1 for n in range(1, (end - start).days + 1) if calendar.working(start + timedelta(days=n))
    )
