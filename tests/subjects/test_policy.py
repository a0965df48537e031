"""When a person's request for their own footage must be answered, when it may be put off,
and what it must hold: tables and properties of the pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.deadlines import Calendar, missed
from custos.subjects.policy import (
    AnswerRule,
    Asked,
    due_at,
    extension_problem,
    request_problem,
)

ALMATY = ZoneInfo("Asia/Almaty")
KZ = Calendar("Asia/Almaty", frozenset({6, 7}), frozenset({date(2026, 12, 16)}))
THREE_DAYS = AnswerRule(working_days=3)
MONTH = AnswerRule(months=1, extension_months=2)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received", "rule", "due"),
    [
        # Friday: Monday, Tuesday, Wednesday.
        (datetime(2026, 12, 4, 17, 0, tzinfo=ALMATY), THREE_DAYS,
         datetime(2026, 12, 9, 17, 0, tzinfo=ALMATY)),
        # Monday 14 December: Tuesday, (the 16th a holiday), Thursday, Friday.
        (datetime(2026, 12, 14, 10, 0, tzinfo=ALMATY), THREE_DAYS,
         datetime(2026, 12, 18, 10, 0, tzinfo=ALMATY)),
        (datetime(2026, 1, 31, 9, 0, tzinfo=UTC), MONTH, datetime(2026, 2, 28, 9, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_answer_due(received: datetime, rule: AnswerRule, due: datetime) -> None:
    assert due_at(received.astimezone(UTC), rule, KZ) == due


@pytest.mark.parametrize(
    ("rule", "extended", "reason", "problem"),
    [
        (THREE_DAYS, False, "many cameras", "the policy allows no extension"),
        (MONTH, False, "forty hours of footage to go through", None),
        (MONTH, True, "again", "the answer was put off once already"),
        (MONTH, False, "  ", "say why the answer needs more time"),
    ],
)
def test_an_answer_is_put_off_once_where_the_policy_allows_with_a_reason(
    rule: AnswerRule, extended: bool, reason: str, problem: str | None
) -> None:
    found = extension_problem(rule, extended, reason)
    assert (found is None) if problem is None else (found or "").startswith(problem)


GOOD = Asked(NOW - timedelta(hours=1), "letter", "ID card shown", "Abay Ave 10, 1 Dec, 9-10", "a@b")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, None),
        ({"received_at": NOW + timedelta(minutes=1)}, "received_at"),
        ({"channel": "pigeon"}, "channel"),
        ({"identity_check": ""}, "identity_check"),
        ({"times_and_places": " "}, "times_and_places"),
        ({"contact": ""}, "contact"),
    ],
)
def test_what_a_request_must_hold(changes: dict[str, object], field: str | None) -> None:
    found = request_problem(Asked(**{**GOOD.__dict__, **changes}), NOW)  # type: ignore[arg-type]
    assert (found is None) if field is None else (found is not None and found[0] == field)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1),
                 timezones=st.just(UTC)),
    st.integers(1, 10),
)  # fmt: skip
def test_the_answer_is_never_due_before_the_request_nor_late_before_it_is_due(
    received: datetime, days: int
) -> None:
    due = due_at(received, AnswerRule(working_days=days), KZ)
    assert due > received
    assert not missed(due, None, due)
    assert missed(due, None, due + timedelta(seconds=1))
    assert not missed(due, due - timedelta(seconds=1), due + timedelta(days=30))
