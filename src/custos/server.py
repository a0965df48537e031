"""The composition root: builds the web app, the recorders and the background jobs, and starts them.

`custos serve`, `custos demo`, `custos record` and `custos worker` call in here once they have a
runtime; nothing else starts threads or a web server. The web app and uvicorn are imported only
when serving.
"""

from __future__ import annotations

import os
import signal
import socket
import threading

from custos.context import Actor, Call
from custos.demo import first_admin_password, register_demo_cameras
from custos.logs import configure_logging
from custos.recording.recorder import CameraRecorder
from custos.recording.supervisor import RecordingSupervisor
from custos.retention.pressure import RECORDER_GATE_SECONDS, ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.tasks import Queue


def recorders(runtime: Runtime) -> RecordingSupervisor:
    """The recorders, whose segments retention plans and whose storage retention may close."""
    gate = ExhaustionGate(keep_for=RECORDER_GATE_SECONDS)
    return RecordingSupervisor(runtime, SegmentPlanner(runtime.rules), gate)


def serve(runtime: Runtime, host: str, port: int, *, record: bool, work: bool = True) -> None:
    """Run the web server and, if asked, the recorders and a worker of the job queue."""
    import uvicorn

    from custos.web.app import create_app

    configure_logging(runtime.settings.log_format)
    stop = threading.Event()
    recording = threading.Thread(
        target=recorders(runtime).run, args=(stop,), name="recording", daemon=True
    )
    if record:
        recording.start()
    working = threading.Thread(
        target=Queue(runtime, worker_name("serve")).consume, args=(stop,), name="jobs", daemon=True
    )
    if work:
        working.start()
    try:
        uvicorn.run(
            create_app(runtime),
            host=host,
            port=port,
            log_config=None,
            proxy_headers=False,
            server_header=False,
        )
    finally:
        stop.set()
        if record:
            recording.join(timeout=120)
        if work:
            working.join(timeout=60)


def worker_name(role: str) -> str:
    """How a worker names itself in its claims: host, process and role."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}"


def work(runtime: Runtime, duration: float | None = None) -> None:
    """Work the job queue in the foreground until `duration`, Ctrl-C or SIGTERM."""
    configure_logging(runtime.settings.log_format)
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    timer = threading.Timer(duration, stop.set) if duration is not None else None
    if timer is not None:
        timer.start()
    try:
        Queue(runtime, worker_name("worker")).consume(stop)
    finally:
        if timer is not None:
            timer.cancel()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def record(runtime: Runtime, duration: float | None = None) -> list[CameraRecorder]:
    """Record every active camera in the foreground until `duration` passes, Ctrl-C or SIGTERM.

    Returns the recorders that ran; each has sealed the segment it had in progress.
    """
    configure_logging(runtime.settings.log_format)
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    supervisor = recorders(runtime)
    try:
        supervisor.run(stop, duration=duration)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return supervisor.finished


def prepare_demo(runtime: Runtime, actor: Actor) -> str | None:
    """Register the demo cameras that are missing; returns the first admin's sign-in password.

    That is the one-time password `custos init` wrote down, or None once it has been changed.
    """
    with runtime.sessions() as session:
        register_demo_cameras(
            Call(session, runtime.clock, actor, runtime.policy.profile), runtime.settings
        )
        return first_admin_password(session, runtime.settings, runtime.passwords)
