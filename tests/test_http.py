"""The shared input types: ids a database column holds, times that are dates and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from custos.http import MAX_ID, MAX_INT, ErrorOut, Id, Index, Size, Time, answers

IDS = TypeAdapter(Id)
INDEXES = TypeAdapter(Index)
TIMES = TypeAdapter(Time)


def test_ids_are_what_an_integer_column_holds_and_log_positions_a_bigint() -> None:
    assert IDS.validate_python(1) == 1
    assert IDS.validate_python(MAX_ID) == MAX_ID == 2**31 - 1
    for refused in (0, -1, MAX_ID + 1, 2**64):
        with pytest.raises(ValidationError):
            IDS.validate_python(refused)
    assert INDEXES.validate_python(0) == 0
    assert INDEXES.validate_python(MAX_INT) == MAX_INT == 2**63 - 1
    with pytest.raises(ValidationError):
        INDEXES.validate_python(MAX_INT + 1)
    assert TypeAdapter(Size).validate_python(MAX_INT) == MAX_INT
    with pytest.raises(ValidationError):
        TypeAdapter(Size).validate_python(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
        ("2026-11-30T14:05", datetime(2026, 11, 30, 14, 5, tzinfo=UTC)),
        ("2026-11-30 14:05:07", datetime(2026, 11, 30, 14, 5, 7, tzinfo=UTC)),
        ("2026-11-30T14:05:00Z", datetime(2026, 11, 30, 14, 5, tzinfo=UTC)),
        ("2026-11-30T19:05:00+05:00", datetime(2026, 11, 30, 14, 5, tzinfo=UTC)),
        (" 2026-11-30T14:05 ", datetime(2026, 11, 30, 14, 5, tzinfo=UTC)),
    ],
)
def test_times_with_a_date_are_read_in_utc(text: str, expected: datetime) -> None:
    moment = TIMES.validate_python(text)
    assert moment == expected
    assert moment.utcoffset() == timedelta(0)
    assert TIMES.validate_json(f'"{text}"') == expected


@pytest.mark.parametrize(
    "value", ["0.5", "1764500000", "-1", "1e9", "", "noon", "14:05", "30.11.2026", "2026-11"]
)
def test_times_without_a_date_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="ISO 8601 date and time, like 2026-11-30T14:05"):
        TIMES.validate_python(value)


@pytest.mark.parametrize("number", ["0.5", "1764500000", "0"])
def test_numbers_in_json_are_not_times(number: str) -> None:
    with pytest.raises(ValidationError, match="ISO 8601"):
        TIMES.validate_json(number)


def test_times_outside_the_years_are_refused() -> None:
    for text in ("1969-12-31T23:59:59Z", "9000-01-01T00:00Z", "9999-12-31T23:59:59-14:00"):
        with pytest.raises(ValidationError, match="between the years 1970 and 8999"):
            TIMES.validate_python(text)
    minus_five = timezone(timedelta(hours=-5))
    assert TIMES.validate_python(datetime(2026, 1, 1, tzinfo=minus_five)) == datetime(
        2026, 1, 1, 5, tzinfo=UTC
    )


def test_answers_names_the_error_body_and_only_error_statuses() -> None:
    declared = answers(404, 409)
    assert set(declared) == {404, 409}
    assert all(response["model"] is ErrorOut for response in declared.values())
    with pytest.raises(ValueError, match="no error status"):
        answers(200)
