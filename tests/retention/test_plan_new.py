"""A new segment's plan: the one query that asks whether anything bears on it agrees with the
full facts, for every camera and window around an incident, a hold and a state of emergency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.cameras.models import Camera
from custos.clock import FrozenClock
from custos.profile import Rules
from custos.retention import emergency, holds, incidents
from custos.retention.policy import Reason, SegmentFacts
from custos.retention.service import decide, decide_new, load_facts
from helpers import call_of

RULES = Rules(
    default=timedelta(days=30),
    incident=timedelta(days=2557),
    pad_before=timedelta(minutes=2),
    pad_after=timedelta(minutes=3),
)


def test_a_new_segments_plan_agrees_with_the_full_facts(
    db: Session, clock: FrozenClock, archive: Callable[..., list[str]]
) -> None:
    start = clock.now() - timedelta(hours=8)
    archive("gate", start, 1)
    archive("yard", start, 1, region="North")
    call = call_of(db, clock)
    hour = timedelta(hours=1)
    marked = (start + hour, start + hour + timedelta(seconds=30))
    incidents.mark(
        call,
        cameras=["gate"],
        start=marked[0],
        end=marked[1],
        description="a fall on the steps",
        reference="log 7",
        justification="evidence",
        offence=True,
    )
    held = (start + 3 * hour, start + 3 * hour + timedelta(seconds=30))
    holds.place_hold(call, case_ref="C-1", scopes=[holds.Scope("yard", *held)], reason="evidence")
    declared = (start + 5 * hour, start + 6 * hour)
    emergency.declare(call, regions=["North"], start=declared[0], end=declared[1], decree_ref="1")
    boundaries = [
        marked[0] - RULES.pad_before,
        marked[1] + RULES.pad_after,
        *held,
        *declared,
    ]
    steps = [timedelta(seconds=s) for s in (-11, -10, -1, 0, 1, 10)]
    cameras = db.execute(sa.select(Camera.id, Camera.region)).all()
    reasons = set()
    for camera_id, region in cameras:
        for boundary in boundaries:
            for step in steps:
                begins = boundary + step
                segment = SegmentFacts(
                    camera_id, begins, begins + timedelta(seconds=10), None, region
                )
                full = load_facts(db, [camera_id], segment.started_at, segment.ended_at, RULES)
                decided = decide_new(db, segment, RULES)
                assert decided == decide(full, segment, RULES), (camera_id, begins)
                reasons.add(decided.reason)
    assert reasons == {Reason.DEFAULT, Reason.INCIDENT, Reason.LEGAL_HOLD, Reason.EMERGENCY_SUNSET}
