"""Health rules: the state a camera is shown in, when it is red, worst first, the system verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.health.policy import (
    RECORDERS_NOT_RUNNING,
    HealthState,
    Limits,
    Named,
    Report,
    SystemStatus,
    Verdict,
    assess,
    system_verdict,
    worst_first,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LIMITS = Limits(stale_after=timedelta(seconds=30), down_after=timedelta(seconds=120))


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def report(state: str, reason: str = "", since: float = 60, heartbeat: float = 2) -> Report:
    return Report(state, reason, ago(since), ago(heartbeat))


@pytest.mark.parametrize(
    ("status", "row", "outage", "expected"),
    [
        # A recording camera with a fresh heartbeat is what it says.
        ("active", report("recording"), None, (HealthState.RECORDING, "", ago(60), False)),
        (
            "active",
            report("reconnecting", "connection refused", since=5),
            None,
            (HealthState.RECONNECTING, "connection refused", ago(5), False),
        ),
        (
            "active",
            report("storage refused", "storage full", since=300),
            None,
            (HealthState.STORAGE_REFUSED, "storage full", ago(300), False),
        ),
        # Down for a minute: not red yet; down for five: red.
        (
            "active",
            report("down", "host unreachable", since=60),
            None,
            (HealthState.DOWN, "host unreachable", ago(60), False),
        ),
        (
            "active",
            report("down", "host unreachable", since=300),
            None,
            (HealthState.DOWN, "host unreachable", ago(300), True),
        ),
        # Down counts from the start of the outage (the open gap), not from giving up.
        (
            "active",
            report("down", "connection refused", since=100),
            ago(130),
            (HealthState.DOWN, "connection refused", ago(130), True),
        ),
        # No heartbeat for a while: the recorders are not running, whatever the row says.
        (
            "active",
            report("recording", since=600, heartbeat=45),
            None,
            (HealthState.DOWN, RECORDERS_NOT_RUNNING, ago(45), False),
        ),
        (
            "active",
            report("recording", since=600, heartbeat=200),
            None,
            (HealthState.DOWN, RECORDERS_NOT_RUNNING, ago(200), True),
        ),
        (
            "active",
            report("down", "connection refused", since=600, heartbeat=200),
            None,
            (HealthState.DOWN, RECORDERS_NOT_RUNNING, ago(600), True),
        ),
        # Never reported at all: missed since the camera became active.
        ("active", None, None, (HealthState.DOWN, RECORDERS_NOT_RUNNING, ago(1000), True)),
        # A clean stop of the whole system is the recorders not running, at once.
        (
            "active",
            report("stopped", "system not running", since=20, heartbeat=20),
            None,
            (HealthState.DOWN, RECORDERS_NOT_RUNNING, ago(20), False),
        ),
        # A recorder replaced because the camera changed is about to reconnect.
        (
            "active",
            report("stopped", "camera settings changed", since=1, heartbeat=1),
            None,
            (HealthState.RECONNECTING, "camera settings changed", ago(1), False),
        ),
        # Suspended and draft cameras are never red, however old their row.
        (
            "suspended",
            report("stopped", "camera suspended", since=9000, heartbeat=9000),
            None,
            (HealthState.SUSPENDED, "camera suspended", ago(9000), False),
        ),
        ("suspended", None, None, (HealthState.SUSPENDED, "camera suspended", None, False)),
        (  # suspended by the system: no impact assessment lets it record
            "suspended",
            report("stopped", "DPIA expired", since=60, heartbeat=60),
            None,
            (HealthState.SUSPENDED, "DPIA expired", ago(60), False),
        ),
        ("draft", None, None, (HealthState.STOPPED, "camera is a draft", None, False)),
        # A state this version does not know is assumed to be the worst.
        (
            "active",
            report("exploded", "?", since=500),
            None,
            (HealthState.DOWN, "?", ago(500), True),
        ),
    ],
)
def test_shown_state(
    status: str,
    row: Report | None,
    outage: datetime | None,
    expected: tuple[HealthState, str, datetime | None, bool],
) -> None:
    verdict = assess(status, row, NOW, LIMITS, outage_since=outage, registered_at=ago(1000))
    assert (verdict.state, verdict.reason, verdict.since, verdict.red) == expected


def test_worst_first_order() -> None:
    verdicts = {
        "suspended": Verdict(HealthState.SUSPENDED, "camera suspended", None, False),
        "recording": Verdict(HealthState.RECORDING, "", ago(10), False),
        "reconnecting": Verdict(HealthState.RECONNECTING, "stream ended", ago(3), False),
        "refused": Verdict(HealthState.STORAGE_REFUSED, "storage full", ago(3), False),
        "down": Verdict(HealthState.DOWN, "host unreachable", ago(30), False),
        "red-recent": Verdict(HealthState.DOWN, "connection refused", ago(200), True),
        "red-old": Verdict(HealthState.DOWN, "host not found", ago(900), True),
    }
    order = sorted(verdicts, key=lambda name: worst_first(verdicts[name]))
    assert order == [
        "red-old",
        "red-recent",
        "down",
        "refused",
        "reconnecting",
        "recording",
        "suspended",
    ]


REGISTRY = st.sampled_from(["active", "suspended", "draft"])
STATES = st.sampled_from(
    ["recording", "reconnecting", "down", "storage refused", "stopped", "unheard-of"]
)
REASONS = st.sampled_from(["", "connection refused", "system not running", "camera suspended"])
SECONDS = st.floats(min_value=0, max_value=100_000, allow_nan=False)
REPORTS = st.one_of(
    st.none(),
    st.builds(
        lambda state, reason, since, heartbeat: Report(state, reason, ago(since), ago(heartbeat)),
        STATES,
        REASONS,
        SECONDS,
        SECONDS,
    ),
)
LIMIT_SETS = st.builds(
    lambda stale, down: Limits(timedelta(seconds=stale), timedelta(seconds=down)),
    st.floats(min_value=1, max_value=600),
    st.floats(min_value=1, max_value=3600),
)


@given(REGISTRY, REPORTS, st.one_of(st.none(), SECONDS), LIMIT_SETS)
def test_red_means_an_active_camera_down_past_the_threshold(
    status: str, row: Report | None, outage: float | None, limits: Limits
) -> None:
    verdict = assess(
        status,
        row,
        NOW,
        limits,
        outage_since=None if outage is None else ago(outage),
        registered_at=ago(50),
    )
    if status != "active":
        assert not verdict.red
        assert verdict.state in (HealthState.SUSPENDED, HealthState.STOPPED)
    if verdict.red:
        down = verdict.down_for(NOW)
        assert verdict.state is HealthState.DOWN
        assert down is not None
        assert down > limits.down_after
    if status == "active" and (row is None or NOW - row.heartbeat_at > limits.stale_after):
        assert (verdict.state, verdict.reason) == (HealthState.DOWN, RECORDERS_NOT_RUNNING)


@given(st.lists(st.tuples(REGISTRY, REPORTS), min_size=2, max_size=8))
def test_every_red_camera_comes_before_every_camera_that_is_not(
    cameras: list[tuple[str, Report | None]],
) -> None:
    verdicts = sorted(
        (assess(status, row, NOW, LIMITS, registered_at=ago(50)) for status, row in cameras),
        key=worst_first,
    )
    reds = [verdict.red for verdict in verdicts]
    assert reds == sorted(reds, reverse=True)
    quiet = [v.state in (HealthState.SUSPENDED, HealthState.STOPPED) for v in verdicts]
    assert quiet == sorted(quiet)


def named(camera: str, state: HealthState, reason: str, since: float, red: bool) -> Named:
    return Named(camera, Verdict(state, reason, ago(since), red))


def test_system_ok_when_every_camera_records_or_is_meant_not_to() -> None:
    verdict = system_verdict(
        [
            named("gate", HealthState.RECORDING, "", 60, False),
            named("yard", HealthState.RECONNECTING, "stream ended", 3, False),
            named("old", HealthState.SUSPENDED, "camera suspended", 9000, False),
        ],
        NOW,
    )
    assert (verdict.status, verdict.reasons) == (SystemStatus.OK, ())
    assert system_verdict([], NOW).status is SystemStatus.OK


def test_system_degraded_names_each_reason() -> None:
    verdict = system_verdict(
        [
            named("gate", HealthState.DOWN, "connection refused", 300, True),
            named("yard", HealthState.DOWN, "host unreachable", 20, False),
            named("hall", HealthState.STORAGE_REFUSED, "storage full", 5, False),
            named("lobby", HealthState.RECORDING, "", 60, False),
        ],
        NOW,
    )
    assert verdict.status is SystemStatus.DEGRADED
    assert verdict.reasons == (
        "camera gate down for 5 min: connection refused",
        "storage refuses writes from hall",
    )


def test_system_degraded_when_no_recorder_runs() -> None:
    cameras = [
        named("gate", HealthState.DOWN, RECORDERS_NOT_RUNNING, 500, True),
        named("yard", HealthState.DOWN, RECORDERS_NOT_RUNNING, 5, False),
        named("old", HealthState.SUSPENDED, "camera suspended", 9000, False),
    ]
    verdict = system_verdict(cameras, NOW, storage_refusal="recording stopped: storage holds")
    assert verdict.status is SystemStatus.DEGRADED
    assert verdict.reasons == (
        RECORDERS_NOT_RUNNING,
        "storage refuses writes: recording stopped: storage holds",
    )
