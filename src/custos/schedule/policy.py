"""Pure rules of periodic work: which period a moment falls in, which periods start in a
window, and when a period's run may be claimed (again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

# A run that failed is tried this many times in all; one whose worker died is taken again
# once its lease has run out, within the same limit.
MAX_ATTEMPTS = 3


class RunState(StrEnum):
    """Where one period's run of a job stands."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def period_of(at: datetime, every: float) -> int:
    """The number of the period of length `every` seconds that `at` falls in (from 1970)."""
    return int(at.timestamp() // every)


def period_start(period: int, every: float) -> datetime:
    """When period number `period` begins."""
    return datetime.fromtimestamp(period * every, UTC)


def periods_starting(start: datetime, window: float, every: float) -> list[int]:
    """The periods that begin in [`start`, `start` + `window` s), and the one `start` is in."""
    first = period_of(start, every)
    last = period_of(start + timedelta(seconds=window), every)
    if period_start(last, every) == start + timedelta(seconds=window):
        last -= 1
    return list(range(first, last + 1))


@dataclass(frozen=True)
class Run:
    """A period's run as the database holds it."""

    state: RunState
    attempts: int
    lease_until: datetime


def may_claim(run: Run | None, now: datetime) -> bool:
    """Whether a worker may run this period now: nobody has, or a failed or abandoned run may
    be tried again. A run that is done is never run again; one in progress is left alone
    until its lease runs out (its worker died)."""
    if run is None:
        return True
    if run.state is RunState.DONE or run.attempts >= MAX_ATTEMPTS:
        return False
    return run.state is RunState.FAILED or run.lease_until <= now
