"""Background work, one round at a time: retention sweeps, audit-log checkpoints, health alerts,
idle viewings, and the preparation of granted footage's tracks. `custos.tasks` runs them on the
job queue (`custos worker`, and inside `custos serve`)."""

from __future__ import annotations

import logging
import threading
import time

from custos.access import service as access
from custos.audit import checkpoint as checkpoints
from custos.cameras import service as cameras
from custos.context import SYSTEM, Call
from custos.devices import service as devices
from custos.errors import CustosError
from custos.exports import delivery
from custos.health import service as health
from custos.health.service import Evaluation
from custos.prepared import service as prepared
from custos.recording import service as recording
from custos.retention import emergency, pressure
from custos.retention.sweeper import Sweeper, SweepResult
from custos.runtime import Runtime

log = logging.getLogger(__name__)

# The collection entries a worker writes for stopped recorders are in the recorders' name.
SYSTEM_RECORDER = recording.recorder_actor()


def sign_checkpoint(runtime: Runtime) -> None:
    """Sign a checkpoint if the log grew since the last one."""
    try:
        with runtime.sessions() as session:
            signed = checkpoints.sign_checkpoint(
                session,
                runtime.clock,
                checkpoints.log_signer(session, runtime.log_key),
                only_if_grown=True,
            )
    except CustosError as error:
        # A log that no longer matches its own checkpoints must be looked at by a person.
        log.critical("checkpoint not signed: %s", error.message)
        raise
    if signed is not None:
        log.info("signed checkpoint #%s at %s entries", signed.id, signed.tree_size)


def run_retention(runtime: Runtime) -> SweepResult:
    """One retention round: finish and carry out erasures, relieve storage, erase the data
    copied in device inspections whose time is up, publish sunsets, shred the stored packages
    of exports whose links are used up or expired."""
    sweeper = Sweeper(runtime.sessions, runtime.clock, runtime.blobs, runtime.rules)
    result = sweeper.run()
    if result.erased:
        log.info("retention erased %d segments", result.erased)
    pressure.relieve(
        runtime.sessions,
        runtime.clock,
        runtime.blobs,
        sweeper,
        runtime.policy.profile.storage.free_space_threshold_percent,
    )
    with runtime.sessions() as session:
        devices.sweep(session, runtime.clock, runtime.blobs, runtime.rules)
    with runtime.sessions() as session:
        emergency.publish_sunset_reports(
            session, runtime.clock, runtime.rules, {"device_inspections": devices.sunset_counts}
        )
    with runtime.sessions() as session:
        delivery.shred_used(session, runtime.clock, SYSTEM, runtime.blobs)
    return result


def collect_segments(runtime: Runtime) -> int:
    """Name in the log the segments whose recorder stopped or died before naming them."""
    with runtime.sessions() as session:
        count = recording.collect_overdue(session, runtime.clock, SYSTEM_RECORDER)
    if count:
        log.info("collected %d segments a stopped recorder left unnamed", count)
    return count


# How often the health round looks for cameras down past the threshold, and their recovery.
HEALTH_SECONDS = 10.0


def evaluate_health(runtime: Runtime) -> Evaluation:
    """One health round: suspend the cameras no impact assessment lets record any longer,
    alert on assessments past their review date and on breaches not notified in time, raise
    the alerts of cameras down too long and clear those that recover (the cameras' alerts are
    returned)."""
    limits = health.limits_of(runtime.settings.camera_down_alert_seconds)
    with runtime.sessions() as session:
        call = Call(session, runtime.clock, SYSTEM, runtime.policy.profile)
        for name in cameras.enforce_assessments(call):
            log.critical("camera %s suspended: no current impact assessment covers it", name)
        for reference in health.evaluate_assessment_alerts(call).raised:
            log.critical("impact assessment %s is past its review date: alert raised", reference)
        for reference in health.evaluate_breach_alerts(call).raised:
            log.critical("breach %s: the notice to the authority is overdue", reference)
        for reference in health.evaluate_subject_request_alerts(call).raised:
            log.warning("data-subject request %s is due within a day, or late", reference)
        result = health.evaluate_alerts(call, limits)
    for camera in result.raised:
        log.critical("camera %s is down past the threshold: alert raised", camera)
    for camera in result.cleared:
        log.info("camera %s: alert cleared", camera)
    return result


# How long a worker with nothing to prepare waits before it looks again.
PREPARE_IDLE_SECONDS = 1.0


def prepare_once(runtime: Runtime, worker: str) -> bool:
    """Prepare the most urgent segment of any live grant; whether there was one."""
    with runtime.sessions() as session:
        call = Call(session, runtime.clock, SYSTEM, runtime.policy.profile)
        scopes = access.scopes_to_prepare(call)
        claimed = prepared.claim(session, runtime.clock, worker, scopes) if scopes else None
    if claimed is None:
        return False
    prepared.prepare(
        runtime.sessions, runtime.clock, runtime.sealer, runtime.blobs, runtime.detectors, claimed
    )
    return True


def prepare_tracks(
    runtime: Runtime, stop: threading.Event, worker: str, seconds: float | None = None
) -> None:
    """Prepare granted footage's tracks, most urgent first, until `stop` is set, or for
    `seconds` (then the segment in hand is finished first)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        try:
            if not prepare_once(runtime, worker):
                if deadline is not None:
                    return  # nothing to prepare: the queue asks again soon
                stop.wait(PREPARE_IDLE_SECONDS)
        except Exception:
            log.exception("preparing tracks failed; trying again shortly")
            stop.wait(PREPARE_IDLE_SECONDS)


# How often the viewings left open by players nobody closed are looked for.
VIEWINGS_SECONDS = 60.0


def close_idle_viewings(runtime: Runtime) -> None:
    """Close the viewings idle past their limit."""
    with runtime.sessions() as session:
        call = Call(session, runtime.clock, SYSTEM, runtime.policy.profile)
        closed = access.close_idle_viewings(call)
    if closed:
        log.info("closed %d idle viewings", closed)
