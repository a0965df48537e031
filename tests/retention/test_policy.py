"""Retention rules as tables and properties: holds win, incidents keep whole, sunsets, pressure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.profile import Rules
from custos.retention.policy import (
    Decision,
    HoldFacts,
    IncidentFacts,
    Reason,
    RegimeFacts,
    SegmentFacts,
    Window,
    decide,
    extension_problem,
    storage_pressure_victims,
)

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
RULES = Rules(
    default=30 * DAY,
    incident=2557 * DAY,
    pad_before=timedelta(minutes=5),
    pad_after=timedelta(minutes=5),
    emergency_grace=30 * DAY,
)


def seg(
    start_minutes: float = 0,
    length_s: float = 10,
    camera: int = 1,
    region: str = "Almaty",
    extension: timedelta | None = None,
) -> SegmentFacts:
    start = T0 + timedelta(minutes=start_minutes)
    return SegmentFacts(camera, start, start + timedelta(seconds=length_s), extension, region)


def incident(
    start_minutes: float, end_minutes: float, offence: bool = True, camera: int = 1, ident: int = 1
) -> IncidentFacts:
    return IncidentFacts(
        ident,
        frozenset({camera}),
        Window(T0 + timedelta(minutes=start_minutes), T0 + timedelta(minutes=end_minutes)),
        offence,
    )


def hold(start_minutes: float, end_minutes: float, camera: int = 1) -> HoldFacts:
    return HoldFacts(
        9,
        (
            (
                camera,
                Window(T0 + timedelta(minutes=start_minutes), T0 + timedelta(minutes=end_minutes)),
            ),
        ),
    )


@pytest.mark.parametrize(
    ("segment", "incidents", "holds", "expected_reason", "expected_expiry"),
    [
        (seg(), [], [], Reason.DEFAULT, T0 + timedelta(seconds=10) + 30 * DAY),
        (seg(), [incident(0, 1)], [], Reason.INCIDENT, T0 + timedelta(seconds=10) + 2557 * DAY),
        # the incident ends 4 minutes before the segment: padding (5 min) still reaches it
        (seg(10), [incident(0, 6)], [], Reason.INCIDENT, None),
        # 6 minutes away: outside the padding
        (seg(12), [incident(0, 6)], [], Reason.DEFAULT, None),
        # another camera's incident does not count
        (seg(camera=2), [incident(0, 1)], [], Reason.DEFAULT, None),
        (seg(), [incident(0, 1)], [hold(-1, 1)], Reason.LEGAL_HOLD, "never"),
        (seg(), [], [hold(2, 3)], Reason.DEFAULT, None),  # the hold window does not touch it
        (
            seg(extension=60 * DAY),
            [],
            [],
            Reason.CAMERA_EXTENSION,
            T0 + timedelta(seconds=10) + 60 * DAY,
        ),
    ],
)
def test_decisions(
    segment: SegmentFacts,
    incidents: list[IncidentFacts],
    holds: list[HoldFacts],
    expected_reason: Reason,
    expected_expiry: object,
) -> None:
    decision = decide(segment, incidents, holds, [], RULES)
    assert decision.reason is expected_reason
    if expected_expiry == "never":
        assert decision.held
    elif expected_expiry is not None:
        assert decision.expires_at == expected_expiry


def test_a_segment_crossing_the_incident_boundary_is_kept_whole() -> None:
    # The incident ends one second into a ten-minute segment (padding off to make the point).
    rules = Rules(default=30 * DAY, incident=2557 * DAY)
    crossing = SegmentFacts(1, T0, T0 + timedelta(minutes=10))
    touching = IncidentFacts(
        1, frozenset({1}), Window(T0 - timedelta(hours=1), T0 + timedelta(seconds=1)), True
    )
    decision = decide(crossing, [touching], [], [], rules)
    assert decision.expires_at == crossing.ended_at + rules.incident


def test_emergency_sunset() -> None:
    regime = RegimeFacts(3, frozenset({"Almaty"}), T0 - DAY, T0 + 2 * DAY)
    ordinary = decide(seg(), [], [], [regime], RULES)
    assert (ordinary.reason, ordinary.expires_at) == (Reason.DEFAULT, seg().ended_at + 30 * DAY)
    short = Rules(default=30 * DAY, incident=2557 * DAY, emergency_grace=DAY)
    assert decide(seg(), [], [], [regime], short).expires_at == T0 + 3 * DAY
    assert decide(seg(), [], [], [regime], short).reason is Reason.EMERGENCY_SUNSET
    # a non-offence incident does not save the footage; an offence does; other regions are untouched
    assert (
        decide(seg(), [incident(0, 1, offence=False)], [], [regime], short).reason
        is Reason.EMERGENCY_SUNSET
    )
    assert (
        decide(seg(), [incident(0, 1, offence=True)], [], [regime], short).reason is Reason.INCIDENT
    )
    assert decide(seg(region="Astana"), [], [], [regime], short).reason is Reason.DEFAULT
    ongoing = RegimeFacts(4, frozenset({"Almaty"}), T0 - DAY, None)
    assert decide(seg(), [], [], [ongoing], short).reason is Reason.DEFAULT
    assert decide(seg(), [], [hold(-1, 1)], [regime], short).held


segments = st.builds(
    seg,
    start_minutes=st.floats(-600, 600),
    length_s=st.floats(1, 60),
    camera=st.integers(1, 3),
    region=st.sampled_from(["Almaty", "Astana"]),
)
incidents_ = st.lists(
    st.builds(
        incident,
        start_minutes=st.floats(-600, 600),
        end_minutes=st.floats(601, 1200),
        offence=st.booleans(),
        camera=st.integers(1, 3),
        ident=st.integers(1, 9),
    ),
    max_size=3,
)
holds_ = st.lists(
    st.builds(
        hold,
        start_minutes=st.floats(-600, 600),
        end_minutes=st.floats(601, 1200),
        camera=st.integers(1, 3),
    ),
    max_size=2,
)
regimes_ = st.lists(
    st.builds(
        RegimeFacts,
        id=st.integers(1, 5),
        regions=st.frozensets(st.sampled_from(["Almaty", "Astana"]), min_size=1),
        start=st.just(T0 - DAY),
        end=st.one_of(st.none(), st.just(T0 + DAY)),
    ),
    max_size=2,
)
periods = st.integers(1, 4000).map(lambda d: timedelta(days=d))


@given(segments, incidents_, holds_, regimes_)
def test_nothing_held_is_ever_planned_for_deletion(segment, incidents, holds, regimes) -> None:
    decision = decide(segment, incidents, holds, regimes, RULES)
    if any(h.covers(segment) for h in holds):
        assert decision.held
        assert decision.reason is Reason.LEGAL_HOLD


@given(segments, incidents_, regimes_)
def test_offence_footage_is_never_planned_before_the_incident_period(
    segment, incidents, regimes
) -> None:
    decision = decide(segment, incidents, [], regimes, RULES)
    from custos.retention.policy import incident_covers

    if any(i.offence and incident_covers(i, segment, RULES) for i in incidents):
        assert decision.expires_at is not None
        assert decision.expires_at >= segment.ended_at + RULES.incident
    if any(incident_covers(i, segment, RULES) for i in incidents) and not regimes:
        assert decision.expires_at >= segment.ended_at + RULES.incident  # type: ignore[operator]


@given(segments, incidents_, holds_, regimes_, periods, periods, periods)
def test_expiry_never_decreases_when_a_period_grows(
    segment, incidents, holds, regimes, default, extra, grace
) -> None:
    shorter = Rules(default=default, incident=default + extra, emergency_grace=grace)
    longer_default = Rules(
        default=default + extra, incident=default + 2 * extra, emergency_grace=grace
    )
    longer_grace = Rules(default=default, incident=default + extra, emergency_grace=grace + extra)
    base = decide(segment, incidents, holds, regimes, shorter)
    for grown in (longer_default, longer_grace):
        after = decide(segment, incidents, holds, regimes, grown)
        if base.held:
            assert after.held
        else:
            assert after.expires_at is not None
            assert after.expires_at >= base.expires_at  # type: ignore[operator]


def test_storage_pressure_takes_the_oldest_ordinary_footage_only() -> None:
    ordinary = Decision(T0, Reason.DEFAULT)
    candidates = [
        ("c", T0 + 2 * DAY, 100, ordinary),
        ("a", T0, 100, ordinary),
        ("held", T0 - DAY, 100, Decision(None, Reason.LEGAL_HOLD)),
        ("incident", T0 - DAY, 100, Decision(T0 + 999 * DAY, Reason.INCIDENT)),
        ("b", T0 + DAY, 100, ordinary),
    ]
    assert storage_pressure_victims(candidates, 150) == ["a", "b"]
    assert storage_pressure_victims(candidates, 10_000) == ["a", "b", "c"]
    assert storage_pressure_victims(candidates, 0) == []


@pytest.mark.parametrize(
    ("days", "justification", "dpia", "needs_dpia", "problem"),
    [
        (None, "", "", True, None),
        (3, "", "", True, None),
        (10, "", "", False, "justification"),
        (10, "busy entrance", "", True, "DPIA reference"),
        (10, "busy entrance", "DPIA-7", True, None),
        (40, "busy entrance", "DPIA-7", True, "at most 30"),
    ],
)
def test_camera_extensions(
    days: float | None, justification: str, dpia: str, needs_dpia: bool, problem: str | None
) -> None:
    found = extension_problem(days, 3, 30, justification, dpia, True, needs_dpia)
    assert (found is None) if problem is None else (problem in (found or ""))


SENSITIVE_RULES = Rules(default=30 * DAY, incident=2557 * DAY, sensitive=7 * DAY)


def _at_site(start_minutes: float = 0, extension: timedelta | None = None) -> SegmentFacts:
    plain = seg(start_minutes, extension=extension)
    return SegmentFacts(
        plain.camera_id, plain.started_at, plain.ended_at, extension, plain.region, True
    )


@pytest.mark.parametrize(
    ("segment", "incidents", "holds", "rules", "expected"),
    [
        (_at_site(), [], [], SENSITIVE_RULES, (7 * DAY, Reason.SENSITIVE_SITE)),
        (_at_site(extension=60 * DAY), [], [], SENSITIVE_RULES, (7 * DAY, Reason.SENSITIVE_SITE)),
        (seg(), [], [], SENSITIVE_RULES, (30 * DAY, Reason.DEFAULT)),
        (_at_site(), [], [], RULES, (30 * DAY, Reason.DEFAULT)),  # the profile sets none
        (_at_site(), [incident(-1, 1)], [], SENSITIVE_RULES, (2557 * DAY, Reason.INCIDENT)),
        (_at_site(), [], [hold(-1, 1)], SENSITIVE_RULES, (None, Reason.LEGAL_HOLD)),
    ],
)  # fmt: skip
def test_a_sensitive_site_keeps_footage_the_shorter_period_unless_evidence(
    segment, incidents, holds, rules, expected
) -> None:
    decision = decide(segment, incidents, holds, [], rules)
    period, reason = expected
    kept = None if decision.expires_at is None else decision.expires_at - segment.ended_at
    assert (kept, decision.reason) == (period, reason)


@given(segments, incidents_, holds_)
def test_a_sensitive_site_never_keeps_footage_longer_than_elsewhere(segment, incidents, holds):
    at_site = SegmentFacts(
        segment.camera_id, segment.started_at, segment.ended_at, None, segment.region, True
    )
    here = decide(at_site, incidents, holds, [], SENSITIVE_RULES)
    elsewhere = decide(segment, incidents, holds, [], SENSITIVE_RULES)
    if elsewhere.expires_at is not None:
        assert here.expires_at is not None
        assert here.expires_at <= elsewhere.expires_at
