"""Claiming periodic runs on a real database: once per period, again after a failure or a
worker that died, never after it is done."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.schedule import service as schedule
from custos.schedule.policy import MAX_ATTEMPTS, RunState

LEASE = timedelta(minutes=2)


def test_a_period_is_claimed_once(db: Session, clock: FrozenClock) -> None:
    assert schedule.claim(db, clock, "sweep", 7, "w1", LEASE)
    assert not schedule.claim(db, clock, "sweep", 7, "w2", LEASE)  # w1 runs it
    assert schedule.claim(db, clock, "sweep", 8, "w2", LEASE)  # the next period is free
    assert schedule.claim(db, clock, "health", 7, "w2", LEASE)  # and so is another job's
    schedule.finish(db, clock, "sweep", 7, "w1")
    clock.advance(LEASE * 10)
    assert not schedule.claim(db, clock, "sweep", 7, "w2", LEASE)  # done is done
    assert schedule.retryable(db, clock.now(), "sweep", clock.now() - timedelta(days=1)) == [8]
    [run, _] = schedule.runs(db, "sweep")
    assert (run.state, run.worker, run.attempts) == (RunState.DONE, "w1", 1)


def test_a_failed_or_abandoned_run_is_taken_again_a_few_times(
    db: Session, clock: FrozenClock
) -> None:
    assert schedule.claim(db, clock, "sweep", 1, "w1", LEASE)
    schedule.finish(db, clock, "sweep", 1, "w1", error="RuntimeError('disk')")
    assert schedule.retryable(db, clock.now(), "sweep", clock.now() - LEASE) == [1]
    assert schedule.claim(db, clock, "sweep", 1, "w2", LEASE)  # attempt 2
    # w2 is killed mid-way: nothing ends its run, and nobody else may take it while its lease
    # lasts.
    assert not schedule.claim(db, clock, "sweep", 1, "w3", LEASE)
    assert schedule.retryable(db, clock.now(), "sweep", clock.now() - LEASE) == []
    clock.advance(LEASE)
    assert schedule.retryable(db, clock.now(), "sweep", clock.now() - LEASE * 2) == [1]
    assert schedule.claim(db, clock, "sweep", 1, "w3", LEASE)  # attempt 3, the last
    schedule.finish(db, clock, "sweep", 1, "w3", error="again")
    assert not schedule.claim(db, clock, "sweep", 1, "w1", LEASE)
    [run] = schedule.runs(db, "sweep")
    assert (run.state, run.attempts, run.detail) == (RunState.FAILED, MAX_ATTEMPTS, "again")
