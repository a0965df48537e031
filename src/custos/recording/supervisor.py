"""Keeps one recorder thread per active camera, and stops the recorders of cameras that are not."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from custos.recording.recorder import CameraRecorder
from custos.recording.service import (
    CameraFeed,
    Planner,
    SegmentWriter,
    StorageGate,
    active_feeds,
)
from custos.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class _Running:
    recorder: CameraRecorder
    thread: threading.Thread
    stop: threading.Event


class RecordingSupervisor:
    """Reconciles running recorders with the registry every `poll_seconds`."""

    def __init__(
        self,
        runtime: Runtime,
        planner: Planner,
        gate: StorageGate,
        *,
        poll_seconds: float = 5.0,
        recorder_factory: Callable[[CameraFeed, SegmentWriter, threading.Event], CameraRecorder]
        | None = None,
    ) -> None:
        self._runtime = runtime
        self._planner = planner
        self._gate = gate
        self._poll = poll_seconds
        self._factory = recorder_factory or (
            lambda feed, writer, stop: CameraRecorder(feed, writer, runtime.clock, stop)
        )
        self._running: dict[int, _Running] = {}
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
                try:
                    self.reconcile()
                except Exception:
                    # The registry cannot be read now (a database outage, say): the recorders
                    # already running go on, and the next round tries again.
                    log.exception("cannot read the camera registry; recorders keep running")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                stop.wait(self._poll if remaining is None else min(self._poll, remaining))
        finally:
            self.stop_all()

    def reconcile(self) -> None:
        """Start recorders for new or changed active cameras; stop the others."""
        with self._runtime.sessions() as session:
            wanted = {feed.id: feed for feed in active_feeds(session)}
        for camera_id, running in list(self._running.items()):
            feed = wanted.get(camera_id)
            if feed != running.recorder.feed or not running.thread.is_alive():
                if not running.thread.is_alive():
                    log.error(
                        "recorder of %s ended unexpectedly; restarting", running.recorder.feed.name
                    )
                self._stop(camera_id)
        for camera_id, feed in wanted.items():
            if camera_id not in self._running:
                self._start(feed)

    def _start(self, feed: CameraFeed) -> None:
        stop = threading.Event()
        writer = SegmentWriter(
            self._runtime.sessions,
            self._runtime.clock,
            self._runtime.sealer,
            self._runtime.blobs,
            self._planner,
            self._gate,
        )
        recorder = self._factory(feed, writer, stop)
        thread = threading.Thread(target=recorder.run, name=f"recorder-{feed.name}", daemon=True)
        self._running[feed.id] = _Running(recorder, thread, stop)
        thread.start()
        log.info("recording %s", feed.name, extra={"camera": feed.name})

    def _stop(self, camera_id: int) -> None:
        running = self._running.pop(camera_id)
        running.stop.set()
        running.thread.join(timeout=60)
        self.finished.append(running.recorder)

    def stop_all(self) -> None:
        """Stop every recorder; each seals the segment it has in progress."""
        for running in self._running.values():
            running.stop.set()
        for camera_id in list(self._running):
            self._stop(camera_id)
