"""When a breach's notice is due, by working days or hours, and what a record must hold:
tables and properties of the pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.breaches.policy import (
    Facts,
    NoticeRule,
    due_at,
    notice_text,
    record_problem,
)
from custos.deadlines import Calendar, missed, working_days_between
from custos.profile import load_profile

ALMATY = ZoneInfo("Asia/Almaty")
KZ = Calendar("Asia/Almaty", frozenset({6, 7}), frozenset({date(2026, 12, 16)}))
ONE_DAY, HOURS_72 = NoticeRule(working_days=1), NoticeRule(hours=72)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ALMATY)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("discovered", "rule", "due"),
    [
        # Friday evening: Saturday and Sunday are not worked, so Monday evening.
        (local(2026, 12, 4, 19, 30), ONE_DAY, local(2026, 12, 7, 19, 30)),
        (local(2026, 12, 7, 9, 0), ONE_DAY, local(2026, 12, 8, 9, 0)),  # Monday: Tuesday
        # Tuesday 15 December: Wednesday 16 is Independence Day, so Thursday.
        (local(2026, 12, 15, 10, 0), ONE_DAY, local(2026, 12, 17, 10, 0)),
        (local(2026, 12, 5, 11, 0), ONE_DAY, local(2026, 12, 7, 11, 0)),  # on a Saturday
        (local(2026, 12, 4, 19, 30), NoticeRule(working_days=3), local(2026, 12, 9, 19, 30)),
        # GDPR: 72 hours, weekends or not.
        (local(2026, 12, 4, 19, 30), HOURS_72, local(2026, 12, 7, 19, 30)),
        (local(2026, 12, 2, 8, 0), HOURS_72, local(2026, 12, 5, 8, 0)),
    ],
)
def test_due_times(discovered: datetime, rule: NoticeRule, due: datetime) -> None:
    assert due_at(discovered.astimezone(UTC), rule, KZ) == due


def test_the_shipped_kazakh_calendar_counts_friday_evening_to_monday() -> None:
    profile = load_profile("kz-nvms").profile
    calendar = profile.calendar.calendar()
    rule = NoticeRule(profile.breach.notify_within_working_days, profile.breach.notify_within_hours)
    friday = datetime(2026, 12, 11, 14, 0, tzinfo=UTC)  # 19:00 in Almaty
    assert due_at(friday, rule, calendar).astimezone(ALMATY).date() == date(2026, 12, 14)
    assert rule.words() == "1 working day"


def test_a_period_is_in_days_or_hours() -> None:
    with pytest.raises(ValueError, match="one of the two"):
        NoticeRule()
    with pytest.raises(ValueError, match="one of the two"):
        NoticeRule(working_days=1, hours=72)
    assert HOURS_72.words() == "72 hours"


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
)
calendars = st.builds(
    Calendar,
    st.sampled_from(["Asia/Almaty", "UTC", "Europe/Berlin"]),
    st.frozensets(st.integers(1, 7), max_size=3),
    st.frozensets(st.dates(date(2026, 1, 1), date(2028, 12, 31)), max_size=40),
)


@given(moments, st.integers(1, 5), calendars)
def test_a_working_day_period_ends_on_the_nth_working_day_at_the_same_local_time(
    discovered: datetime, days: int, calendar: Calendar
) -> None:
    due = due_at(discovered, NoticeRule(working_days=days), calendar)
    zone = ZoneInfo(calendar.time_zone)
    start, end = discovered.astimezone(zone), due.astimezone(zone)
    assert calendar.working(end.date())
    assert working_days_between(start.date(), end.date(), calendar) == days
    assert (end.hour, end.minute) == (start.hour, start.minute) or end.utcoffset() != (
        start.utcoffset()
    )
    assert due > discovered


@given(moments, st.integers(1, 4), calendars)
def test_more_working_days_never_make_it_due_sooner(
    discovered: datetime, days: int, calendar: Calendar
) -> None:
    sooner = due_at(discovered, NoticeRule(working_days=days), calendar)
    later = due_at(discovered, NoticeRule(working_days=days + 1), calendar)
    assert later > sooner


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
GOOD = Facts("a laptop lost", NOW - timedelta(hours=2), ("exports",), 3, "", "link revoked")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, None),
        ({"summary": " "}, ("summary", "say what happened")),
        ({"discovered_at": NOW + timedelta(minutes=1)}, ("discovered_at", "a breach is")),
        ({"categories": ()}, ("categories", "name the categories")),
        ({"categories": ("faces",)}, ("categories", "unknown categories: faces")),
        ({"people_affected": -1}, ("people_affected", "the number")),
        ({"measures": ""}, ("measures", "say what was done")),
    ],
)
def test_what_a_record_must_hold(
    changes: dict[str, object], problem: tuple[str, str] | None
) -> None:
    found = record_problem(Facts(**{**GOOD.__dict__, **changes}), NOW)  # type: ignore[arg-type]
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found[0] == problem[0]
        assert found[1].startswith(problem[1])


def test_a_notice_is_late_when_not_sent_by_its_due_time() -> None:
    due = NOW
    assert not missed(due, None, NOW)
    assert missed(due, None, NOW + timedelta(seconds=1))
    assert not missed(due, NOW - timedelta(hours=1), NOW + timedelta(days=9))
    assert missed(due, NOW + timedelta(hours=1), NOW + timedelta(days=9))


def test_the_notice_says_what_the_authority_needs() -> None:
    text = notice_text("BR-4", GOOD, "City Safety Centre", "dpo@city.example", "the body",
                       NOW, NOW + timedelta(days=1))  # fmt: skip
    for needed in ("To: the body", "BR-4", "a laptop lost", "exported evidence",
                   "number of people concerned: 3", "link revoked", "dpo@city.example",
                   "due by 2026-12-08 12:00 UTC"):  # fmt: skip
        assert needed in text
