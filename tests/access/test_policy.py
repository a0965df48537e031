"""Proportionality, dual control and grant expiry: tables and properties of the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.access.policy import (
    GrantState,
    Limits,
    NamedPerson,
    RequestFacts,
    Window,
    approval_problem,
    approvals_needed,
    clip_bounds,
    duration,
    grant_expiry,
    grant_state,
    is_strict,
    narrowing_problem,
    proportionality_problems,
    refusal_problem,
    second_approval_problem,
    strict_reasons,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
NORMAL = Limits(
    max_cameras=5, max_total_hours=24, max_window_hours=6, max_footage_age_days=30, grant_days=7
)
STRICT = Limits(
    max_cameras=2, max_total_hours=4, max_window_hours=2, max_footage_age_days=30, grant_days=3
)
HOUR = timedelta(hours=1)


def window(camera: str = "gate", hours_ago: float = 10, hours: float = 1) -> Window:
    start = NOW - timedelta(hours=hours_ago)
    return Window(camera, start, start + timedelta(hours=hours))


@pytest.mark.parametrize(
    ("windows", "extra", "expected"),
    [
        ([window()], {}, []),
        ([window(f"c{i}") for i in range(5)], {}, []),
        ([window(f"c{i}") for i in range(6)], {}, ["6 cameras asked; the limit is 5 cameras"]),
        ([window(hours=6)], {}, []),
        ([window(hours=6.5)], {}, ["a window of 6 h 30 min; the limit is 6 h per window"]),
        (
            [window(f"c{i}", hours=5) for i in range(5)],
            {},
            ["25 h of footage in all; the limit is 24 h"],
        ),
        ([window(hours_ago=31 * 24)], {}, ["footage 31.0 days old; the limit is 30 days back"]),
        ([window(hours_ago=0.5)], {}, ["the window on gate reaches into the future"]),
        ([window(hours=-1)], {}, ["the window on gate ends before it starts"]),
        ([], {}, ["a request must name at least one camera and time window"]),
        # The stricter rules: a camera at a sensitive site, or a person named who is a minor.
        (
            [window("school-3", hours=3)],
            {"sensitive_cameras": {"school-3": "school"}},
            [
                "a window of 3 h; the limit is 2 h per window (stricter rules: "
                "camera school-3 is a school)"
            ],
        ),
        (
            [window("a"), window("b"), window("c")],
            {"persons": (NamedPerson("P1"), NamedPerson("P2", minor=True))},
            ["3 cameras asked; the limit is 2 cameras (stricter rules: P2 is a minor)"],
        ),
        ([window("a"), window("b")], {"persons": (NamedPerson("P2", minor=True),)}, []),
        (
            [window("a", hours=2.5)],
            {
                "sensitive_cameras": {"a": "worship", "b": "school"},
                "persons": (NamedPerson("P3", vulnerable=True),),
            },
            [
                "a window of 2 h 30 min; the limit is 2 h per window (stricter rules: camera a "
                "is a place of worship; P3 is a vulnerable person)"
            ],
        ),
    ],
)
def test_proportionality_table(windows, extra, expected) -> None:
    facts = RequestFacts(tuple(windows), **extra)
    assert proportionality_problems(facts, NORMAL, STRICT, NOW) == expected


def test_a_sensitive_camera_not_asked_for_does_not_make_the_rules_stricter() -> None:
    facts = RequestFacts((window("gate"),), sensitive_cameras={"school": "school"})
    assert not is_strict(facts)
    assert is_strict(RequestFacts((window("gate"),), persons=(NamedPerson("P", vulnerable=True),)))


def test_only_the_persons_named_bring_the_stricter_rules() -> None:
    """A minor witness of the case who is not named leaves a request about an adult under the
    normal rules: the service passes only the persons named."""
    adult = RequestFacts((window("gate", hours=5),), persons=(NamedPerson("P1"),))
    assert proportionality_problems(adult, NORMAL, STRICT, NOW) == []
    with_minor = RequestFacts(adult.windows, persons=(*adult.persons, NamedPerson("W1", True)))
    assert proportionality_problems(with_minor, NORMAL, STRICT, NOW) == [
        "a window of 5 h; the limit is 2 h per window (stricter rules: W1 is a minor)",
        "5 h of footage in all; the limit is 4 h (stricter rules: W1 is a minor)",
    ]


@pytest.mark.parametrize(
    ("hours", "shown"),
    [(29.9833, "29 h 59 min"), (6, "6 h"), (0.75, "45 min"), (0, "0 h"), (24.5, "24 h 30 min"),
     (1 / 120, "0 h"), (2 / 60, "2 min")],
)  # fmt: skip
def test_durations_read_as_hours_and_minutes(hours: float, shown: str) -> None:
    assert duration(hours) == shown


windows = st.builds(
    window,
    camera=st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]),
    hours_ago=st.floats(min_value=1, max_value=40 * 24),
    hours=st.floats(min_value=0.01, max_value=1),
)
persons = st.builds(NamedPerson, st.sampled_from(["P1", "P2", "W1"]), st.booleans(), st.booleans())
facts = st.builds(
    RequestFacts,
    windows=st.lists(windows, min_size=1, max_size=8).map(tuple),
    sensitive_cameras=st.dictionaries(
        st.sampled_from(["a", "b", "c"]), st.sampled_from(["school", "medical", "residential"])
    ),
    persons=st.lists(persons, max_size=3).map(tuple),
)


@given(facts)
def test_what_the_strict_rules_allow_the_normal_ones_allow(request_facts) -> None:
    relaxed = RequestFacts(request_facts.windows)
    if not proportionality_problems(request_facts, STRICT, STRICT, NOW):
        assert proportionality_problems(relaxed, NORMAL, STRICT, NOW) == []


@given(facts, windows)
def test_a_request_within_the_limits_stays_within_them_when_narrowed(request_facts, more) -> None:
    wider = RequestFacts(
        (*request_facts.windows, more), request_facts.sensitive_cameras, request_facts.persons
    )
    if not proportionality_problems(wider, NORMAL, STRICT, NOW):
        assert proportionality_problems(request_facts, NORMAL, STRICT, NOW) == []


def test_dual_control() -> None:
    assert approval_problem("ivan", "ivan") is not None
    assert approval_problem("ivan", "aigerim") is None


def test_an_approver_may_narrow_but_not_widen() -> None:
    asked = [window("gate", hours_ago=10, hours=4)]
    inside = [Window("gate", asked[0].start + HOUR, asked[0].end - HOUR)]
    assert narrowing_problem(asked, inside) is None
    assert narrowing_problem(asked, asked) is None
    longer = [Window("gate", asked[0].start - HOUR, asked[0].end)]
    assert "outside what was asked" in (narrowing_problem(asked, longer) or "")
    other = [Window("yard", asked[0].start, asked[0].end)]
    assert narrowing_problem(asked, other) is not None


def test_grant_expiry() -> None:
    assert grant_expiry(NOW, NORMAL) == NOW + timedelta(days=7)
    assert grant_expiry(NOW, NORMAL, 2) == NOW + timedelta(days=2)
    with pytest.raises(ValueError, match="at most 7 days"):
        grant_expiry(NOW, NORMAL, 8)
    with pytest.raises(ValueError, match="at most"):
        grant_expiry(NOW, NORMAL, 0)


@pytest.mark.parametrize(
    "fields",
    [
        {"max_cameras": 0},
        {"max_total_hours": 0},
        {"max_window_hours": -1},
        {"max_footage_age_days": 0},
        {"grant_days": 0},
    ],
)
def test_impossible_limits_are_refused(fields) -> None:
    values = {
        "max_cameras": 1,
        "max_total_hours": 1,
        "max_window_hours": 1,
        "max_footage_age_days": 1,
        "grant_days": 1,
        **fields,
    }
    with pytest.raises(ValueError, match="must be"):
        Limits(**values)


@pytest.mark.parametrize(
    ("expires_in", "revoked_ago", "case_open", "expected"),
    [
        (HOUR, None, True, GrantState.LIVE),
        (timedelta(0), None, True, GrantState.EXPIRED),  # the end is exclusive
        (-HOUR, None, True, GrantState.EXPIRED),
        (HOUR, timedelta(0), True, GrantState.REVOKED),
        (-HOUR, HOUR, True, GrantState.REVOKED),  # revocation says more than expiry
        (HOUR, None, False, GrantState.CASE_CLOSED),
        (HOUR, HOUR, False, GrantState.REVOKED),
        (HOUR, -HOUR, True, GrantState.LIVE),  # a revocation dated later has not happened yet
    ],
)
def test_grant_state_table(
    expires_in: timedelta, revoked_ago: timedelta | None, case_open: bool, expected: GrantState
) -> None:
    revoked = None if revoked_ago is None else NOW - revoked_ago
    assert grant_state(NOW, NOW + expires_in, revoked, case_open) == expected


@given(
    expires=st.integers(-1000, 1000),
    revoked=st.none() | st.integers(-1000, 1000),
    case_open=st.booleans(),
)
def test_a_grant_is_live_only_when_nothing_ended_it(
    expires: int, revoked: int | None, case_open: bool
) -> None:
    revoked_at = None if revoked is None else NOW + timedelta(minutes=revoked)
    state = grant_state(NOW, NOW + timedelta(minutes=expires), revoked_at, case_open)
    live = expires > 0 and case_open and (revoked is None or revoked > 0)
    assert (state == GrantState.LIVE) == live


def test_a_refusal_needs_a_reason() -> None:
    assert refusal_problem(" \n") == "a refusal needs a reason"
    assert refusal_problem("the window is not justified") is None


SEGMENT_START = NOW - HOUR


@pytest.mark.parametrize(
    ("window_from", "window_to", "expected"),
    [
        (0, 10, (0.0, 10.0)),  # the whole segment
        (-60, 60, (0.0, 10.0)),  # a window around it
        (2.5, 4, (2.5, 4.0)),  # a part inside it
        (-5, 3, (0.0, 3.0)),
        (8, 20, (8.0, 10.0)),
        (10, 20, None),  # touching its end: nothing of it
        (-20, 0, None),
    ],
)
def test_clip_bounds_table(
    window_from: float, window_to: float, expected: tuple[float, float] | None
) -> None:
    window = Window(
        "gate",
        SEGMENT_START + timedelta(seconds=window_from),
        SEGMENT_START + timedelta(seconds=window_to),
    )
    assert clip_bounds(SEGMENT_START, SEGMENT_START + timedelta(seconds=10), window) == expected


@given(
    start=st.integers(-100, 100),
    length=st.integers(1, 100),
    segment_length=st.integers(1, 60),
)
def test_a_clip_never_reaches_outside_its_window_or_its_segment(
    start: int, length: int, segment_length: int
) -> None:
    window = Window(
        "gate",
        SEGMENT_START + timedelta(seconds=start),
        SEGMENT_START + timedelta(seconds=start + length),
    )
    bounds = clip_bounds(SEGMENT_START, SEGMENT_START + timedelta(seconds=segment_length), window)
    if bounds is None:
        assert start >= segment_length or start + length <= 0
        return
    begin, end = bounds
    assert 0 <= begin < end <= segment_length
    assert start <= begin
    assert end <= start + length


@given(facts, persons)
def test_naming_one_more_person_never_relaxes_the_rules(request_facts, person) -> None:
    more = RequestFacts(
        request_facts.windows, request_facts.sensitive_cameras, (*request_facts.persons, person)
    )
    assert set(strict_reasons(request_facts)) <= set(strict_reasons(more))
    if proportionality_problems(request_facts, NORMAL, STRICT, NOW):
        assert proportionality_problems(more, NORMAL, STRICT, NOW)


@given(facts)
def test_every_stricter_reason_names_a_camera_asked_for_or_a_person_named(request_facts) -> None:
    asked = {w.camera for w in request_facts.windows}
    labels = {p.label for p in request_facts.persons}
    for reason in strict_reasons(request_facts):
        subject = reason.removeprefix("camera ").split(" is ")[0]
        assert subject in asked | labels


@pytest.mark.parametrize(
    ("identification", "persons", "needed"),
    [
        (False, (NamedPerson("P2", minor=True),), 1),
        (True, (NamedPerson("P1"),), 1),
        (True, (NamedPerson("P1", vulnerable=True),), 1),
        (True, (NamedPerson("P1"), NamedPerson("P2", minor=True)), 2),
        (True, (), 1),
    ],
)
def test_identifying_a_minor_takes_two_approvers(identification, persons, needed) -> None:
    assert approvals_needed(identification, persons) == needed


def test_the_second_approver_is_another_one() -> None:
    assert "another approver" in (second_approval_problem("anna", "anna") or "")
    assert second_approval_problem("anna", "boris") is None


@given(st.booleans(), st.lists(persons, max_size=4))
def test_two_approvers_exactly_when_a_named_minor_is_to_be_identified(identification, named):
    needed = approvals_needed(identification, named)
    assert needed == (2 if identification and any(p.minor for p in named) else 1)
