"""Claiming and ending periodic runs: the primary key (job, period) lets one worker win."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from custos.clock import Clock
from custos.schedule.models import JobRun
from custos.schedule.policy import MAX_ATTEMPTS, Run, RunState, may_claim


def claim(
    session: Session, clock: Clock, job: str, period: int, worker: str, lease: timedelta
) -> bool:
    """Take `job`'s run of `period` for `worker`; False when it is done or another runs it.

    A first claim inserts the row (two workers inserting at once: the key lets one through);
    a later one updates it only if it is still as read, so two retries cannot both win.
    """
    now = clock.now()
    row = session.get(JobRun, (job, period))
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    JobRun(
                        job=job,
                        period=period,
                        state=RunState.RUNNING,
                        worker=worker,
                        attempts=1,
                        claimed_at=now,
                        lease_until=now + lease,
                        finished_at=None,
                        detail="",
                    )
                )
        except IntegrityError:
            session.rollback()
            return False
        session.commit()
        return True
    seen = Run(RunState(row.state), row.attempts, row.lease_until)
    if not may_claim(seen, now):
        session.rollback()
        return False
    taken = session.execute(
        sa.update(JobRun)
        .where(
            JobRun.job == job,
            JobRun.period == period,
            JobRun.attempts == row.attempts,
            JobRun.state == row.state,
        )
        .values(
            state=RunState.RUNNING,
            worker=worker,
            attempts=row.attempts + 1,
            claimed_at=now,
            lease_until=now + lease,
        )
        .execution_options(synchronize_session=False)
    )
    won: bool = taken.rowcount == 1  # type: ignore[attr-defined]
    if won:
        session.commit()
    else:
        session.rollback()
    return won


def finish(
    session: Session, clock: Clock, job: str, period: int, worker: str, error: str | None = None
) -> None:
    """End `worker`'s run of `period`: done, or failed with `error` (to be tried again)."""
    session.execute(
        sa.update(JobRun)
        .where(JobRun.job == job, JobRun.period == period, JobRun.worker == worker)
        .values(
            state=RunState.DONE if error is None else RunState.FAILED,
            finished_at=clock.now(),
            detail=(error or "")[:512],
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def retryable(session: Session, now: datetime, job: str, since: datetime) -> list[int]:
    """Periods of `job` begun since `since` whose run failed or was abandoned, to run again."""
    rows = session.scalars(
        sa.select(JobRun).where(
            JobRun.job == job,
            JobRun.state != RunState.DONE,
            JobRun.attempts < MAX_ATTEMPTS,
            JobRun.claimed_at >= since,
        )
    )
    return [
        row.period
        for row in rows
        if may_claim(Run(RunState(row.state), row.attempts, row.lease_until), now)
    ]


def runs(session: Session, job: str | None = None) -> list[JobRun]:
    """The runs on record, oldest period first (for one job, or all)."""
    query = sa.select(JobRun).order_by(JobRun.job, JobRun.period)
    if job is not None:
        query = query.where(JobRun.job == job)
    return list(session.scalars(query))
