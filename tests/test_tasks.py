"""The job queue: periodic jobs run once per period whatever the number of workers, on
SQLite's queue and on Redis; a job that fails is run again."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from huey import RedisHuey, SqliteHuey

from custos.runtime import Runtime
from custos.schedule import service as schedule
from custos.schedule.policy import RunState, period_of, period_start
from custos.tasks import Job, Queue

EVERY = 2.0


class _Counter:
    """A job that counts, per period, how often it ran."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.periods: list[int] = []

    def __call__(self, runtime: Runtime) -> None:
        with self.lock:
            self.periods.append(period_of(runtime.clock.now(), EVERY))
        time.sleep(0.3)  # long enough for a second worker to try the same period meanwhile


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_two_workers_run_each_period_once(
    live_runtime: Runtime, tmp_path: Path, backend: str
) -> None:
    counter = _Counter()
    job = Job("count", lambda _: EVERY, timedelta(minutes=1), counter)
    name = f"custos-test-{time.monotonic_ns()}"
    if backend == "redis":
        url = "redis://127.0.0.1:6379/15"
        queues = [RedisHuey(name, url=url, results=False) for _ in range(2)]
    else:
        queues = [
            SqliteHuey(name, filename=str(tmp_path / "q.db"), results=False) for _ in range(2)
        ]
    workers = [Queue(live_runtime, f"w{n}", huey, periodic=[job]) for n, huey in enumerate(queues)]
    stop = threading.Event()
    threads = [threading.Thread(target=worker.consume, args=(stop,)) for worker in workers]
    started = live_runtime.clock.now()
    for thread in threads:
        thread.start()
    time.sleep(9)
    stop.set()
    for thread in threads:
        thread.join(30)
    ended = live_runtime.clock.now()
    if backend == "redis":
        redis.Redis.from_url(url).flushdb()
    with live_runtime.sessions() as session:
        runs = schedule.runs(session, "count")
    # Every period that began while both ran was run, by one worker, once.
    first, last = period_of(started, EVERY) + 1, period_of(ended, EVERY) - 1
    expected = list(range(first, last + 1))
    assert len(expected) >= 3
    assert [p for p in sorted(counter.periods) if first <= p <= last] == expected
    assert len(counter.periods) == len(set(counter.periods))
    done = {run.period: run for run in runs if run.state == RunState.DONE}
    assert set(expected) <= done.keys()
    assert {run.worker for run in runs} <= {"w0", "w1"}
    for period in expected:  # on time: within a second or two of the period's start
        assert done[period].claimed_at - period_start(period, EVERY) < timedelta(seconds=2.5)


def test_a_job_that_fails_is_run_again_and_then_not_again(live_runtime: Runtime) -> None:
    calls: list[int] = []

    def flaky(_: Runtime) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("storage not reachable")

    job = Job("flaky", lambda _: 60.0, timedelta(minutes=1), flaky)
    queue = Queue(live_runtime, "w", SqliteHuey("t", filename=":memory:"), periodic=[job])
    with pytest.raises(RuntimeError):
        queue.run("flaky", 5)
    assert queue.run("flaky", 5)  # Huey's retry, or the next tick, runs it again
    assert not queue.run("flaky", 5)  # and then never again
    assert len(calls) == 2
    with live_runtime.sessions() as session:
        [run] = schedule.runs(session, "flaky")
    assert (run.state, run.attempts) == (RunState.DONE, 2)
