"""Access to recorded footage: requests inside a case, decisions by someone else, grants, review.

Footage leaves storage only through `view`, only inside a live grant held by the caller, a
member of its case, only within the grant's cameras × windows, and only masked, unless the
grant allows identification and the caller names the tracks of the case's persons with a
reason. Every view and every refusal is in the audit log, in the transaction of the action.

Requests and grants belong to their case and are seen as it is (`cases.reach`): by its members
and by approvers. To anyone else one is answered as if it did not exist, and listings leave it
out.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from custos.access import policy
from custos.access.models import (
    AccessRequest as AccessRequest,
)
from custos.access.models import (
    Bookmark,
    GrantWindow,
    PersonLink,
    RequestWindow,
    Viewing,
)
from custos.access.models import (
    Grant as Grant,
)
from custos.access.policy import GrantState, Limits, RequestStatus, Window
from custos.audit.policy import Action, Outcome
from custos.audit.service import record
from custos.cameras import service as cameras
from custos.cases import service as cases
from custos.cases.policy import CaseAct, CaseStatus, Refusal
from custos.clock import Clock
from custos.context import Actor, Call, Context
from custos.dpia.policy import Analytics
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound, PolicyViolation
from custos.prepared import service as prepared
from custos.prepared.policy import renumbered
from custos.profile import Profile
from custos.recording import service as recording
from custos.recording.policy import part_within
from custos.redaction.cache import DetectorCache
from custos.redaction.pipeline import MaskedStream, Sink, TrackRecord
from custos.redaction.service import Rendered, redact_footage, viewing_options
from custos.redaction.tracking import TrackedBox
from custos.retention import holds
from custos.storage.blobs import BlobStore
from custos.storage.crypto import Sealer


def limits_of(profile: Profile) -> tuple[Limits, Limits]:
    """The normal and the stricter access limits of a policy profile."""
    access = profile.access
    return Limits(**access.normal.model_dump()), Limits(**access.strict.model_dump())


# --- reading -----------------------------------------------------------------------------------


def get_request(session: Session, request_id: int) -> AccessRequest:
    """The request with `request_id`, or NotFound (whoever asks: see `request_for`)."""
    found = session.get(AccessRequest, request_id)
    if found is None:
        raise NotFound(f"no access request {request_id}")
    return found


def request_for(call: Call, request_id: int) -> AccessRequest:
    """The request, if the caller sees its case; NotFound alike when it is not theirs to see."""
    found = get_request(call.session, request_id)
    cases.reach(call, found.case_id, CaseAct.SEE, unknown=f"no access request {request_id}")
    return found


def list_requests(
    session: Session,
    viewer: Actor,
    status: RequestStatus | None = None,
    case_id: int | None = None,
) -> list[AccessRequest]:
    """The requests of the cases `viewer` sees, the oldest pending first, then the decided."""
    query = sa.select(AccessRequest)
    if status is not None:
        query = query.where(AccessRequest.status == status)
    if case_id is not None:
        query = query.where(AccessRequest.case_id == case_id)
    seen = cases.visible_case_ids(session, viewer)
    if seen is not None:
        query = query.where(AccessRequest.case_id.in_(seen))
    pending_first = sa.case((AccessRequest.status == RequestStatus.PENDING, 0), else_=1)
    return list(session.scalars(query.order_by(pending_first, AccessRequest.id)))


def get_grant(session: Session, grant_id: int) -> Grant:
    """The grant with `grant_id`, or NotFound (whoever asks: see `grant_for`)."""
    found = session.get(Grant, grant_id)
    if found is None:
        raise NotFound(f"no grant {grant_id}")
    return found


def grant_for(call: Call, grant_id: int) -> Grant:
    """The grant, if the caller sees its case; NotFound alike when it is not theirs to see."""
    found = get_grant(call.session, grant_id)
    cases.reach(call, found.case_id, CaseAct.SEE, unknown=f"no grant {grant_id}")
    return found


def list_grants(
    session: Session,
    viewer: Actor,
    holder: str | None = None,
    case_id: int | None = None,
) -> list[Grant]:
    """The grants of the cases `viewer` sees, newest first."""
    query = sa.select(Grant).order_by(Grant.id.desc())
    if holder is not None:
        query = query.where(Grant.holder == holder)
    if case_id is not None:
        query = query.where(Grant.case_id == case_id)
    seen = cases.visible_case_ids(session, viewer)
    if seen is not None:
        query = query.where(Grant.case_id.in_(seen))
    return list(session.scalars(query))


def grant_for_request(session: Session, request_id: int) -> Grant | None:
    """The grant that answered a request, if it was approved."""
    return session.scalar(sa.select(Grant).where(Grant.request_id == request_id))


def windows_of(
    session: Session,
    rows: Sequence[RequestWindow | GrantWindow],
    names: Mapping[int, str] | None = None,
) -> list[Window]:
    """A request's or a grant's scope as cameras (by name) × windows.

    A listing passes the `cameras.camera_names` it read once, rather than one read per item.
    """
    names = cameras.camera_names(session) if names is None else names
    return [Window(names[row.camera_id], row.starts_at, row.ends_at) for row in rows]


def state_of(session: Session, clock: Clock, grant: Grant) -> GrantState:
    """Whether the grant reaches footage now."""
    case = cases.get_case_by_id(session, grant.case_id)
    return policy.grant_state(
        clock.now(), grant.expires_at, grant.revoked_at, case.status == CaseStatus.OPEN
    )


def _scope(windows: Sequence[Window]) -> list[list[str]]:
    """A scope as the audit entry records it: camera, start, end."""
    return [[w.camera, w.start.isoformat(), w.end.isoformat()] for w in windows]


def _context(case: cases.Case, grant: Grant | None, justification: str, recipient: str) -> Context:
    return Context(
        case_ref=case.reference,
        grant_ref=grant.reference if grant else None,
        legal_basis=case.legal_basis,
        justification=justification,
        recipient=recipient,
    )


# --- requests ----------------------------------------------------------------------------------


def _camera_ids(session: Session, windows: Sequence[Window]) -> dict[str, int]:
    ids = {}
    for window in windows:
        if window.camera not in ids:
            ids[window.camera] = cameras.get_camera(session, window.camera).id
    return ids


def facts_of(
    session: Session, case: cases.Case, windows: Sequence[Window], persons: Sequence[str]
) -> policy.RequestFacts:
    """What the proportionality rules need to know about a request in `case` that names
    `persons`: the cameras at sensitive sites (by their first kind of site), and which of
    the persons named are minors or vulnerable."""
    tagged = {c.name: sorted(c.tags)[0] for c in cameras.list_cameras(session) if c.tags}
    named = set(persons)
    return policy.RequestFacts(
        windows=tuple(windows),
        sensitive_cameras=tagged,
        persons=tuple(
            policy.NamedPerson(p.label, p.minor, p.vulnerable)
            for p in cases.persons(session, case)
            if p.label in named and p.cleared_at is None
        ),
    )


def file_request(
    call: Call,
    *,
    case_id: int,
    windows: Sequence[Window],
    persons: Sequence[str],
    purpose: str,
    justification: str,
    identification: bool,
    export: bool = False,
) -> AccessRequest:
    """File a request for footage; one over a limit of the policy is refused, the limit named.

    A refused request is recorded in the audit log all the same.
    """
    session, clock, actor = call.session, call.clock, call.actor
    case = cases.reach(call, case_id, CaseAct.REQUEST)
    if case.status != CaseStatus.OPEN:
        raise Conflict(f"case {case.reference} is closed: it reaches no footage")
    if not purpose.strip():
        raise InvalidInput("say what the footage is for", field="purpose")
    if not justification.strip():
        raise InvalidInput("say why this footage is necessary", field="justification")
    living = {p.label for p in cases.persons(session, case) if p.cleared_at is None}
    labels = sorted(set(persons))
    if not labels:
        raise InvalidInput("name the persons of the case the footage concerns", field="persons")
    strangers = [label for label in labels if label not in living]
    if strangers:
        raise InvalidInput(
            f"not a person of case {case.reference} under suspicion: {', '.join(strangers)}",
            field="persons",
        )
    camera_ids = _camera_ids(session, windows)
    facts = facts_of(session, case, windows, labels)
    normal, strict = limits_of(call.profile)
    problems = policy.proportionality_problems(facts, normal, strict, clock.now())
    scope = _scope(windows)
    context = _context(case, None, justification.strip(), actor.name)
    if problems:
        record(
            session,
            clock,
            actor,
            Action.CONFIGURE,
            "access.request_refused",
            object_type="case",
            object_id=case.reference,
            outcome=Outcome.DENIED,
            context=context,
            details={"scope": scope, "problems": problems},
        )
        session.commit()
        raise PolicyViolation("the request is refused: " + "; ".join(problems))
    request = AccessRequest(
        case_id=case.id,
        persons=labels,
        purpose=purpose.strip(),
        justification=justification.strip(),
        identification=identification,
        export=export,
        strict=policy.is_strict(facts),
        requested_by=actor.name,
        requested_at=clock.now(),
        status=RequestStatus.PENDING,
        decided_by=None,
        decided_at=None,
        decision_reason="",
    )
    request.windows = [
        RequestWindow(camera_id=camera_ids[w.camera], starts_at=w.start, ends_at=w.end)
        for w in windows
    ]
    session.add(request)
    session.flush()
    record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "access.requested",
        object_type="access_request",
        object_id=request.id,
        context=context,
        details={
            "scope": scope,
            "persons": labels,
            "purpose": request.purpose,
            "identification": identification,
            "export": export,
            "stricter_rules": policy.strict_reasons(facts),
        },
    )
    session.commit()
    return request


def _first_of_two(
    call: Call, request: AccessRequest, case: cases.Case, named: Sequence[policy.NamedPerson]
) -> None:
    """Record the first of the two approvals a minor's identification takes."""
    request.first_approved_by, request.first_approved_at = call.actor.name, call.clock.now()
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "access.first_approval",
        object_type="access_request",
        object_id=request.id,
        context=_context(case, None, request.justification, request.requested_by),
        details={
            "minors": sorted(p.label for p in named if p.minor),
            "waits_for": "a second approver",
        },
    )
    call.session.commit()


def _pending(call: Call, request_id: int) -> tuple[AccessRequest, cases.Case]:
    request = request_for(call, request_id)
    if request.status != RequestStatus.PENDING:
        raise Conflict(f"request {request_id} was {request.status} already")
    problem = policy.approval_problem(request.requested_by, call.actor.name)
    if problem:
        raise Forbidden(problem)
    case = cases.get_case_by_id(call.session, request.case_id)
    if case.status != CaseStatus.OPEN:
        raise Conflict(f"case {case.reference} is closed")
    return request, case


def approve(
    call: Call,
    request_id: int,
    *,
    windows: Sequence[Window] | None = None,
    days: float | None = None,
    identification: bool | None = None,
    export: bool | None = None,
    hold: bool = False,
    note: str = "",
) -> Grant | None:
    """Approve a request, as asked or narrowed, into a grant that ends by itself.

    With `hold`, the granted footage is kept from erasure by one legal hold per person, so
    clearing a person releases exactly what was kept for them. Identifying a minor the request
    names takes two approvers: the first approval is recorded (and audited) and None returned;
    the grant comes with the second, by someone else.
    """
    session, clock, actor = call.session, call.clock, call.actor
    request, case = _pending(call, request_id)
    if not cases.is_member(session, case.id, request.requested_by):
        raise Conflict(
            f"{request.requested_by} is no longer a member of case {case.reference}: "
            "the request can only be refused"
        )
    asked = windows_of(session, request.windows)
    granted = list(asked if windows is None else windows)
    if not granted:
        raise InvalidInput("a grant reaches at least one camera and window", field="windows")
    problem = policy.narrowing_problem(asked, granted)
    if problem:
        raise InvalidInput(problem, field="windows")
    if identification and not request.identification:
        raise InvalidInput("identification was not asked for: it cannot be granted", field="id")
    allow_identification = request.identification if identification is None else identification
    if export and not request.export:
        raise InvalidInput("export was not asked for: it cannot be granted", field="export")
    allow_export = request.export if export is None else export
    normal, strict = limits_of(call.profile)
    try:
        expires = policy.grant_expiry(clock.now(), strict if request.strict else normal, days)
    except ValueError as error:
        raise InvalidInput(str(error), field="days") from None
    now = clock.now()
    named = facts_of(session, case, granted, request.persons).persons
    if policy.approvals_needed(allow_identification, named) == 2:
        if request.first_approved_by is None:
            _first_of_two(call, request, case, named)
            return None
        problem = policy.second_approval_problem(request.first_approved_by, actor.name)
        if problem:
            raise Conflict(problem)
    camera_ids = _camera_ids(session, granted)
    request.status = RequestStatus.APPROVED
    request.decided_by, request.decided_at, request.decision_reason = actor.name, now, note.strip()
    grant = Grant(
        request_id=request.id,
        case_id=case.id,
        holder=request.requested_by,
        persons=list(request.persons),
        identification=allow_identification,
        export=allow_export,
        granted_by=actor.name,
        granted_at=now,
        expires_at=expires,
        hold_id=None,
        revoked_at=None,
        revoked_by=None,
        revoked_reason="",
    )
    grant.windows = [
        GrantWindow(camera_id=camera_ids[w.camera], starts_at=w.start, ends_at=w.end)
        for w in granted
    ]
    session.add(grant)
    session.flush()
    record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "access.approved",
        object_type="grant",
        object_id=grant.reference,
        context=_context(case, grant, note.strip() or request.justification, grant.holder),
        details={
            "request": request.id,
            "scope": _scope(granted),
            "narrowed": granted != asked,
            "identification": allow_identification,
            "export": allow_export,
            "expires_at": expires.isoformat(),
            "hold": hold,
            "first_approved_by": request.first_approved_by,
        },
    )
    # Every segment of the windows is queued for its tracks to be prepared, in this same
    # transaction: a grant is never approved without its preparation planned.
    prepared.plan(
        call,
        grant.id,
        grant.reference,
        [
            prepared.WindowScope(row.id, w.camera, w.start, w.end)
            for row, w in zip(grant.windows, granted, strict=True)
        ],
    )
    if hold:
        scopes = [holds.Scope(w.camera, w.start, w.end) for w in granted]
        for person in grant.persons:
            placed = holds.stage_hold(
                call,
                case_ref=case.reference,
                scopes=scopes,
                reason=f"footage of grant {grant.reference}: {request.purpose}",
                person_ref=person,
            )
            grant.hold_id = grant.hold_id or placed.id
    session.commit()
    return grant


def refuse(call: Call, request_id: int, reason: str) -> AccessRequest:
    """Refuse a request, saying why."""
    problem = policy.refusal_problem(reason)
    if problem:
        raise InvalidInput(problem, field="reason")
    request, case = _pending(call, request_id)
    request.status = RequestStatus.REFUSED
    request.decided_by, request.decided_at = call.actor.name, call.clock.now()
    request.decision_reason = reason.strip()
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "access.refused",
        object_type="access_request",
        object_id=request.id,
        context=_context(case, None, reason.strip(), request.requested_by),
    )
    call.session.commit()
    return request


def _revoke(call: Call, grant: Grant, reason: str, case_ref: str, legal_basis: str) -> None:
    """End `grant` now and record why; the caller commits."""
    grant.revoked_at = call.clock.now()
    grant.revoked_by = call.actor.name
    grant.revoked_reason = reason
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "grant.revoked",
        object_type="grant",
        object_id=grant.reference,
        context=Context(
            case_ref=case_ref,
            grant_ref=grant.reference,
            legal_basis=legal_basis,
            justification=reason,
            recipient=grant.holder,
        ),
        details={"persons": grant.persons},
    )
    prepared.discard(call, grant.id, grant.reference, f"grant revoked: {reason}")


def _revoke_grants_of_case(
    call: Call,
    *,
    case_id: int,
    case_ref: str,
    legal_basis: str,
    reason: str,
    person: str | None = None,
    holder: str | None = None,
) -> list[int]:
    """Revoke every unrevoked grant of a case, or only those naming `person`, or held by
    `holder`; the caller commits.

    A grant that names a cleared person is revoked whole: the investigator asks again for the
    persons still under suspicion, and an approver judges that new scope.
    """
    query = sa.select(Grant).where(Grant.case_id == case_id, Grant.revoked_at.is_(None))
    if holder is not None:
        query = query.where(Grant.holder == holder)
    revoked = []
    for grant in call.session.scalars(query.order_by(Grant.id)):
        if person is not None and person not in grant.persons:
            continue
        _revoke(call, grant, reason, case_ref, legal_basis)
        revoked.append(grant.id)
    return revoked


def revoke_grant(call: Call, grant_id: int, reason: str) -> Grant:
    """End a grant before its time; the footage it reached is out of reach at once."""
    session = call.session
    grant = grant_for(call, grant_id)
    if grant.revoked_at is not None:
        raise Conflict(f"grant {grant.reference} was revoked already")
    if not reason.strip():
        raise InvalidInput("say why the grant is revoked", field="reason")
    case = cases.get_case_by_id(session, grant.case_id)
    _revoke(call, grant, reason.strip(), case.reference, case.legal_basis)
    session.commit()
    return grant


# --- prepared detections ---------------------------------------------------------------------


def scopes_to_prepare(call: Call) -> dict[int, prepared.WindowScope]:
    """The windows whose segments a worker may prepare now: those of live grants with work
    waiting. The waiting work of a grant that has ended (expired, or its case closed) is
    discarded here, audited, in one transaction."""
    session = call.session
    names = cameras.camera_names(session)
    scopes: dict[int, prepared.WindowScope] = {}
    for grant_id in sorted(prepared.grants_waiting(session)):
        grant = get_grant(session, grant_id)
        state = state_of(session, call.clock, grant)
        if state != GrantState.LIVE:
            prepared.discard(call, grant.id, grant.reference, f"grant {state}")
            continue
        for row in grant.windows:
            scopes[row.id] = prepared.WindowScope(
                row.id, names[row.camera_id], row.starts_at, row.ends_at
            )
    session.commit()
    return scopes


# --- review ------------------------------------------------------------------------------------


def _refuse_view(
    call: Call,
    grant_id: int,
    why: str,
    details: dict[str, str],
    *,
    unknown: bool = False,
) -> Forbidden | NotFound:
    """Record a refused attempt at footage and return the error to raise.

    With `unknown` the grant is not the caller's to know of (none, or of a case they are not a
    member of): the answer is the same NotFound either way, while the log records `why`.
    """
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONSULT,
        "footage.refused",
        object_type="grant",
        object_id=f"G-{grant_id}",
        outcome=Outcome.DENIED,
        details={"why": why, **details},
    )
    call.session.commit()
    return NotFound(f"no grant G-{grant_id}") if unknown else Forbidden(why)


def reviewable_grant(call: Call, grant_id: int, **details: str) -> tuple[Grant, cases.Case]:
    """The grant, if it is live, the caller holds it and is a member of its case; anything
    else is an audited refusal."""
    grant = call.session.get(Grant, grant_id)
    if grant is None:
        raise _refuse_view(call, grant_id, f"no grant G-{grant_id}", details, unknown=True)
    case = cases.get_case_by_id(call.session, grant.case_id)
    refused = cases.refusal_of(call.session, call.actor, case, CaseAct.REVIEW)
    if refused is not None:
        why = f"not a member of case {case.reference}"
        if refused is not Refusal.UNKNOWN:
            why = f"the {call.actor.role} role does not review footage"
        raise _refuse_view(call, grant_id, why, details, unknown=refused is Refusal.UNKNOWN)
    if grant.holder != call.actor.name:
        raise _refuse_view(call, grant_id, f"grant {grant.reference} is not yours", details)
    state = state_of(call.session, call.clock, grant)
    if state != GrantState.LIVE:
        raise _refuse_view(call, grant_id, f"grant {grant.reference} is {state}", details)
    return grant, case


@dataclass(frozen=True)
class Piece:
    """The part of one stored segment inside a granted window."""

    segment: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class WindowFootage:
    """What is stored inside one granted window, piece by piece, in time order, with the
    frame rate of its footage and how far its tracks are prepared."""

    id: int
    camera: str
    start: datetime
    end: datetime
    pieces: list[Piece]
    rate: float | None
    prepared: prepared.Progress


def footage(call: Call, grant_id: int) -> list[WindowFootage]:
    """The stored footage a live grant reaches, as a timeline per window."""
    session = call.session
    grant, _ = reviewable_grant(call, grant_id)
    names = cameras.camera_names(session)
    progress = prepared.progress(session, grant.id)
    found = []
    for row in grant.windows:
        window = Window(names[row.camera_id], row.starts_at, row.ends_at)
        pieces = []
        rate = None
        for segment, _name in recording.list_segments(
            session, window.camera, since=window.start, until=window.end
        ):
            if segment.key_id is None:
                continue  # erased: its key is gone
            bounds = policy.clip_bounds(segment.started_at, segment.ended_at, window)
            if bounds is not None:
                if rate is None and segment.duration_s > 0:
                    rate = round(segment.frames / segment.duration_s, 3)
                pieces.append(
                    Piece(
                        segment.id,
                        max(segment.started_at, window.start),
                        min(segment.ended_at, window.end),
                    )
                )
        ready = progress.get(row.id, prepared.Progress(0, 0, 0))
        found.append(
            WindowFootage(row.id, window.camera, window.start, window.end, pieces, rate, ready)
        )
    return found


def view(
    call: Call,
    sealer: Sealer,
    blobs: BlobStore,
    *,
    detectors: DetectorCache,
    grant_id: int,
    window_id: int,
    segment_id: str,
    reveal: Sequence[int] = (),
    reason: str | None = None,
) -> Rendered:
    """The part of a segment inside a granted window, masked; audited as consult or disclose.

    Revealing tracks needs a grant that allows identification and a reason; it is recorded as
    a disclosure of those persons to the holder. The checks and reads are one short
    transaction; decrypting and masking run with none open (they take seconds to minutes, and
    an open transaction would keep every recorder from writing); then, in a transaction of its
    own, the grant is checked again and the view audited before the clip is returned.
    """
    session = call.session
    where = {"window": str(window_id), "segment": segment_id}
    grant, case = reviewable_grant(call, grant_id, **where)
    row = next((w for w in grant.windows if w.id == window_id), None)
    if row is None:
        raise _refuse_view(call, grant_id, f"window {window_id} is not in the grant", where)
    try:
        segment, camera = recording.get_segment(session, segment_id)
    except NotFound:
        raise _refuse_view(
            call, grant_id, f"no segment '{segment_id}' in the grant", where
        ) from None
    window = Window(camera, row.starts_at, row.ends_at)
    bounds = policy.clip_bounds(segment.started_at, segment.ended_at, window)
    if segment.camera_id != row.camera_id or bounds is None:
        raise _refuse_view(
            call,
            grant_id,
            f"segment {segment_id} lies outside window {window_id} of the grant",
            where,
        )
    if reveal and not grant.identification:
        raise _refuse_view(
            call, grant_id, f"grant {grant.reference} does not allow identification", where
        )
    options = viewing_options(reveal, reason, base=prepared.REVIEW_OPTIONS)
    sealed = recording.sealed_segment(segment)
    tracks = prepared.tracks_of(session, sealer, window_id, segment_id)
    details: dict[str, object] = {
        "camera": camera,
        "segment": segment.id,
        "from": (segment.started_at + timedelta(seconds=bounds[0])).isoformat(),
        "to": (segment.started_at + timedelta(seconds=bounds[1])).isoformat(),
    }
    session.commit()  # the reads end here
    plaintext = recording.open_sealed(sealer, blobs, sealed)
    rendered = redact_footage(plaintext, options, bounds, detectors=detectors, prepared=tracks)
    masked = rendered.record["tracks"]
    # The grant may have been revoked, or the case closed, while the clip was rendered.
    session.expire_all()
    grant, case = reviewable_grant(call, grant_id, **where)
    details["masked_tracks"] = sum(1 for t in masked if not t["visible"])
    details["tracks"] = "prepared" if tracks is not None else "detected"
    details["visible_tracks"] = sorted(reveal)
    details["persons"] = grant.persons
    disclosed = bool(reveal)
    asked = get_request(session, grant.request_id)
    justification = (reason or "").strip() if disclosed else asked.justification
    record(
        session,
        call.clock,
        call.actor,
        Action.DISCLOSE if disclosed else Action.CONSULT,
        "footage.unmasked" if disclosed else "footage.viewed",
        object_type="segment",
        object_id=sealed.id,
        context=_context(case, grant, justification, call.actor.name),
        details=details,
    )
    session.commit()
    return rendered


@dataclass(frozen=True)
class Ended:
    """What a clearing or a closing ended: the grants revoked and the holds released."""

    grants_revoked: list[int]
    holds_released: list[int]


def clear_person(call: Call, reference: str, label: str, reason: str) -> Ended:
    """Suspicion refuted: the person is cleared, their grants revoked, their holds released.

    One transaction: the clearing, the revocations, the releases and their audit entries
    commit together.
    """
    case = cases.clear_person(call, reference, label, reason)
    return _end(call, case, f"{label} cleared: {reason.strip()}", label)


def close_case(call: Call, reference: str, reason: str) -> Ended:
    """Close a case: its grants are revoked, and every hold placed for it is released."""
    case = cases.close_case(call, reference, reason)
    return _end(call, case, f"case closed: {reason.strip()}")


def remove_member(call: Call, reference: str, name: str, reason: str) -> Ended:
    """Take `name` off the case: the grants they hold in it are revoked in the same step.

    They no longer need to know: what they were granted in the case ends with their part in
    it. Holds stay (they belong to the case, not to one investigator). One transaction.
    """
    case = cases.remove_member(call, reference, name, reason)
    revoked = _revoke_grants_of_case(
        call,
        case_id=case.id,
        case_ref=case.reference,
        legal_basis=case.legal_basis,
        reason=f"{name} removed from the case: {reason.strip()}",
        holder=name,
    )
    call.session.commit()
    return Ended(revoked, [])


def _end(call: Call, case: cases.Case, why: str, person: str | None = None) -> Ended:
    revoked = _revoke_grants_of_case(
        call,
        case_id=case.id,
        case_ref=case.reference,
        legal_basis=case.legal_basis,
        reason=why,
        person=person,
    )
    released = holds.release_holds_for_case(call, case.reference, why, person)
    call.session.commit()
    return Ended(revoked, released)


# --- viewings: a window played as one stream ---------------------------------------------------


@dataclass(frozen=True)
class StreamPiece:
    """One piece of a window as the stream plays it: which segment, which part of it, the
    second of the window that part starts at; the window's numbers of its tracks, where they
    are prepared, and which of them are shown as the case's persons they were linked to."""

    segment: str
    keep: tuple[float, float]
    at_s: float
    numbers: dict[int, int] | None = None
    visible: frozenset[int] = frozenset()


@dataclass(frozen=True)
class StreamPlan:
    """What one request of a viewing plays (the window's pieces from a moment on), or what an
    export renders (its range of the window: no viewing)."""

    viewing_id: int | None
    grant_id: int
    window_id: int
    camera: str
    length_s: float
    from_s: float
    pieces: list[StreamPiece]


def _window_of(call: Call, grant: Grant, window_id: int, where: dict[str, str]) -> GrantWindow:
    row = next((w for w in grant.windows if w.id == window_id), None)
    if row is None:
        raise _refuse_view(call, grant.id, f"window {window_id} is not in the grant", where)
    return row


def open_viewing(call: Call, grant_id: int, window_id: int) -> Viewing:
    """Open a viewing of a granted window; audited as a consultation before anything is sent."""
    session = call.session
    where = {"window": str(window_id)}
    grant, case = reviewable_grant(call, grant_id, **where)
    row = _window_of(call, grant, window_id, where)
    camera = cameras.camera_names(session)[row.camera_id]
    now = call.clock.now()
    viewing = Viewing(
        grant_id=grant.id,
        window_id=row.id,
        holder=call.actor.name,
        opened_at=now,
        last_seen_at=now,
        closed_at=None,
        watched=[],
    )
    session.add(viewing)
    session.flush()
    asked = get_request(session, grant.request_id)
    record(
        session,
        call.clock,
        call.actor,
        Action.CONSULT,
        "footage.viewing_opened",
        object_type="viewing",
        object_id=viewing.id,
        context=_context(case, grant, asked.justification, call.actor.name),
        details={
            "camera": camera,
            "window": [row.starts_at.isoformat(), row.ends_at.isoformat()],
            "persons": grant.persons,
        },
    )
    session.commit()
    return viewing


def _viewing(call: Call, viewing_id: int) -> Viewing:
    viewing = call.session.get(Viewing, viewing_id)
    if viewing is None or viewing.holder != call.actor.name:
        raise NotFound(f"no viewing {viewing_id}")
    if viewing.closed_at is not None:
        raise Conflict(f"viewing {viewing_id} is closed: open a new one")
    return viewing


@dataclass(frozen=True)
class _Stored:
    """A stored segment of a window: when it was filmed, and where it lies in the window."""

    started_at: datetime
    ended_at: datetime
    span: prepared.Span


def _spans(session: Session, camera: str, row: GrantWindow) -> list[_Stored]:
    """The stored pieces of a window in time order, each where it lies in the window."""
    spans = []
    for segment, _name in recording.list_segments(
        session, camera, since=row.starts_at, until=row.ends_at
    ):
        if segment.key_id is None:
            continue  # erased: its key is gone
        keep = part_within(segment.started_at, segment.ended_at, row.starts_at, row.ends_at)
        if keep is None:
            continue
        at = (segment.started_at - row.starts_at).total_seconds() + keep[0]
        span = prepared.Span(segment.id, at, keep[1] - keep[0])
        spans.append(_Stored(segment.started_at, segment.ended_at, span))
    return spans


def stream_plan(call: Call, sealer: Sealer, viewing_id: int, from_s: float) -> StreamPlan:
    """The pieces one request of a viewing plays, from `from_s` seconds into the window.

    The grant is checked again (it may have ended since the viewing opened), and the segments
    about to play move to the front of the preparation of tracks. Where tracks are prepared
    they carry the window's numbering, and where the grant allows identification the tracks
    linked to the case's persons are shown.
    """
    session = call.session
    viewing = _viewing(call, viewing_id)
    where = {"viewing": str(viewing_id)}
    grant, _case = reviewable_grant(call, viewing.grant_id, **where)
    row = _window_of(call, grant, viewing.window_id, where)
    length = (row.ends_at - row.starts_at).total_seconds()
    if not 0 <= from_s < length:
        raise InvalidInput(f"from must lie between 0 and {length:g} seconds", field="from")
    camera = cameras.camera_names(session)[row.camera_id]
    pieces = _pieces(session, sealer, grant, row, camera, from_s, length)
    viewing.last_seen_at = call.clock.now()
    session.commit()
    return StreamPlan(viewing.id, grant.id, row.id, camera, length, from_s, pieces)


def _pieces(
    session: Session,
    sealer: Sealer,
    grant: Grant,
    row: GrantWindow,
    camera: str,
    from_s: float,
    to_s: float,
) -> list[StreamPiece]:
    """The stored pieces of a window between two of its seconds, masked as the review shows
    them: where tracks are prepared they carry the window's numbering, and where the grant
    allows identification the tracks linked to the case's persons are shown. The first of them
    moves to the front of the preparation of tracks."""
    spans = _spans(session, camera, row)
    numbered = prepared.window_tracks(session, sealer, row.id, [stored.span for stored in spans])
    shown = _shown(session, grant, row.id) if grant.identification else {}
    since = row.starts_at + timedelta(seconds=from_s)
    until = row.starts_at + timedelta(seconds=to_s)
    pieces = []
    for stored in spans:
        keep = part_within(stored.started_at, stored.ended_at, since, until)
        if keep is None:
            continue
        segment = stored.span.segment_id
        numbers = numbered.numbers.get(segment)
        visible = frozenset(
            numbers[local] for local in shown.get(segment, ()) if numbers and local in numbers
        )
        at = (stored.started_at - row.starts_at).total_seconds() + keep[0]
        pieces.append(StreamPiece(segment, keep, at, numbers, visible))
    if pieces:
        order = [stored.span.segment_id for stored in spans]
        prepared.ask(session, row.id, order, pieces[0].segment)
    return pieces


def export_plan(
    call: Call, sealer: Sealer, grant_id: int, window_id: int, from_s: float, to_s: float
) -> StreamPlan:
    """What an export of seconds `from_s` to `to_s` of a granted window renders, masked exactly
    as the review shows it. Only the grant's holder, while it is live and allows export."""
    where = {"window": str(window_id), "export": f"{from_s:g}-{to_s:g}"}
    grant, _case = reviewable_grant(call, grant_id, **where)
    if not grant.export:
        raise _refuse_view(call, grant.id, f"grant {grant.reference} does not allow export", where)
    row = _window_of(call, grant, window_id, where)
    length = (row.ends_at - row.starts_at).total_seconds()
    if not 0 <= from_s < to_s <= length:
        raise InvalidInput(
            f"an export lies within the window: 0 to {length:g} seconds", field="from"
        )
    camera = cameras.camera_names(call.session)[row.camera_id]
    pieces = _pieces(call.session, sealer, grant, row, camera, from_s, to_s)
    if not pieces:
        raise Conflict("no footage is stored in that part of the window")
    return StreamPlan(None, grant.id, row.id, camera, length, from_s, pieces)


def _shown(session: Session, grant: Grant, window_id: int) -> dict[str, set[int]]:
    """The segments' own track numbers linked to persons of the case, by segment."""
    shown: dict[str, set[int]] = {}
    for link in _active_links(session, grant.id):
        if link.window_id != window_id:
            continue
        for segment, local in link.members:
            shown.setdefault(str(segment), set()).add(int(local))
    return shown


@dataclass(frozen=True)
class LoadedPiece:
    """A piece ready to decrypt: its sealed segment, and its prepared boxes if they are ready."""

    sealed: recording.SealedSegment
    prepared: list[list[TrackedBox]] | None


def load_piece(call: Call, sealer: Sealer, plan: StreamPlan, piece: StreamPiece) -> LoadedPiece:
    """One short transaction per piece: the grant is still live, the segment is still stored.

    Stopping between pieces is how a stream ends when its grant is revoked while it plays.
    """
    where = {"segment": piece.segment}
    if plan.viewing_id is not None:
        where["viewing"] = str(plan.viewing_id)
    reviewable_grant(call, plan.grant_id, **where)
    segment, _camera = recording.get_segment(call.session, piece.segment)
    sealed = recording.sealed_segment(segment)
    tracks = prepared.tracks_of(call.session, sealer, plan.window_id, piece.segment)
    call.session.commit()
    return LoadedPiece(sealed, tracks)


def mark_watched(call: Call, viewing_id: int, span: tuple[float, float]) -> None:
    """Add the seconds of the window a stream sent to its viewing."""
    viewing = call.session.get(Viewing, viewing_id)
    if viewing is None:
        return
    viewing.watched = policy.merged(viewing.watched, span)
    viewing.last_seen_at = call.clock.now()
    call.session.commit()


def close_viewing(call: Call, viewing_id: int, why: str = "closed by the viewer") -> Viewing:
    """Close a viewing: the audit log gets what was watched."""
    viewing = _viewing(call, viewing_id)
    _close(call, viewing, why)
    call.session.commit()
    return viewing


def _close(call: Call, viewing: Viewing, why: str) -> None:
    viewing.closed_at = call.clock.now()
    grant = get_grant(call.session, viewing.grant_id)
    case = cases.get_case_by_id(call.session, grant.case_id)
    asked = get_request(call.session, grant.request_id)
    record(
        call.session,
        call.clock,
        call.actor,
        Action.CONSULT,
        "footage.viewing_closed",
        object_type="viewing",
        object_id=viewing.id,
        context=_context(case, grant, asked.justification, viewing.holder),
        details={
            "watched": viewing.watched,
            "seconds": round(policy.seconds_watched(viewing.watched), 3),
            "opened_at": viewing.opened_at.isoformat(),
            "why": why,
        },
    )


def close_idle_viewings(call: Call) -> int:
    """Close the viewings nothing was asked of for `policy.VIEWING_IDLE`; how many."""
    now = call.clock.now()
    idle = [
        viewing
        for viewing in call.session.scalars(sa.select(Viewing).where(Viewing.closed_at.is_(None)))
        if policy.viewing_idle(viewing.last_seen_at, now)
    ]
    for viewing in idle:
        _close(call, viewing, "left idle")
    call.session.commit()
    return len(idle)


@dataclass(frozen=True)
class Player:
    """What playing a window needs besides the plan: where sessions, keys, blobs and detectors
    come from, and who watches (each piece is checked and loaded in a short transaction of its
    own; nothing stays open while decoding and encoding)."""

    sessions: sessionmaker[Session]
    clock: Clock
    actor: Actor
    profile: Profile
    sealer: Sealer
    blobs: BlobStore
    detectors: DetectorCache


def play(player: Player, plan: StreamPlan, sink: Sink, stop: threading.Event) -> float:
    """Write the masked stream of a plan into `sink` until it ends or `stop` is set; the second
    of the window the stream reached. The span sent is added to the viewing, whatever ended it
    (the end of the window, the viewer leaving, the grant ending mid-way)."""
    reached = [plan.from_s]
    try:
        _fill(player, plan, _stream(player, sink), stop, reached)
    finally:
        if plan.viewing_id is not None:
            with player.sessions() as session:
                call = Call(session, player.clock, player.actor, player.profile)
                mark_watched(call, plan.viewing_id, (plan.from_s, max(reached[0], plan.from_s)))
    return reached[0]


def render_export(player: Player, plan: StreamPlan, sink: Sink) -> dict[int, TrackRecord]:
    """Write an export plan's masked video into `sink` (fragmented MP4), as the review shows
    it; the tracks it masked or showed, numbered as in the window."""
    stream = _stream(player, sink)
    _fill(player, plan, stream, threading.Event(), [plan.from_s])
    return stream.tracks


def _stream(player: Player, sink: Sink) -> MaskedStream:
    return MaskedStream(
        sink, prepared.REVIEW_OPTIONS, player.detectors.get(prepared.REVIEW_OPTIONS, 0)
    )


def _fill(
    player: Player,
    plan: StreamPlan,
    stream: MaskedStream,
    stop: threading.Event,
    reached: list[float],
) -> None:
    """Add the plan's pieces to `stream` until they end or `stop` is set, and close it;
    `reached[0]` follows the second of the window written."""
    ended = False
    try:
        for piece in plan.pieces:
            if stop.is_set():
                break
            with player.sessions() as session:
                call = Call(session, player.clock, player.actor, player.profile)
                loaded = load_piece(call, player.sealer, plan, piece)
            plaintext = recording.open_sealed(player.sealer, player.blobs, loaded.sealed)
            boxes = loaded.prepared
            if boxes is not None and piece.numbers is not None:
                boxes = renumbered(boxes, piece.numbers)
            what = f"segment {piece.segment}"
            stream.add(plaintext, piece.keep, piece.at_s, boxes, what, visible=piece.visible)
            reached[0] = piece.at_s + (piece.keep[1] - piece.keep[0])
        stream.close()
        ended = True
    finally:
        if not ended:
            # The reader is gone or a piece failed: what the muxer still holds goes nowhere.
            with contextlib.suppress(Exception):
                stream.close(flush=False)


# --- identification bound to persons -----------------------------------------------------------


def _active_links(session: Session, grant_id: int) -> list[PersonLink]:
    return list(
        session.scalars(
            sa.select(PersonLink)
            .where(PersonLink.grant_id == grant_id, PersonLink.removed_at.is_(None))
            .order_by(PersonLink.id)
        )
    )


def links_of(session: Session, grant_id: int) -> list[PersonLink]:
    """Every link made in a grant, the removed ones too, in the order they were made."""
    return list(
        session.scalars(
            sa.select(PersonLink).where(PersonLink.grant_id == grant_id).order_by(PersonLink.id)
        )
    )


@dataclass(frozen=True)
class WindowTracksOut:
    """A window's tracks with one numbering across it, and the links made on them."""

    window_id: int
    camera: str
    tracks: prepared.WindowTracks
    links: list[PersonLink]


def window_tracks(call: Call, sealer: Sealer, grant_id: int, window_id: int) -> WindowTracksOut:
    """The tracks of a granted window, numbered across it as far as they are prepared."""
    where = {"window": str(window_id)}
    grant, _case = reviewable_grant(call, grant_id, **where)
    row = _window_of(call, grant, window_id, where)
    camera = cameras.camera_names(call.session)[row.camera_id]
    spans = [stored.span for stored in _spans(call.session, camera, row)]
    numbered = prepared.window_tracks(call.session, sealer, row.id, spans)
    links = [link for link in _active_links(call.session, grant.id) if link.window_id == row.id]
    call.session.commit()
    return WindowTracksOut(row.id, camera, numbered, links)


def link_track(
    call: Call,
    sealer: Sealer,
    grant_id: int,
    window_id: int,
    *,
    track: int,
    person: str,
    reason: str,
) -> PersonLink:
    """Name a track of a granted window as a person of the case, with a reason.

    Only where the grant allows identification, only for the persons it names, only a track
    the window's prepared tracks hold. The person is then shown unmasked wherever the track
    appears in the window, for as long as the grant lasts. Audited as a disclosure.
    """
    session = call.session
    where = {"window": str(window_id), "track": str(track)}
    grant, case = reviewable_grant(call, grant_id, **where)
    row = _window_of(call, grant, window_id, where)
    if not grant.identification:
        raise _refuse_view(
            call, grant.id, f"grant {grant.reference} does not allow identification", where
        )
    if person not in grant.persons:
        raise InvalidInput(
            f"grant {grant.reference} concerns {', '.join(grant.persons)}, not {person}",
            field="person",
        )
    why = reason.strip()
    if not why:
        raise InvalidInput("say why this track is that person", field="reason")
    camera = cameras.camera_names(session)[row.camera_id]
    # Naming a face as a person is identification: the camera's impact assessment must allow
    # the face analytics for it (masking runs everywhere, as protection, and needs no such
    # allowance).
    if problem := cameras.analytics_problem(call, camera, Analytics.FACES):
        raise _refuse_view(call, grant.id, problem, {**where, "camera": camera})
    spans = [stored.span for stored in _spans(session, camera, row)]
    numbered = prepared.window_tracks(session, sealer, row.id, spans)
    found = next((t for t in numbered.tracks if t.track == track), None)
    if found is None:
        raise NotFound(
            f"no track {track} in this window's prepared tracks"
            + ("" if numbered.ready else " (they are still being prepared)")
        )
    if any(
        link.window_id == row.id and link.track == track
        for link in _active_links(session, grant.id)
    ):
        raise Conflict(f"track {track} is linked already: remove that link first")
    members: list[list[str | int]] = [
        [segment, local]
        for segment, numbers in numbered.numbers.items()
        for local, number in numbers.items()
        if number == track
    ]
    link = PersonLink(
        grant_id=grant.id,
        window_id=row.id,
        person=person,
        track=track,
        kind=found.kind,
        members=members,
        first_s=found.first_s,
        last_s=found.last_s,
        reason=why,
        linked_by=call.actor.name,
        linked_at=call.clock.now(),
        removed_at=None,
        removed_by=None,
        removed_reason="",
    )
    session.add(link)
    session.flush()
    record(
        session,
        call.clock,
        call.actor,
        Action.DISCLOSE,
        "footage.track_linked",
        object_type="person_link",
        object_id=link.id,
        context=_context(case, grant, why, call.actor.name),
        details={
            "person": person,
            "camera": camera,
            "track": track,
            "kind": found.kind,
            "from": (row.starts_at + timedelta(seconds=found.first_s)).isoformat(),
            "to": (row.starts_at + timedelta(seconds=found.last_s)).isoformat(),
            "segments": len(found.segments),
        },
    )
    session.commit()
    return link


def unlink_track(call: Call, grant_id: int, link_id: int, reason: str) -> PersonLink:
    """Remove a link: the person is masked again in the window. Audited."""
    session = call.session
    grant, case = reviewable_grant(call, grant_id, link=str(link_id))
    link = session.get(PersonLink, link_id)
    if link is None or link.grant_id != grant.id:
        raise NotFound(f"no link {link_id} in grant {grant.reference}")
    if link.removed_at is not None:
        raise Conflict(f"link {link_id} was removed already")
    why = reason.strip()
    if not why:
        raise InvalidInput("say why the link is removed", field="reason")
    link.removed_at = call.clock.now()
    link.removed_by = call.actor.name
    link.removed_reason = why
    record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "footage.track_unlinked",
        object_type="person_link",
        object_id=link.id,
        context=_context(case, grant, why, call.actor.name),
        details={"person": link.person, "track": link.track},
    )
    session.commit()
    return link


# --- bookmarks -----------------------------------------------------------------------------------

MAX_NOTE = 500


def add_bookmark(call: Call, grant_id: int, window_id: int, at_s: float, note: str) -> Bookmark:
    """Mark a moment of a granted window with a note; it stays with the case. Audited."""
    session = call.session
    where = {"window": str(window_id)}
    grant, case = reviewable_grant(call, grant_id, **where)
    row = _window_of(call, grant, window_id, where)
    length = (row.ends_at - row.starts_at).total_seconds()
    if not 0 <= at_s <= length:
        raise InvalidInput(f"at_s must lie between 0 and {length:g} seconds", field="at_s")
    text = note.strip()
    if not 1 <= len(text) <= MAX_NOTE:
        raise InvalidInput(f"a note is 1 to {MAX_NOTE} characters", field="note")
    bookmark = Bookmark(
        case_id=case.id,
        grant_id=grant.id,
        window_id=row.id,
        camera_id=row.camera_id,
        at=row.starts_at + timedelta(seconds=at_s),
        note=text,
        created_by=call.actor.name,
        created_at=call.clock.now(),
    )
    session.add(bookmark)
    session.flush()
    record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "footage.bookmarked",
        object_type="bookmark",
        object_id=bookmark.id,
        context=_context(case, grant, text, call.actor.name),
        details={
            "camera": cameras.camera_names(session)[row.camera_id],
            "at": bookmark.at.isoformat(),
        },
    )
    session.commit()
    return bookmark


def bookmarks_of(session: Session, grant_id: int) -> list[Bookmark]:
    """The bookmarks made in a grant's windows, in time order."""
    return list(
        session.scalars(
            sa.select(Bookmark).where(Bookmark.grant_id == grant_id).order_by(Bookmark.at)
        )
    )


@dataclass(frozen=True)
class LinkFinding:
    """A person named on footage who needs a second look: cleared since, or not a person the
    grant concerns at all."""

    grant: str
    person: str
    linked_at: datetime
    cleared_at: datetime | None  # None: the person is not one of the grant's case persons


def links_to_look_at(session: Session) -> list[LinkFinding]:
    """Every link whose person was cleared after being named (unmasked, then found not to be
    involved), and every standing link whose person is not one the grant concerns, or not a
    person of its case (an unmasking nobody may have made)."""
    found = []
    grants: dict[int, Grant] = {}
    people: dict[int, dict[str, datetime | None]] = {}
    for link in session.scalars(sa.select(PersonLink).order_by(PersonLink.id)):
        grant = grants.get(link.grant_id) or session.get(Grant, link.grant_id)
        assert grant is not None
        grants[grant.id] = grant
        if grant.case_id not in people:
            case = cases.get_case_by_id(session, grant.case_id)
            people[grant.case_id] = {p.label: p.cleared_at for p in cases.persons(session, case)}
        known = people[grant.case_id]
        if link.person not in known or link.person not in grant.persons:
            if link.removed_at is None:
                found.append(LinkFinding(grant.reference, link.person, link.linked_at, None))
            continue
        cleared = known[link.person]
        if cleared is not None and cleared >= link.linked_at:
            found.append(LinkFinding(grant.reference, link.person, link.linked_at, cleared))
    return found


def unused_grants(session: Session, now: datetime) -> list[Grant]:
    """Grants that ended (expired or revoked) without the footage ever being opened."""
    viewed = sa.select(Viewing.grant_id)
    return list(
        session.scalars(
            sa.select(Grant)
            .where(
                sa.or_(Grant.expires_at < now, Grant.revoked_at.is_not(None)),
                Grant.id.not_in(viewed),
            )
            .order_by(Grant.id)
        )
    )


def requests_by_requester(session: Session, since: datetime) -> dict[str, int]:
    """How many access requests each investigator filed since `since`."""
    rows = session.execute(
        sa.select(AccessRequest.requested_by, sa.func.count(AccessRequest.id))
        .where(AccessRequest.requested_at >= since)
        .group_by(AccessRequest.requested_by)
    )
    return {name: int(count) for name, count in rows}
