"""The pure rules of device inspections: what a record must hold, and until when the data
copied from a device is kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.devices.policy import Inspection, Regime, copy_expiry, record_problem

START = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)
REGIME = Regime(3, frozenset({"Almaty"}), START, None)
GOOD = Inspection(
    legal_basis="Law on the state of emergency, art. 13",
    officer="Lt. A. Serikov, badge 4411",
    inspected_at=datetime(2026, 11, 10, 15, 0, tzinfo=UTC),
    region="Almaty",
    place="checkpoint on Al-Farabi Avenue",
    device="black Samsung phone",
    examined=["messages", "photos"],
    copied=["photos"],
    person="P1",
)
DAY = timedelta(days=1)


def test_a_complete_record_inside_the_regime_is_accepted() -> None:
    assert record_problem(GOOD, REGIME, {"P1"}, NOW) is None


@pytest.mark.parametrize(
    ("change", "regime", "field", "words"),
    [
        ({"legal_basis": " "}, REGIME, "legal_basis", "legal basis"),
        ({"officer": ""}, REGIME, "officer", "officer"),
        ({"inspected_at": NOW + DAY}, REGIME, "inspected_at", "after it happened"),
        ({"inspected_at": START - DAY}, REGIME, "inspected_at", "not during state of emergency 3"),
        ({}, replace(REGIME, end=GOOD.inspected_at), "inspected_at", "not during"),
        ({"region": "Astana"}, REGIME, "region", "covers Almaty, not Astana"),
        ({"place": ""}, REGIME, "place", "where"),
        ({"device": " "}, REGIME, "device", "never what it holds"),
        ({"examined": []}, REGIME, "examined", "categories"),
        ({"examined": ["diaries"]}, REGIME, "examined", "categories"),
        ({"copied": ["contacts"]}, REGIME, "copied", "only data that was examined"),
        ({"person": "P7"}, REGIME, "person", "'P7' is not a person of the case"),
    ],
)
def test_each_missing_or_wrong_part_is_named(
    change: dict[str, object], regime: Regime, field: str, words: str
) -> None:
    problem = record_problem(replace(GOOD, **change), regime, {"P1"}, NOW)  # type: ignore[arg-type]
    assert problem is not None
    assert problem[0] == field
    assert words in problem[1]


DEFAULT, INCIDENT, GRACE = 30 * DAY, 7 * 365 * DAY, 3 * DAY
AT = datetime(2026, 11, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("regime_end", "offence", "held", "expected"),
    [
        (None, False, False, AT + DEFAULT),  # the regime lasts: the default period
        (AT + 2 * DAY, False, False, AT + 5 * DAY),  # ended: erased at its sunset
        (AT + 40 * DAY, False, False, AT + DEFAULT),  # the default comes first
        (AT + 2 * DAY, True, False, AT + INCIDENT),  # an offence: kept as evidence
        (AT + 2 * DAY, False, True, None),  # a hold: kept while it lasts
        (AT + 2 * DAY, True, True, None),
    ],
)
def test_copies_are_kept_like_footage_of_the_regime(
    regime_end: datetime | None, offence: bool, held: bool, expected: datetime | None
) -> None:
    assert copy_expiry(AT, regime_end, offence, held, DEFAULT, INCIDENT, GRACE) == expected


@given(
    end_days=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    offence=st.booleans(),
)
def test_without_an_offence_nothing_outlives_the_sunset_or_the_default(
    end_days: int | None, offence: bool
) -> None:
    end = None if end_days is None else AT + end_days * DAY
    expires = copy_expiry(AT, end, offence, False, DEFAULT, INCIDENT, GRACE)
    assert expires is not None
    if offence:
        assert expires == AT + INCIDENT
    else:
        assert expires <= AT + DEFAULT
        if end is not None:
            assert expires <= end + GRACE
