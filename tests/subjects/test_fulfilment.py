"""A person's request for the footage of themselves carried to the end over a recorded scene of
two real faces: received, assigned by the data protection officer to an investigator in a
subject-access case, asked for by the investigator, approved by someone else, the person's
track named, exported to the person alone with the other face masked, and recorded as
fulfilled, which closes the case. The officer never reaches the footage; every step is
audited."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import av
import pytest
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.policy import GrantState, Window
from custos.cases import service as cases
from custos.cases.policy import CaseKind
from custos.clock import FrozenClock
from custos.context import Actor
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound
from custos.exports import making, verifier
from custos.exports import service as exports
from custos.exports.policy import Span
from custos.jobs import prepare_once
from custos.permissions import Role
from custos.recording.media import SegmentFile
from custos.redaction.choices import FACE_THRESHOLD
from custos.redaction.detectors import CenterFace
from custos.runtime import Runtime
from custos.subjects import service
from custos.subjects.policy import Asked, Status
from custos.users import service as users
from helpers import APPROVER, CHEAP_PASSWORDS, INVESTIGATOR, audit_events, call_of

DANA = Actor("dana", "dpo")


def _received(db: Session, clock: FrozenClock) -> str:
    asked = Asked(
        clock.now() - timedelta(minutes=30), "in_person", "ID card shown at the desk",
        "the lobby, an hour ago, on the left of the door", "post to the address on the ID card",
    )  # fmt: skip
    return service.receive(call_of(db, clock, DANA), asked).reference


def test_a_person_receives_their_own_footage_with_everyone_else_masked(
    db: Session,
    clock: FrozenClock,
    identity: Runtime,
    archive: Callable[..., list[str]],
    two_people: SegmentFile,
    court: int,
    tmp_path: Path,
) -> None:
    runtime = identity
    start = clock.now() - timedelta(hours=1)
    archive("lobby", start, 3, spacing=timedelta(seconds=2), content=two_people)
    for name, role in (("ivan", Role.INVESTIGATOR), ("anna", Role.APPROVER)):
        users.create_user(call_of(db, clock), name=name, role=role, passwords=CHEAP_PASSWORDS)
    reference = _received(db, clock)
    dana = call_of(db, clock, DANA)

    # The officer opens the case for an investigator; nobody else may, nor for another role.
    with pytest.raises(Forbidden, match="only the data protection officer"):
        cases.open_subject_case(call_of(db, clock, INVESTIGATOR), "X-1", "x", "ivan", "r")
    with pytest.raises(InvalidInput, match="not an investigator"):
        service.assign(dana, reference, "anna", "on duty")
    with pytest.raises(InvalidInput, match="no account"):
        service.assign(dana, reference, "nobody", "on duty")
    assigned = service.assign(dana, reference, "ivan", "on duty this week")
    with pytest.raises(Conflict, match="has its case already"):
        service.assign(dana, reference, "ivan", "again")
    case = cases.get_case_by_id(db, assigned.case_id or 0)
    assert (case.reference, case.kind, case.legal_basis) == (
        reference, CaseKind.SUBJECT_ACCESS, "pd-kz-24",
    )  # fmt: skip
    assert [(p.label, p.role.value) for p in cases.persons(db, case)] == [("P1", "other")]
    assert cases.member_names(db, case.id) == {"ivan"}
    ivan = call_of(db, clock, INVESTIGATOR)
    with pytest.raises(Forbidden):  # the case concerns the person who asked, no one else
        cases.add_person(ivan, case.reference, "P2")

    # The investigator asks for the person's times and places; someone else approves.
    filed = access.file_request(
        ivan, case_id=case.id, windows=[Window("lobby", start, start + timedelta(seconds=6))],
        persons=["P1"], purpose="the person's own footage, as they asked",
        justification=f"{reference}: the person says they were in the lobby",
        identification=True, export=True,
    )  # fmt: skip
    with pytest.raises(Forbidden):
        access.approve(ivan, filed.id)
    granted = access.approve(call_of(db, clock, APPROVER), filed.id)
    assert granted is not None
    while prepare_once(runtime, "test-worker"):
        pass

    # The officer never reaches the footage.
    with pytest.raises((Forbidden, NotFound)):
        access.reviewable_grant(dana, granted.id)

    # The investigator names the person's track: the one on the left.
    window = granted.windows[0].id
    tracks = access.window_tracks(ivan, runtime.sealer, granted.id, window).tracks.tracks
    left = min((t for t in tracks if t.kind == "face"), key=lambda t: t.box[0])
    access.link_track(
        ivan, runtime.sealer, granted.id, window, track=left.track, person="P1",
        reason="the person described standing left of the door",
    )  # fmt: skip

    # Their footage goes to them alone.
    key_id = making.export_key(db, runtime).verifier.key_id.hex()
    with pytest.raises(Conflict, match="goes to that person alone"):
        exports.start_export(ivan, runtime.sealer, grant_id=granted.id, spans=[Span(window)],
                             recipient_id=court, export_key_id=key_id)  # fmt: skip
    export, plans = exports.start_export(
        ivan, runtime.sealer, grant_id=granted.id, spans=[Span(window)],
        recipient_id=assigned.recipient_id or 0, export_key_id=key_id,
    )  # fmt: skip
    with pytest.raises(Conflict, match="not ready"):
        service.fulfil(dana, reference, export.id)
    out = tmp_path / "package"
    making.make_package(runtime, INVESTIGATOR, export.id, plans, out)
    db.expire_all()  # sealed in a session of its own
    assert verifier.verify_package(out) == []
    (video,) = json.loads((out / "manifest.json").read_text())["ranges"]
    assert [(p["person"], p["track"]) for p in video["visible_persons"]] == [("P1", left.track)]
    with av.open(str(out / video["file"])) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(frames) == 60
    finder = CenterFace(threshold=FACE_THRESHOLD * 2 / 3)  # below the working threshold
    centres = [[(d.box[0] + d.box[2]) / 2 for d in finder.detect(frame)] for frame in frames]
    assert all(any(x < 320 for x in found) for found in centres)  # the person, in every frame
    assert all(x < 320 for found in centres for x in found)  # and no one else

    # Recorded as fulfilled: the case closes and its grant ends.
    done = service.fulfil(dana, reference, export.id)
    assert (done.status, done.export_id) == (Status.FULFILLED, export.id)
    assert case.status.value == "closed"
    assert access.state_of(db, clock, granted) is GrantState.REVOKED
    with pytest.raises(Conflict, match="was fulfilled already"):
        service.fulfil(dana, reference, export.id)
    [fulfilled] = audit_events(db, event="subject.request_fulfilled")
    assert (fulfilled.details["export"], fulfilled.details["on_time"]) == (export.id, True)
    [assigned_entry] = audit_events(db, event="subject.request_assigned")
    assert assigned_entry.details["investigator"] == "ivan"
    opened = [e for e in audit_events(db, event="case.opened") if e.object_id == reference]
    assert opened[0].details["kind"] == "subject_access"
    assert [e.object_id for e in audit_events(db, event="case.closed")] == [reference]


def test_an_export_of_another_case_or_to_someone_else_does_not_fulfil(
    db: Session, clock: FrozenClock
) -> None:
    users.create_user(
        call_of(db, clock), name="ivan", role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS
    )
    dana = call_of(db, clock, DANA)
    first, second = _received(db, clock), _received(db, clock)
    with pytest.raises(Conflict, match="no case yet"):
        service.fulfil(dana, first, 1)
    service.assign(dana, first, "ivan", "on duty")
    service.refuse(dana, second, "the footage was erased before the request: none is held")
    with pytest.raises(Conflict, match="was refused already"):
        service.assign(dana, second, "ivan", "on duty")
    with pytest.raises(NotFound):
        service.fulfil(dana, first, 999)
