"""Access requests, decisions, grants and review, against a real database and real footage."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import timedelta

import av
import pytest
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from custos.access import service as access
from custos.access.models import AccessRequest, Grant
from custos.access.policy import GrantState, RequestStatus, Window
from custos.audit.policy import Action, Outcome
from custos.cases import service as cases
from custos.cases.policy import PersonRole
from custos.clock import FrozenClock
from custos.context import Actor, Call
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound, PolicyViolation
from custos.permissions import Role
from custos.redaction.cache import DetectorCache
from custos.redaction.detectors import Detection, Detector, Frame
from custos.redaction.pipeline import Options
from custos.redaction.service import Rendered
from custos.retention import holds
from custos.runtime import Runtime
from helpers import TransactionProbe, audit_events, call_of, investigator

from .conftest import APPROVER, INVESTIGATOR, Scene

Filer = Callable[..., AccessRequest]
Granter = Callable[..., Grant]


def _view(db: Session, runtime: Runtime, grant: Grant, segment: str, **extra: object) -> Rendered:
    """The investigator's view of `segment` through the grant's first window."""
    return access.view(
        call_of(db, runtime.clock, INVESTIGATOR),
        runtime.sealer,
        runtime.blobs,
        detectors=runtime.detectors,
        grant_id=grant.id,
        window_id=grant.windows[0].id,
        segment_id=segment,
        **extra,  # type: ignore[arg-type]
    )


def _frames(data: bytes) -> int:
    with av.open(io.BytesIO(data)) as container:
        return sum(1 for _ in container.decode(video=0))


# --- requests ---------------------------------------------------------------------------------


def test_a_request_is_filed_and_audited_with_its_case(
    db: Session, file: Filer, scene: Scene
) -> None:
    filed = file()
    assert (filed.status, filed.persons, filed.strict) == (RequestStatus.PENDING, ["P1"], False)
    (entry,) = audit_events(db, event="access.requested")
    assert (entry.case_ref, entry.legal_basis, entry.recipient) == (
        scene.reference,
        "cpc-kz-199",
        INVESTIGATOR.name,
    )
    assert entry.justification == "witness places P1 in the hall at the time"


def test_a_request_over_a_limit_is_refused_naming_it_and_the_refusal_is_audited(
    db: Session, file: Filer, scene: Scene
) -> None:
    too_long = Window(scene.camera, scene.start - timedelta(hours=30), scene.start)
    with pytest.raises(PolicyViolation, match="the limit is 24 h per window"):
        file([too_long])
    (entry,) = audit_events(db, event="access.request_refused")
    assert entry.outcome == Outcome.DENIED
    assert "24 h per window" in entry.details["problems"][0]
    assert access.list_requests(db, APPROVER) == []


def test_a_minor_named_in_the_request_brings_the_stricter_limits_one_elsewhere_does_not(
    ivan: Call, file: Filer, scene: Scene
) -> None:
    five_hours = Window(scene.camera, scene.start - timedelta(hours=5), scene.start)
    assert file([five_hours]).strict is False
    cases.add_person(ivan, scene.reference, "P2", minor=True)
    about_p1 = file([five_hours])  # the minor is in the case, not in the request
    assert about_p1.strict is False
    with pytest.raises(
        PolicyViolation, match=r"limit is 4 h per window \(stricter rules: P2 is a minor\)"
    ):
        file([five_hours], persons=["P1", "P2"])
    assert file([scene.window()], persons=["P2"]).strict is True


def test_a_sensitive_site_brings_the_stricter_limits(
    archive: Callable[..., list[str]], file: Filer, scene: Scene
) -> None:
    archive("school-gate", scene.start, 1, tags=("school",))
    five_hours = Window("school-gate", scene.start - timedelta(hours=5), scene.start)
    with pytest.raises(PolicyViolation, match="camera school-gate is a school"):
        file([five_hours])


def test_a_request_concerns_persons_of_the_case_still_under_suspicion(
    ivan: Call, file: Filer, scene: Scene
) -> None:
    with pytest.raises(InvalidInput, match="name the persons"):
        file(persons=[])
    with pytest.raises(InvalidInput, match="P7"):
        file(persons=["P7"])
    with pytest.raises(InvalidInput, match="say why"):
        file(justification=" ")
    cases.add_person(ivan, scene.reference, "P2")
    access.clear_person(ivan, scene.reference, "P2", "alibi")
    with pytest.raises(InvalidInput, match="P2"):
        file(persons=["P2"])
    access.close_case(ivan, scene.reference, "verdict")
    with pytest.raises(Conflict, match="closed"):
        file()


# --- decisions --------------------------------------------------------------------------------


def test_nobody_approves_or_refuses_their_own_request(
    db: Session, clock: FrozenClock, file: Filer
) -> None:
    filed = file()
    # Dual control holds on the names: ivan, made an approver since he filed, decides nothing.
    promoted = Actor(INVESTIGATOR.name, "approver", client_address="127.0.0.1")
    with pytest.raises(Forbidden, match="someone other"):
        access.approve(call_of(db, clock, promoted), filed.id)
    with pytest.raises(Forbidden, match="someone other"):
        access.refuse(call_of(db, clock, promoted), filed.id, "not needed")
    assert access.get_request(db, filed.id).status == RequestStatus.PENDING


def test_export_is_granted_only_where_it_was_sought_and_the_approver_may_withhold_it(
    db: Session, clock: FrozenClock, file: Filer
) -> None:
    watched_here = file()
    assert not watched_here.export
    with pytest.raises(InvalidInput, match="export was not asked"):
        access.approve(call_of(db, clock, APPROVER), watched_here.id, export=True)
    assert not access.approve(call_of(db, clock, APPROVER), watched_here.id).export
    sought = file(export=True)
    (filed,) = audit_events(db, event="access.requested", object_id=str(sought.id))
    assert filed.details["export"] is True
    withheld = file(export=True)
    assert access.approve(call_of(db, clock, APPROVER), sought.id).export
    assert not access.approve(call_of(db, clock, APPROVER), withheld.id, export=False).export
    decisions = audit_events(db, event="access.approved")
    assert [entry.details["export"] for entry in decisions] == [False, True, False]


def test_an_approval_may_narrow_but_never_widen(
    db: Session, clock: FrozenClock, file: Filer, scene: Scene
) -> None:
    filed = file(identification=False)
    with pytest.raises(InvalidInput, match="outside what was asked"):
        access.approve(call_of(db, clock, APPROVER), filed.id, windows=[scene.window(-5, 30)])
    with pytest.raises(InvalidInput, match="identification was not asked"):
        access.approve(call_of(db, clock, APPROVER), filed.id, identification=True)
    with pytest.raises(InvalidInput, match="at most 14 days"):
        access.approve(call_of(db, clock, APPROVER), filed.id, days=20)
    granted = access.approve(
        call_of(db, clock, APPROVER), filed.id, windows=[scene.window(0, 12)], days=2
    )
    assert access.windows_of(db, granted.windows) == [scene.window(0, 12)]
    assert granted.expires_at == clock.now() + timedelta(days=2)
    assert (granted.holder, granted.granted_by) == (INVESTIGATOR.name, APPROVER.name)
    (entry,) = audit_events(db, event="access.approved")
    assert (entry.grant_ref, entry.recipient, entry.details["narrowed"]) == (
        granted.reference,
        INVESTIGATOR.name,
        True,
    )
    with pytest.raises(Conflict, match="approved already"):
        access.refuse(call_of(db, clock, APPROVER), filed.id, "changed my mind")


def test_a_grant_lasts_as_long_as_the_policy_says_and_the_stricter_rules_shorten_it(
    ivan: Call, clock: FrozenClock, grant: Granter, scene: Scene
) -> None:
    assert grant().expires_at == clock.now() + timedelta(days=14)
    cases.add_person(ivan, scene.reference, "P2", vulnerable=True)
    assert grant().expires_at == clock.now() + timedelta(days=14)  # P2 not named
    assert grant({"persons": ["P2"]}).expires_at == clock.now() + timedelta(days=7)


def test_a_refusal_needs_a_reason_and_is_told_to_the_requester(
    db: Session, clock: FrozenClock, file: Filer
) -> None:
    filed = file()
    with pytest.raises(InvalidInput, match="needs a reason"):
        access.refuse(call_of(db, clock, APPROVER), filed.id, "  ")
    refused = access.refuse(call_of(db, clock, APPROVER), filed.id, "the window is not justified")
    assert (refused.status, refused.decision_reason) == (
        RequestStatus.REFUSED,
        "the window is not justified",
    )
    (entry,) = audit_events(db, event="access.refused")
    assert (entry.recipient, entry.justification) == (
        INVESTIGATOR.name,
        "the window is not justified",
    )


def test_an_approval_with_a_hold_keeps_the_footage_once_per_person(
    ivan: Call, db: Session, grant: Granter, scene: Scene
) -> None:
    cases.add_person(ivan, scene.reference, "P2")
    granted = grant({"persons": ["P1", "P2"]}, hold=True)
    placed = holds.list_holds(db)
    assert sorted(h.person_ref or "" for h in placed) == ["P1", "P2"]
    assert {h.case_ref for h in placed} == {scene.reference}
    assert granted.hold_id in {h.id for h in placed}


# --- grant states -----------------------------------------------------------------------------


def test_a_grant_is_live_until_it_expires_is_revoked_or_its_case_closes(
    ivan: Call, db: Session, clock: FrozenClock, grant: Granter, scene: Scene
) -> None:
    first = grant(days=1)
    assert access.state_of(db, clock, first) == GrantState.LIVE
    clock.advance(timedelta(days=1))
    assert access.state_of(db, clock, first) == GrantState.EXPIRED
    second = grant()
    with pytest.raises(InvalidInput, match="say why"):
        access.revoke_grant(call_of(db, clock, APPROVER), second.id, "")
    access.revoke_grant(call_of(db, clock, APPROVER), second.id, "the suspect confessed")
    assert access.state_of(db, clock, second) == GrantState.REVOKED
    with pytest.raises(Conflict, match="revoked already"):
        access.revoke_grant(call_of(db, clock, APPROVER), second.id, "again")
    third = grant()
    ended = access.close_case(ivan, scene.reference, "verdict")
    # The expired grant is revoked too: nothing can bring it back to life.
    assert ended.grants_revoked == [first.id, third.id]
    assert access.state_of(db, clock, third) == GrantState.REVOKED
    assert len(audit_events(db, event="grant.revoked")) == 3


def test_clearing_a_person_revokes_only_the_grants_that_name_them(
    ivan: Call, db: Session, clock: FrozenClock, grant: Granter, scene: Scene
) -> None:
    cases.add_person(ivan, scene.reference, "P2")
    theirs = grant({"persons": ["P1", "P2"]})
    others = grant({"persons": ["P2"]})
    ended = access.clear_person(ivan, scene.reference, "P1", "alibi")
    assert ended.grants_revoked == [theirs.id]
    assert access.state_of(db, clock, theirs) == GrantState.REVOKED
    assert access.state_of(db, clock, others) == GrantState.LIVE
    (entry,) = audit_events(db, event="grant.revoked")
    assert (entry.grant_ref, entry.justification) == (theirs.reference, "P1 cleared: alibi")


# --- review -----------------------------------------------------------------------------------


def test_footage_lists_the_pieces_inside_each_window(
    db: Session, clock: FrozenClock, grant: Granter, scene: Scene
) -> None:
    granted = grant({"windows": [scene.window(1, 15)]})
    (window,) = access.footage(call_of(db, clock, INVESTIGATOR), granted.id)
    assert [p.segment for p in window.pieces] == scene.segments[:2]
    first, second = window.pieces
    assert (first.start, first.end) == (
        scene.start + timedelta(seconds=1),
        scene.start + timedelta(seconds=2),
    )
    assert second.end == scene.start + timedelta(seconds=12)


def test_a_view_is_masked_and_audited_as_a_consult(
    db: Session, runtime: Runtime, grant: Granter, scene: Scene
) -> None:
    granted = grant()
    rendered = _view(db, runtime, granted, scene.segments[0])
    tracks = rendered.record["tracks"]
    assert tracks
    assert not any(t["visible"] for t in tracks)
    assert _frames(rendered.data) == 20
    (entry,) = audit_events(db, event="footage.viewed")
    assert entry.action == Action.CONSULT
    assert (entry.case_ref, entry.grant_ref, entry.legal_basis, entry.recipient) == (
        scene.reference,
        granted.reference,
        "cpc-kz-199",
        INVESTIGATOR.name,
    )
    assert entry.justification == "witness places P1 in the hall at the time"
    assert entry.details["masked_tracks"] == len(tracks)


def test_no_transaction_is_open_while_a_view_is_rendered(
    db: Session, runtime: Runtime, grant: Granter, scene: Scene
) -> None:
    granted = grant()
    probe = TransactionProbe(db)
    rendered = access.view(
        call_of(db, runtime.clock, INVESTIGATOR),
        runtime.sealer,
        runtime.blobs,
        detectors=probe,
        grant_id=granted.id,
        window_id=granted.windows[0].id,
        segment_id=scene.segments[0],
    )
    assert probe.seen, "the detectors never ran"
    assert not any(probe.seen), "a transaction was open while the clip was masked"
    (entry,) = audit_events(db, event="footage.viewed")
    assert entry.details["masked_tracks"] == len(rendered.record["tracks"])


class _Paused(DetectorCache):
    """Real detectors, the first frame held until the test lets the render go on.

    While held, it notes whether the viewer's session or the shared test connection has a
    transaction of its own open.
    """

    def __init__(self, session: Session, connection: Connection) -> None:
        super().__init__()
        self.session = session
        self.connection = connection
        self.reached = threading.Event()
        self.go_on = threading.Event()
        self.open_while_held: tuple[bool, bool] | None = None
        self._first = threading.Lock()

    def get(self, options: Options, threads: int) -> list[Detector]:
        """The real detectors, each behind the gate."""
        return [_Gated(detector, self) for detector in super().get(options, threads)]

    def hold(self) -> None:
        """The first caller waits here; later ones pass."""
        if not self._first.acquire(blocking=False):
            return
        self.open_while_held = (
            self.session.in_transaction(),
            self.connection.get_nested_transaction() is not None,
        )
        self.reached.set()
        assert self.go_on.wait(timeout=60), "the test never let the render go on"


class _Gated:
    def __init__(self, detector: Detector, paused: _Paused) -> None:
        self.kind = detector.kind
        self._detector = detector
        self._paused = paused

    def detect(self, frame: Frame) -> list[Detection]:
        self._paused.hold()
        return self._detector.detect(frame)


def test_a_grant_revoked_while_its_clip_is_rendered_refuses_the_view(
    db: Session,
    connection: Connection,
    sessions: sessionmaker[Session],
    clock: FrozenClock,
    runtime: Runtime,
    grant: Granter,
    scene: Scene,
) -> None:
    granted = grant()
    paused = _Paused(db, connection)
    outcome: list[object] = []

    def render() -> None:
        try:
            outcome.append(
                access.view(
                    call_of(db, clock, INVESTIGATOR),
                    runtime.sealer,
                    runtime.blobs,
                    detectors=paused,
                    grant_id=granted.id,
                    window_id=granted.windows[0].id,
                    segment_id=scene.segments[0],
                )
            )
        except Exception as error:  # handed over to the test's thread
            outcome.append(error)

    viewer = threading.Thread(target=render)
    viewer.start()
    try:
        assert paused.reached.wait(timeout=60), "the render never reached its first frame"
        assert paused.open_while_held == (False, False), "a transaction is open mid-render"
        # The approver revokes meanwhile, in a transaction of their own, which commits.
        with sessions() as other:
            access.revoke_grant(call_of(other, clock, APPROVER), granted.id, "the case moved on")
        with sessions() as other:
            assert access.state_of(other, clock, access.get_grant(other, granted.id)) == (
                GrantState.REVOKED
            )
    finally:
        paused.go_on.set()
        viewer.join(timeout=60)
    assert not viewer.is_alive()
    (error,) = outcome
    assert isinstance(error, Forbidden), error
    assert f"grant {granted.reference} is revoked" in str(error)
    (refusal,) = audit_events(db, event="footage.refused")
    assert (refusal.outcome, refusal.actor, refusal.object_id) == (
        Outcome.DENIED,
        INVESTIGATOR.name,
        granted.reference,
    )
    assert refusal.details == {
        "why": f"grant {granted.reference} is revoked",
        "window": str(granted.windows[0].id),
        "segment": scene.segments[0],
    }
    assert [e.object_id for e in audit_events(db, event="grant.revoked")] == [granted.reference]
    assert audit_events(db, event="footage.viewed") == []


def test_only_the_part_inside_the_window_is_rendered(
    db: Session, runtime: Runtime, grant: Granter, scene: Scene
) -> None:
    granted = grant({"windows": [scene.window(0.5, 1.5)]})
    data = _view(db, runtime, granted, scene.segments[0]).data
    assert _frames(data) == 10  # 1 s of a 10 fps segment
    (entry,) = audit_events(db, event="footage.viewed")
    assert (entry.details["from"], entry.details["to"]) == (
        (scene.start + timedelta(seconds=0.5)).isoformat(),
        (scene.start + timedelta(seconds=1.5)).isoformat(),
    )


def test_persons_are_unmasked_only_when_the_grant_allows_it_with_a_reason(
    db: Session, runtime: Runtime, grant: Granter, scene: Scene
) -> None:
    masked_only = grant()
    with pytest.raises(Forbidden, match="does not allow identification"):
        _view(db, runtime, masked_only, scene.segments[0], reveal=[1], reason="it is P1")
    identifying = grant({"identification": True})
    with pytest.raises(InvalidInput, match="needs a reason"):
        _view(db, runtime, identifying, scene.segments[0], reveal=[1])
    rendered = _view(
        db,
        runtime,
        identifying,
        scene.segments[0],
        reveal=[1],
        reason="track 1 is P1, seen by the witness",
    )
    assert [t["track"] for t in rendered.record["tracks"] if t["visible"]] == [1]
    (entry,) = audit_events(db, event="footage.unmasked")
    assert entry.action == Action.DISCLOSE
    assert (entry.grant_ref, entry.recipient, entry.justification) == (
        identifying.reference,
        INVESTIGATOR.name,
        "track 1 is P1, seen by the witness",
    )
    assert entry.details["visible_tracks"] == [1]


def test_footage_outside_a_live_grant_is_refused_and_each_refusal_audited(
    ivan: Call,
    make_user: Callable[..., tuple[str, str]],
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    archive: Callable[..., list[str]],
    grant: Granter,
    scene: Scene,
) -> None:
    granted = grant({"windows": [scene.window(0, 5)]})
    (elsewhere,) = archive("yard", scene.start, 1)
    with pytest.raises(Forbidden, match="outside window"):
        _view(db, runtime, granted, scene.segments[2])  # recorded after the window
    with pytest.raises(Forbidden, match="outside window"):
        _view(db, runtime, granted, elsewhere)  # another camera
    with pytest.raises(Forbidden, match="no segment"):
        _view(db, runtime, granted, "nosuchsegment")
    with pytest.raises(Forbidden, match="not in the grant"):
        access.view(
            call_of(db, clock, INVESTIGATOR),
            runtime.sealer,
            runtime.blobs,
            detectors=runtime.detectors,
            grant_id=granted.id,
            window_id=granted.windows[0].id + 999,
            segment_id=scene.segments[0],
        )
    # Another member of the case sees the grant but may not watch through it ...
    make_user(Role.INVESTIGATOR, "olga")
    cases.add_member(ivan, scene.reference, "olga", "checks the hall with ivan")
    with pytest.raises(Forbidden, match="not yours"):
        access.footage(call_of(db, clock, investigator("olga")), granted.id)
    # ... and to an investigator outside the case it is a grant that does not exist.
    with pytest.raises(NotFound, match=f"^no grant G-{granted.id}$"):
        access.footage(call_of(db, clock, investigator("petr")), granted.id)
    with pytest.raises(NotFound, match="no grant"):
        access.footage(call_of(db, clock, INVESTIGATOR), granted.id + 999)
    clock.advance(timedelta(days=15))
    with pytest.raises(Forbidden, match="expired"):
        _view(db, runtime, granted, scene.segments[0])
    refusals = audit_events(db, event="footage.refused")
    assert len(refusals) == 8
    assert [e.details["why"] for e in refusals if e.actor == "petr"] == [
        f"not a member of case {scene.reference}"
    ]
    assert {e.outcome for e in refusals} == {Outcome.DENIED}
    assert audit_events(db, event="footage.viewed") == []


# --- need to know ------------------------------------------------------------------------------


def test_requests_and_grants_are_seen_by_the_members_of_their_case_and_approvers_alone(
    ivan: Call,
    db: Session,
    clock: FrozenClock,
    file: Filer,
    grant: Granter,
    scene: Scene,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    pending, granted = file(), grant()
    petr = call_of(db, clock, investigator("petr"))
    with pytest.raises(NotFound, match=f"^no access request {pending.id}$"):
        access.request_for(petr, pending.id)
    with pytest.raises(NotFound, match=f"^no grant {granted.id}$"):
        access.grant_for(petr, granted.id)
    with pytest.raises(NotFound, match=f"^no case {scene.case_id}$"):
        file(actor=investigator("petr"))
    assert access.list_requests(db, investigator("petr")) == []
    assert access.list_grants(db, investigator("petr")) == []
    everything = [pending.id, granted.request_id]
    assert [r.id for r in access.list_requests(db, INVESTIGATOR)] == everything
    assert [r.id for r in access.list_requests(db, APPROVER)] == everything
    assert [g.id for g in access.list_grants(db, APPROVER)] == [granted.id]
    # Petr, once a member, sees them and files requests of his own.
    make_user(Role.INVESTIGATOR, "petr")
    cases.add_member(ivan, scene.reference, "petr", "joins the inquiry")
    assert access.request_for(petr, pending.id) is pending
    assert [g.id for g in access.list_grants(db, investigator("petr"))] == [granted.id]
    assert file(actor=investigator("petr")).requested_by == "petr"
    refused = audit_events(db, event="case.refused")
    assert [(e.actor, e.details["act"]) for e in refused] == [
        ("petr", "see"),
        ("petr", "see"),
        ("petr", "request"),
    ]


def test_a_removed_member_loses_their_grants_and_their_pending_requests_cannot_be_approved(
    ivan: Call,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    file: Filer,
    grant: Granter,
    scene: Scene,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    make_user(Role.INVESTIGATOR, "olga")
    cases.add_member(ivan, scene.reference, "olga", "reviews the hall cameras")
    olga = investigator("olga")
    hers = grant({"actor": olga})
    his = grant()
    waiting = file(actor=olga)
    assert access.footage(call_of(db, clock, olga), hers.id)
    ended = access.remove_member(
        call_of(db, clock, APPROVER), scene.reference, "olga", "not on this case any more"
    )
    assert (ended.grants_revoked, ended.holds_released) == ([hers.id], [])
    assert access.state_of(db, clock, hers) == GrantState.REVOKED
    assert access.state_of(db, clock, his) == GrantState.LIVE
    (revoked,) = audit_events(db, event="grant.revoked")
    assert (revoked.grant_ref, revoked.recipient, revoked.justification) == (
        hers.reference,
        "olga",
        "olga removed from the case: not on this case any more",
    )
    # Her grant, and the case, are now unknown to her.
    with pytest.raises(NotFound, match=f"^no grant G-{hers.id}$"):
        access.footage(call_of(db, clock, olga), hers.id)
    with pytest.raises(NotFound):
        access.request_for(call_of(db, clock, olga), waiting.id)
    with pytest.raises(Conflict, match="olga is no longer a member of case 12/2026-0457"):
        access.approve(call_of(db, clock, APPROVER), waiting.id)
    refused = access.refuse(call_of(db, clock, APPROVER), waiting.id, "olga left the case")
    assert refused.status == RequestStatus.REFUSED


def test_identifying_a_minor_takes_two_different_approvers(
    db: Session, clock: FrozenClock, ivan: Call, file: Filer, scene: Scene
) -> None:
    cases.add_person(ivan, scene.reference, "W1", role=PersonRole.WITNESS, minor=True)
    filed = file(persons=["W1"], identification=True)
    assert access.approve(call_of(db, clock, APPROVER), filed.id) is None  # the first of two
    waiting = access.request_for(call_of(db, clock, APPROVER), filed.id)
    assert (waiting.status, waiting.first_approved_by) == (RequestStatus.PENDING, APPROVER.name)
    [first] = audit_events(db, event="access.first_approval")
    assert first.details["minors"] == ["W1"]
    with pytest.raises(Conflict, match="another approver must approve too"):
        access.approve(call_of(db, clock, APPROVER), filed.id)
    second = Actor("boris", "approver")
    grant = access.approve(call_of(db, clock, second), filed.id)
    assert grant is not None
    assert (grant.identification, grant.granted_by) == (True, "boris")
    [approved] = audit_events(db, event="access.approved")
    assert approved.details["first_approved_by"] == APPROVER.name


def test_one_approver_suffices_without_identifying_the_minor(
    db: Session, clock: FrozenClock, ivan: Call, file: Filer, scene: Scene
) -> None:
    cases.add_person(ivan, scene.reference, "W1", role=PersonRole.WITNESS, minor=True)
    masked = file(persons=["W1"])  # footage about the minor, everyone masked
    assert access.approve(call_of(db, clock, APPROVER), masked.id) is not None
    asked = file(persons=["P1", "W1"], identification=True)
    narrowed = access.approve(call_of(db, clock, APPROVER), asked.id, identification=False)
    assert narrowed is not None
    assert narrowed.identification is False
    adult = file(persons=["P1"], identification=True)  # the minor is in the case, not named
    assert access.approve(call_of(db, clock, APPROVER), adult.id) is not None
