"""The job queue: every piece of background work as a task of one Huey queue.

SQLite in the data folder by default, Redis when `CUSTOS_QUEUE_URL` names it. Any number of
workers (`custos worker`, and `custos serve`) consume the same queue. Each worker's scheduler
enqueues `tick` once a minute; a tick enqueues, for every periodic job, a run of each of its
periods that begins within the next minute (at that moment) and of each period whose run
failed or whose worker died. A run first claims its period in the database (`job_runs`, keyed
by job and period), so however many workers enqueue it, a period runs once; a run whose worker
was killed is taken again once its lease runs out, and every job is safe to repeat.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from custos import jobs
from custos.runtime import Runtime
from custos.schedule import service as schedule
from custos.schedule.policy import period_start, periods_starting

log = logging.getLogger(__name__)

# How far ahead a tick enqueues runs: the scheduler ticks once a minute.
TICK_SECONDS = 60.0
# How long one prepare task works before it hands its thread back: a tick asks for one every
# ten seconds, so preparation keeps about one thread of each worker busy while there is work.
PREPARE_SECONDS = 9.0
# Worker threads per consumer: periodic runs and preparation share them.
WORKER_THREADS = 3


@dataclass(frozen=True)
class Job:
    """A periodic job: how often, how long a run may take before it counts as abandoned."""

    name: str
    every: Callable[[Runtime], float]  # seconds, from the settings
    lease: timedelta
    run: Callable[[Runtime], object]


JOBS = (
    Job("health", lambda _: jobs.HEALTH_SECONDS, timedelta(minutes=2), jobs.evaluate_health),
    Job(
        "checkpoint",
        lambda runtime: runtime.settings.checkpoint_minutes * 60,
        timedelta(minutes=5),
        jobs.sign_checkpoint,
    ),
    Job(
        "retention",
        lambda runtime: runtime.settings.sweep_minutes * 60,
        timedelta(minutes=30),
        jobs.run_retention,
    ),
    Job(
        "viewings", lambda _: jobs.VIEWINGS_SECONDS, timedelta(minutes=2), jobs.close_idle_viewings
    ),
    Job("collection", lambda _: 60.0, timedelta(minutes=5), jobs.collect_segments),
)


def storage(runtime: Runtime) -> Huey:
    """The queue's storage: Redis when configured, else a SQLite file in the data folder."""
    url = runtime.settings.queue_url
    if url is not None:
        return RedisHuey("custos", url=url, results=False)
    path = runtime.settings.data_dir / "queue.db"
    return SqliteHuey("custos", filename=str(path), results=False)


class Queue:
    """The queue of one process, its tasks bound to the process's runtime."""

    def __init__(
        self,
        runtime: Runtime,
        worker: str,
        huey: Huey | None = None,
        periodic: Sequence[Job] = JOBS,
    ) -> None:
        self.runtime = runtime
        self.worker = worker
        self.huey = huey or storage(runtime)
        self.jobs = {job.name: job for job in periodic}
        self._stop = threading.Event()
        huey = self.huey

        @huey.periodic_task(crontab(minute="*"), name="custos.tick")  # type: ignore[untyped-decorator]
        def tick() -> None:
            self.tick()

        @huey.task(name="custos.run", retries=2, retry_delay=5)  # type: ignore[untyped-decorator]
        def run(job: str, period: int) -> None:
            self.run(job, period)

        @huey.task(name="custos.prepare")  # type: ignore[untyped-decorator]
        def prepare() -> None:
            jobs.prepare_tracks(self.runtime, self._stop, self.worker, PREPARE_SECONDS)

        self._run: Any = run
        self._prepare: Any = prepare

    def tick(self) -> None:
        """Enqueue the periodic runs of the coming minute, and the ones to try again."""
        now = self.runtime.clock.now()
        with self.runtime.sessions() as session:
            for job in self.jobs.values():
                every = job.every(self.runtime)
                again = schedule.retryable(session, now, job.name, now - timedelta(days=1))
                for period in again:
                    self._run(job.name, period)
                for period in periods_starting(now, TICK_SECONDS, every):
                    at = max(now, period_start(period, every))
                    if at <= now:
                        self._run(job.name, period)
                    else:
                        self._run.schedule((job.name, period), eta=at)
            session.rollback()
        # Preparation is a work list in the database: ask for it every few seconds.
        for offset in range(0, int(TICK_SECONDS), 10):
            self._prepare.schedule(delay=offset)

    def run(self, name: str, period: int) -> bool:
        """Run `name` for `period` if this worker claims it; whether it ran."""
        job = self.jobs[name]
        runtime = self.runtime
        with runtime.sessions() as session:
            if not schedule.claim(session, runtime.clock, name, period, self.worker, job.lease):
                return False
        try:
            job.run(runtime)
        except Exception as error:
            log.exception("job %s (period %d) failed; it is tried again", name, period)
            with runtime.sessions() as session:
                schedule.finish(session, runtime.clock, name, period, self.worker, repr(error))
            raise
        with runtime.sessions() as session:
            schedule.finish(session, runtime.clock, name, period, self.worker)
        return True

    def consume(self, stop: threading.Event) -> None:
        """Work the queue with a few threads until `stop` is set; then finish what is running."""
        consumer = _Consumer(self.huey, workers=WORKER_THREADS, worker_type="thread")
        consumer.start()
        try:
            stop.wait()
        finally:
            self._stop.set()
            consumer.stop(graceful=True)


class _Consumer(Consumer):  # type: ignore[misc]
    """Huey's consumer, run beside a web server or recorders: signals stay with the process."""

    def _set_signal_handlers(self) -> None:
        pass
