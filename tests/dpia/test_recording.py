"""A recording camera whose assessment runs out is stopped, and its gap says why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from custos import jobs
from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus
from custos.dpia.models import AssessmentVersion
from custos.health import service as health
from custos.recording import service as recording
from custos.runtime import Runtime
from helpers import STANDING_REVIEW, Recording, call_of, register_camera, wait_for


def test_a_camera_stops_with_the_gap_reason_dpia_expired(
    live_runtime: Runtime, clip: Path, recording_of: Callable[[], Recording]
) -> None:
    register_camera(live_runtime, "loop", str(clip), segment_seconds=2)
    with recording_of() as run:
        wait_for(lambda: len(run.segments("loop")) >= 1, 20, "the first segment")
        with live_runtime.sessions() as session:  # time passes: the review is long overdue
            session.execute(
                sa.update(AssessmentVersion).values(
                    review_by=live_runtime.clock.now() - timedelta(days=31)
                )
            )
            session.commit()
        jobs.evaluate_health(live_runtime)

        def stopped() -> bool:
            with live_runtime.sessions() as session:
                rows = health.camera_health(session, health.limits_of(60), live_runtime.clock.now())
            return rows[0].reason == "DPIA expired"

        wait_for(stopped, 20, "the recorder to stop for the expired assessment")
        with live_runtime.sessions() as session:
            (row,) = health.camera_health(session, health.limits_of(60), live_runtime.clock.now())
            alerts = health.active_alerts(session, health.DPIA_OVERDUE)
        assert (row.state.value, row.reason) == ("suspended", "DPIA expired")
        assert [a.subject for a in alerts] == ["DPIA-0"]

        with live_runtime.sessions() as session:  # reviewed: recording resumes
            session.execute(sa.update(AssessmentVersion).values(review_by=STANDING_REVIEW))
            session.commit()
            cameras.set_status(call_of(session, live_runtime.clock), "loop", CameraStatus.ACTIVE)
        before = len(run.segments("loop"))
        wait_for(lambda: len(run.segments("loop")) > before, 20, "recording to resume")
    with live_runtime.sessions() as session:
        ((gap, _camera),) = recording.list_gaps(session)
    assert gap.reason == "DPIA expired"
