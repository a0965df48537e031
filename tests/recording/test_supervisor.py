"""The supervisor outlives a registry it cannot read: its recorders go on, it tries again."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from custos.recording.supervisor import RecordingSupervisor
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime


class _Unreachable:
    """A session factory whose database refuses the first `failures` sessions."""

    def __init__(self, sessions: sessionmaker[Session], failures: int) -> None:
        self._sessions = sessions
        self.failures = failures
        self.calls = 0

    def __call__(self, **kwargs: Any) -> Session:
        self.calls += 1
        if self.calls <= self.failures:
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
        return self._sessions(**kwargs)


def test_a_database_outage_does_not_end_the_supervisor(runtime: Runtime) -> None:
    flaky = _Unreachable(runtime.sessions, failures=2)
    outage = dataclasses.replace(runtime, sessions=flaky)
    supervisor = RecordingSupervisor(
        outage, SegmentPlanner(runtime.rules), ExhaustionGate(), poll_seconds=0.1
    )
    supervisor.run(threading.Event(), duration=1.0)
    assert flaky.calls > flaky.failures  # it kept trying after the outage, and got through
