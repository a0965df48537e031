"""Keeps one recorder thread per camera this process holds the lease of, and claims more.

Each round renews this recorder's leases, stops the recorders of cameras it lost, claims free
active cameras up to its fair share (higher priority first) and lets go of cameras that are
no longer active. Stopping cleanly lets every camera go at once, for another recorder to take.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from custos.recording.leases import Candidate, Leases, recorder_name
from custos.recording.policy import Backoff, GapReason, release_order, to_release
from custos.recording.recorder import CameraRecorder
from custos.recording.service import (
    CameraFeed,
    Planner,
    SegmentWriter,
    StorageGate,
    active_feeds,
    recorder_actor,
    stop_reasons,
)
from custos.runtime import Runtime
from custos.storage.crypto import SealBuffers

log = logging.getLogger(__name__)


@dataclass
class _Running:
    recorder: CameraRecorder
    thread: threading.Thread
    stop: threading.Event


@dataclass
class _Restarts:
    """A camera whose recorder died: how often in a row, and when it may start again."""

    count: int
    not_before: float  # time.monotonic()


class RecordingSupervisor:
    """Reconciles running recorders with the registry every `poll_seconds`, and reports them.

    It restarts a recorder that died with back-off, writes every recorder's status row on each
    round (the heartbeat health pages read), and no exception ends it: a registry it cannot
    read leaves the running recorders as they are until the next round.
    """

    def __init__(
        self,
        runtime: Runtime,
        planner: Planner,
        gate: StorageGate,
        *,
        poll_seconds: float | None = None,
        recorder_factory: Callable[[CameraFeed, SegmentWriter, threading.Event], CameraRecorder]
        | None = None,
        restart_backoff: Backoff | None = None,
        name: str | None = None,
    ) -> None:
        self._runtime = runtime
        self._planner = planner
        self._gate = gate
        # Ciphertext memory for all its cameras: few segments are in flight at any moment.
        self._buffers = SealBuffers(keep=8)
        settings = runtime.settings
        self.leases = Leases(
            runtime.sessions,
            runtime.clock,
            recorder_actor(),
            name=name or recorder_name(),
            capacity=settings.recorder_capacity,
            ttl=timedelta(seconds=settings.lease_seconds),
        )
        # A lease is renewed three times in its life, so one late round loses nothing.
        self._poll = poll_seconds or settings.lease_seconds / 3
        spool_bytes = int(runtime.settings.spool_megabytes * 1024 * 1024)
        self._factory = recorder_factory or (
            lambda feed, writer, stop: CameraRecorder(
                feed, writer, runtime.clock, stop, spool_bytes=spool_bytes, taps=runtime.taps
            )
        )
        self._restart_backoff = restart_backoff or Backoff(first=1.0, cap=60.0)
        self._running: dict[int, _Running] = {}
        self._restarts: dict[int, _Restarts] = {}
        self._takeovers: dict[int, GapReason] = {}  # claimed, with why their time line broke
        self._writer = self._new_writer(None)
        self.finished: list[CameraRecorder] = []

    @property
    def recorders(self) -> list[CameraRecorder]:
        """The recorders running now."""
        return [running.recorder for running in self._running.values()]

    def run(self, stop: threading.Event, duration: float | None = None) -> None:
        """Record until `stop` is set or `duration` seconds have passed; then seal and stop."""
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while not stop.is_set():
                self._round()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                stop.wait(self._poll if remaining is None else min(self._poll, remaining))
        finally:
            self.stop_all()

    def _round(self) -> None:
        try:
            self.reconcile()
        except Exception:
            # The registry cannot be read now (a database outage, say): the recorders
            # already running go on, and the next round tries again.
            log.exception("cannot read the camera registry; recorders keep running")
        try:
            self.report()
        except Exception as error:
            log.warning("cannot write the recorders' status: %s", error)

    def reconcile(self) -> None:
        """Renew and claim leases; start recorders for the active cameras held, stop the others."""
        held = self.leases.renew()
        for camera_id in [c for c in self._running if c not in held]:
            # Another recorder holds it now: its writes are refused, so it just stops.
            log.warning("lost the lease of %s", self._running[camera_id].recorder.feed.name)
            self._stop(camera_id, GapReason.RECORDER_FAILED_OVER)
        with self._runtime.sessions() as session:
            active = {feed.id: feed for feed in active_feeds(session)}
            stopped = stop_reasons(session)
        candidates = [Candidate(f.id, f.name, f.priority) for f in active.values()]
        share = self.leases.share(len(candidates))
        for claim in self.leases.claim(candidates, len(held.keys() & active.keys()), share):
            held[claim.camera_id] = claim.epoch
            self._restarts.pop(claim.camera_id, None)
            if claim.reason is not None:
                self._takeovers[claim.camera_id] = claim.reason
        wanted = {camera_id: feed for camera_id, feed in active.items() if camera_id in held}
        # Holding more than its share (another recorder joined): let one camera go a round.
        excess = to_release(len(wanted), share)
        for camera_id in release_order((c, f.priority) for c, f in wanted.items())[:excess]:
            log.info("handing %s over to a recorder with fewer cameras", wanted[camera_id].name)
            del wanted[camera_id]
        names = {camera_id: r.recorder.feed.name for camera_id, r in self._running.items()}
        for camera_id, running in list(self._running.items()):
            feed = wanted.get(camera_id)
            if feed is None and camera_id in held and camera_id in active:
                self._stop(camera_id, GapReason.RECORDER_HANDED_OVER)
            elif not running.thread.is_alive():
                log.error("recorder of %s ended unexpectedly", running.recorder.feed.name)
                self._running.pop(camera_id)
                self.finished.append(running.recorder)
                previous = self._restarts.get(camera_id)
                count = previous.count + 1 if previous else 0
                delay = self._restart_backoff.delay(count)
                self._restarts[camera_id] = _Restarts(count, time.monotonic() + delay)
            elif feed is None:
                self._stop(camera_id, stopped.get(camera_id, GapReason.CAMERA_SUSPENDED))
            elif feed != running.recorder.feed:
                self._stop(camera_id, GapReason.CAMERA_CHANGED)
                self._start(feed, held[camera_id], GapReason.CAMERA_CHANGED)
        for camera_id, feed in wanted.items():
            if camera_id in self._running:
                continue
            restarts = self._restarts.get(camera_id)
            if restarts is None:
                self._start(feed, held[camera_id], self._takeovers.pop(camera_id, None))
            elif time.monotonic() >= restarts.not_before:
                log.info("restarting the recorder of %s", feed.name)
                self._start(feed, held[camera_id], GapReason.RECORDER_RESTARTED)
        for camera_id in list(self._restarts):
            if camera_id not in wanted:
                del self._restarts[camera_id]
        # Cameras held but not recorded here any more (no longer active, or handed over for
        # balance; their recorders stopped above) go back.
        self.leases.release(
            (camera_id, names.get(camera_id, str(camera_id)))
            for camera_id in held
            if camera_id not in wanted
        )

    def report(self) -> None:
        """Write the status of every running recorder (its heartbeat)."""
        reports = []
        for camera_id, running in self._running.items():
            if not running.recorder.spool.resumed.is_set():
                continue  # its predecessor's last status is still to be read
            reports.append(running.recorder.status())
            restarts = self._restarts.get(camera_id)
            if restarts is not None and running.recorder.segments_stored:
                del self._restarts[camera_id]  # it records again: the next death starts afresh
        self._writer.write_statuses(reports)

    def _new_writer(self, epoch: int | None) -> SegmentWriter:
        return SegmentWriter(
            self._runtime.sessions,
            self._runtime.clock,
            self._runtime.sealer,
            self._runtime.blobs,
            self._planner,
            self._gate,
            holder=self.leases.name,
            epoch=epoch,
            buffers=self._buffers,
        )

    def _start(self, feed: CameraFeed, epoch: int, reason: GapReason | None = None) -> None:
        stop = threading.Event()
        recorder = self._factory(feed, self._new_writer(epoch), stop)
        thread = threading.Thread(
            target=_run, args=(recorder, reason), name=f"recorder-{feed.name}", daemon=True
        )
        self._running[feed.id] = _Running(recorder, thread, stop)
        thread.start()
        log.info("recording %s", feed.name, extra={"camera": feed.name})

    def _stop(self, camera_id: int, reason: GapReason) -> None:
        running = self._running.pop(camera_id)
        running.recorder.stop_reason = reason
        running.stop.set()
        running.thread.join(timeout=90)
        self.finished.append(running.recorder)

    def stop_all(self) -> None:
        """Stop every recorder; each seals the segment it has in progress and stores what it can.

        Then every camera is let go at once, for another recorder to claim.
        """
        # With other recorders running, they take the cameras over; else the system stops.
        why = GapReason.SYSTEM_NOT_RUNNING
        if self._running:
            try:
                if self.leases.live().keys() - {self.leases.name}:
                    why = GapReason.RECORDER_HANDED_OVER
            except Exception as error:
                log.warning("cannot read the other recorders: %s", error)
        for running in self._running.values():
            running.recorder.stop_reason = why
            running.stop.set()
        names = {
            camera_id: running.recorder.feed.name for camera_id, running in self._running.items()
        }
        for camera_id in list(self._running):
            self._stop(camera_id, why)
        try:
            held = self.leases.renew()
            self.leases.release((c, names.get(c, str(c))) for c in held)
            self.leases.retire()
        except Exception as error:
            log.warning("cannot let the cameras go (they go when the leases run out): %s", error)


def _run(recorder: CameraRecorder, reason: GapReason | None) -> None:
    """Run a recorder; if a bug ends it, say so in the log (the supervisor restarts it)."""
    try:
        recorder.run(reason)
    except Exception:
        log.exception("the recorder of %s died", recorder.feed.name)
