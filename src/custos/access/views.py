"""HTTP API of access: requests, decisions, grants, and the review of granted footage.

A request or grant is seen as its case is: by the case's members and by approvers. Anyone else
is answered 404, as for one that does not exist, and listings leave it out.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator, Mapping
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from custos.access import service
from custos.access.models import AccessRequest, Grant
from custos.access.policy import RequestStatus, Window
from custos.access.schemas import (
    ApproveIn,
    BookmarkCreate,
    BookmarkOut,
    FootageOut,
    GrantOut,
    LinkCreate,
    LinkOut,
    PieceOut,
    PreparedOut,
    ReasonIn,
    RequestIn,
    RequestOut,
    WindowFootageOut,
    WindowIO,
    WindowTrackOut,
    WindowTracksOut,
)
from custos.cameras import service as cameras
from custos.cases import service as cases
from custos.cases.policy import CaseAct
from custos.cases.schemas import EndedOut, Reason
from custos.clock import Clock
from custos.deps import (
    CaseManager,
    CaseViewer,
    DbSession,
    Decider,
    MemberManager,
    Requester,
    Reviewer,
    RuntimeDep,
)
from custos.errors import InvalidInput, NotFound
from custos.http import MAX_INT, Id, answers

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["access"])


def _windows(items: list[WindowIO]) -> list[Window]:
    return [Window(item.camera, item.start, item.end) for item in items]


def _window_io(windows: list[Window]) -> list[WindowIO]:
    return [WindowIO(camera=w.camera, start=w.start, end=w.end) for w in windows]


def request_out(
    db: Session, request: AccessRequest, names: Mapping[int, str] | None = None
) -> RequestOut:
    """A request with its scope by camera name (`names`: camera names read once for a list)."""
    grant = service.grant_for_request(db, request.id)
    return RequestOut(
        id=request.id,
        case_id=request.case_id,
        windows=_window_io(service.windows_of(db, request.windows, names)),
        persons=request.persons,
        purpose=request.purpose,
        justification=request.justification,
        identification=request.identification,
        export=request.export,
        stricter_rules=request.strict,
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        status=request.status,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decision_reason=request.decision_reason,
        grant_id=grant.id if grant else None,
        first_approved_by=request.first_approved_by,
        first_approved_at=request.first_approved_at,
    )


def grant_out(
    db: Session, clock: Clock, grant: Grant, names: Mapping[int, str] | None = None
) -> GrantOut:
    """A grant with its scope and its state now (`names`: camera names read once for a list)."""
    return GrantOut(
        id=grant.id,
        reference=grant.reference,
        request_id=grant.request_id,
        case_id=grant.case_id,
        holder=grant.holder,
        persons=grant.persons,
        windows=_window_io(service.windows_of(db, grant.windows, names)),
        identification=grant.identification,
        export=grant.export,
        granted_by=grant.granted_by,
        granted_at=grant.granted_at,
        expires_at=grant.expires_at,
        state=service.state_of(db, clock, grant),
        revoked_at=grant.revoked_at,
        revoked_reason=grant.revoked_reason,
        links=[LinkOut.model_validate(link) for link in service.links_of(db, grant.id)],
    )


def piece_url(grant_id: int, window_id: int, segment_id: str) -> str:
    """Where the masked video of one piece of a grant is served."""
    return f"/api/grants/{grant_id}/windows/{window_id}/segments/{segment_id}/video"


@router.get("/access-requests")
def list_requests(
    db: DbSession,
    caller: CaseViewer,
    status: RequestStatus | None = None,
    case_id: Id | None = None,
) -> list[RequestOut]:
    """The requests of your cases (approvers: of every case), the oldest pending first."""
    names = cameras.camera_names(db)
    found = service.list_requests(db, caller.actor, status, case_id)
    return [request_out(db, r, names) for r in found]


@router.post("/access-requests", status_code=status.HTTP_201_CREATED, responses=answers(404, 409))
def file_request(
    body: RequestIn, db: DbSession, runtime: RuntimeDep, caller: Requester
) -> RequestOut:
    """File a request; one over a limit of the policy is refused (422) with the limit named."""
    request = service.file_request(
        caller.call(db, runtime),
        case_id=body.case_id,
        windows=_windows(body.windows),
        persons=body.persons,
        purpose=body.purpose,
        justification=body.justification,
        identification=body.identification,
        export=body.export,
    )
    return request_out(db, request)


@router.get("/access-requests/{request_id}")
def get_request(
    request_id: Id, db: DbSession, runtime: RuntimeDep, caller: CaseViewer
) -> RequestOut:
    """One request of a case you see."""
    return request_out(db, service.request_for(caller.call(db, runtime), request_id))


@router.post(
    "/access-requests/{request_id}/approve",
    status_code=status.HTTP_201_CREATED,
    response_model=GrantOut,
    responses={
        **answers(409),
        202: {"model": RequestOut, "description": "The first of two approvals, recorded"},
    },
)
def approve(
    request_id: Id, body: ApproveIn, db: DbSession, runtime: RuntimeDep, caller: Decider
) -> GrantOut | JSONResponse:
    """Approve a request someone else filed, as asked or narrowed; the grant expires by itself.

    Identifying a minor the request names takes two approvers: the first approval answers 202
    with the request (its `first_approved_by` set), the second, by another approver, 201 with
    the grant."""
    grant = service.approve(
        caller.call(db, runtime),
        request_id,
        windows=None if body.windows is None else _windows(body.windows),
        days=body.days,
        identification=body.identification,
        export=body.export,
        hold=body.hold,
        note=body.note,
    )
    if grant is None:
        waiting = request_out(db, service.request_for(caller.call(db, runtime), request_id))
        return JSONResponse(waiting.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)
    return grant_out(db, runtime.clock, grant)


@router.post("/access-requests/{request_id}/refuse", responses=answers(409))
def refuse(
    request_id: Id, body: ReasonIn, db: DbSession, runtime: RuntimeDep, caller: Decider
) -> RequestOut:
    """Refuse a request, with the reason the requester will read."""
    request = service.refuse(caller.call(db, runtime), request_id, body.reason)
    return request_out(db, request)


@router.get("/grants")
def list_grants(
    db: DbSession, runtime: RuntimeDep, caller: CaseViewer, case_id: Id | None = None
) -> list[GrantOut]:
    """The grants of your cases (approvers: of every case), newest first, with their state."""
    names = cameras.camera_names(db)
    found = service.list_grants(db, caller.actor, case_id=case_id)
    return [grant_out(db, runtime.clock, g, names) for g in found]


@router.get("/grants/{grant_id}")
def get_grant(grant_id: Id, db: DbSession, runtime: RuntimeDep, caller: CaseViewer) -> GrantOut:
    """One grant of a case you see: its scope and whether it is live."""
    return grant_out(db, runtime.clock, service.grant_for(caller.call(db, runtime), grant_id))


@router.post("/grants/{grant_id}/revoke", responses=answers(409))
def revoke(
    grant_id: Id, body: ReasonIn, db: DbSession, runtime: RuntimeDep, caller: Decider
) -> GrantOut:
    """Revoke a grant now."""
    grant = service.revoke_grant(caller.call(db, runtime), grant_id, body.reason)
    return grant_out(db, runtime.clock, grant)


@router.get("/grants/{grant_id}/footage")
def footage(grant_id: Id, db: DbSession, runtime: RuntimeDep, caller: Reviewer) -> FootageOut:
    """The timeline of a live grant you hold in a case of yours: per window, its stored pieces."""
    windows = service.footage(caller.call(db, runtime), grant_id)
    return FootageOut(
        grant=grant_out(db, runtime.clock, service.get_grant(db, grant_id)),
        windows=[
            WindowFootageOut(
                id=w.id,
                camera=w.camera,
                start=w.start,
                end=w.end,
                pieces=[
                    PieceOut(
                        segment=p.segment,
                        start=p.start,
                        end=p.end,
                        url=piece_url(grant_id, w.id, p.segment),
                    )
                    for p in w.pieces
                ],
                stream=f"/api/grants/{grant_id}/windows/{w.id}/stream",
                rate=w.rate,
                prepared=PreparedOut(
                    done=w.prepared.done, failed=w.prepared.failed, total=w.prepared.total
                ),
            )
            for w in windows
        ],
        bookmarks=[BookmarkOut.model_validate(b) for b in service.bookmarks_of(db, grant_id)],
    )


def _track_ids(text: str) -> list[int]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdecimal() and part.isascii() and int(part) <= MAX_INT for part in parts):
        raise InvalidInput("reveal: give track numbers like 3,7", field="reveal")
    return sorted({int(part) for part in parts})


@router.get(
    "/grants/{grant_id}/windows/{window_id}/segments/{segment_id}/video",
    response_class=Response,
    responses={200: {"content": {"video/mp4": {}}}, **answers(503)},
)
def video(
    grant_id: Id,
    window_id: Id,
    segment_id: str,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Reviewer,
    reveal: Annotated[str, Query(max_length=512, description="track numbers, e.g. 3,7")] = "",
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """The part of a segment inside a granted window, faces and plates masked.

    Tracks named in `reveal` stay visible, if the grant allows identification and a reason is
    given. The whole rendered clip is sent (no byte ranges: each render is its own audited
    view); the header `X-Custos-Tracks` lists the tracks, to choose which to reveal.
    """
    rendered = service.view(
        caller.call(db, runtime),
        runtime.sealer,
        runtime.blobs,
        detectors=runtime.detectors,
        grant_id=grant_id,
        window_id=window_id,
        segment_id=segment_id,
        reveal=_track_ids(reveal),
        reason=reason or None,
    )
    tracks = [
        {"track": t["track"], "kind": t["kind"], "visible": t["visible"]}
        for t in rendered.record["tracks"]
    ]
    return Response(
        rendered.data,
        media_type=rendered.media_type,
        headers={
            "Accept-Ranges": "none",
            "Content-Disposition": "inline",
            "X-Custos-Tracks": json.dumps(tracks, separators=(",", ":")),
        },
    )


@router.get("/grants/{grant_id}/windows/{window_id}/tracks")
def window_tracks(
    grant_id: Id, window_id: Id, db: DbSession, runtime: RuntimeDep, caller: Reviewer
) -> WindowTracksOut:
    """The tracks of a granted window, numbered once across it (as far as they are prepared),
    with the links made on them: what an investigator names as the persons of the case."""
    found = service.window_tracks(caller.call(db, runtime), runtime.sealer, grant_id, window_id)
    return WindowTracksOut(
        window_id=found.window_id,
        camera=found.camera,
        ready=found.tracks.ready,
        tracks=[
            WindowTrackOut(
                track=t.track,
                kind=t.kind,
                first_s=t.first_s,
                last_s=t.last_s,
                segments=len(t.segments),
                box=t.box,
            )
            for t in found.tracks.tracks
        ],
        links=[LinkOut.model_validate(link) for link in found.links],
    )


@router.post(
    "/grants/{grant_id}/links",
    status_code=status.HTTP_201_CREATED,
    responses=answers(404, 409),
)
def link_track(
    grant_id: Id, body: LinkCreate, db: DbSession, runtime: RuntimeDep, caller: Reviewer
) -> LinkOut:
    """Name a track of a window as a person of the case, with a reason (a disclosure, audited):
    where the grant allows identification, the person is shown unmasked wherever the track
    appears in the window, for as long as the grant lasts."""
    link = service.link_track(
        caller.call(db, runtime),
        runtime.sealer,
        grant_id,
        body.window_id,
        track=body.track,
        person=body.person,
        reason=body.reason,
    )
    return LinkOut.model_validate(link)


@router.post("/grants/{grant_id}/links/{link_id}/remove", responses=answers(409))
def unlink_track(
    grant_id: Id, link_id: Id, body: Reason, db: DbSession, runtime: RuntimeDep, caller: Reviewer
) -> LinkOut:
    """Remove a link, saying why: the person is masked again."""
    link = service.unlink_track(caller.call(db, runtime), grant_id, link_id, body.reason)
    return LinkOut.model_validate(link)


@router.post(
    "/grants/{grant_id}/bookmarks", status_code=status.HTTP_201_CREATED, responses=answers(404)
)
def add_bookmark(
    grant_id: Id, body: BookmarkCreate, db: DbSession, runtime: RuntimeDep, caller: Reviewer
) -> BookmarkOut:
    """Mark a moment of a granted window with a note (audited; it stays with the case)."""
    bookmark = service.add_bookmark(
        caller.call(db, runtime), grant_id, body.window_id, body.at_s, body.note
    )
    return BookmarkOut.model_validate(bookmark)


# No window is longer than a profile may allow (`max_window_hours` is at most 100 000).
LONGEST_WINDOW_S = 100_000 * 3600.0


class _ViewerLeft(Exception):
    """The player stopped reading the stream."""


class _Chunks:
    """The sink a stream is written into, read as the response's body by the server.

    A thread plays the stream; the response reads what it wrote, a bounded queue between them.
    When the reader stops (the player sought elsewhere, or closed), the next write raises and
    the thread ends, recording what was sent.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=64)
        self.stop = threading.Event()

    def write(self, data: bytes) -> int:
        while not self.stop.is_set():
            try:
                self._queue.put(data, timeout=0.5)
                return len(data)
            except queue.Full:
                continue
        raise _ViewerLeft()

    def finish(self, error: BaseException | None = None) -> None:
        while not self.stop.is_set():
            try:
                self._queue.put(error, timeout=0.5)
                return
            except queue.Full:
                continue

    def next(self) -> bytes | BaseException | None:
        return self._queue.get()

    def body(self, first: bytes) -> Iterator[bytes]:
        try:
            yield first
            while True:
                item = self.next()
                if item is None or isinstance(item, BaseException):
                    return  # the status is sent already: the stream just ends
                yield item
        finally:
            self.stop.set()


@router.get(
    "/grants/{grant_id}/windows/{window_id}/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"video/mp4": {}}}, **answers(409, 503)},
)
def stream(
    grant_id: Id,
    window_id: Id,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Reviewer,
    start: Annotated[
        float,
        Query(
            alias="from",
            ge=0,
            le=LONGEST_WINDOW_S,
            allow_inf_nan=False,
            description="seconds from the window's start",
        ),
    ] = 0.0,
    viewing: Id | None = None,
) -> Response:
    """A granted window as one masked stream (fragmented MP4), from a moment of it on.

    The first request opens a viewing (its number is in `X-Custos-Viewing`; the audit log has
    it before the first byte leaves); a seek is a new request naming it. The stream's
    timestamps count from its first frame, which is `X-Custos-Stream-Start` seconds into the
    window; time that no segment covers is a gap in the stream.
    """
    call = caller.call(db, runtime)
    if viewing is None:
        viewing = service.open_viewing(call, grant_id, window_id).id
    plan = service.stream_plan(call, runtime.sealer, viewing, start)
    if (plan.grant_id, plan.window_id) != (grant_id, window_id):
        raise NotFound(f"no viewing {viewing} of window {window_id} of grant G-{grant_id}")
    player = service.Player(
        runtime.sessions,
        runtime.clock,
        caller.actor,
        runtime.policy.profile,
        runtime.sealer,
        runtime.blobs,
        runtime.detectors,
    )
    chunks = _Chunks()

    def _play() -> None:
        try:
            service.play(player, plan, chunks, chunks.stop)
        except _ViewerLeft:
            pass
        except BaseException as error:  # handed to the response: an error page or the end
            log.warning("the stream of viewing %s ended early: %r", viewing, error)
            chunks.finish(error)
            return
        chunks.finish()

    threading.Thread(target=_play, name=f"stream-{viewing}", daemon=True).start()
    first = chunks.next()  # the first bytes, or why there are none, before the status is sent
    if isinstance(first, BaseException):
        chunks.stop.set()
        raise first
    if first is None:
        chunks.stop.set()
        raise NotFound(f"nothing is stored in window {window_id} from {start:g} s on")
    return StreamingResponse(
        chunks.body(first),
        media_type="video/mp4",
        headers={
            "X-Custos-Viewing": str(viewing),
            "X-Custos-Window-Seconds": f"{plan.length_s:g}",
            # The stream's own timestamps start at 0: its first frame is this second of the
            # window (a player adds it, as Media Source Extensions' timestampOffset).
            "X-Custos-Stream-Start": f"{plan.pieces[0].at_s:.6f}",
            "Content-Disposition": "inline",
        },
    )


@router.post("/viewings/{viewing_id}/close", status_code=status.HTTP_204_NO_CONTENT)
def close_viewing(viewing_id: Id, db: DbSession, runtime: RuntimeDep, caller: Reviewer) -> Response:
    """Close a viewing: the audit log records what of the window was watched."""
    service.close_viewing(caller.call(db, runtime), viewing_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Clearing a person, closing a case and removing a member end grants (and holds) in the same
# transaction, so the access domain, which owns grants, carries them out; the paths stay under
# the case.


def _ended(ended: service.Ended) -> EndedOut:
    return EndedOut(grants_revoked=ended.grants_revoked, holds_released=ended.holds_released)


@router.post("/cases/{case_id}/persons/{label}/clear", tags=["cases"], responses=answers(409))
def clear_person(
    case_id: Id, label: str, body: Reason, db: DbSession, runtime: RuntimeDep, caller: CaseManager
) -> EndedOut:
    """Suspicion refuted: the person's grants are revoked and their holds released at once."""
    call = caller.call(db, runtime)
    case = cases.reach(call, case_id, CaseAct.CLEAR_PERSON)
    return _ended(service.clear_person(call, case.reference, label, body.reason))


@router.post("/cases/{case_id}/close", tags=["cases"], responses=answers(409))
def close_case(
    case_id: Id, body: Reason, db: DbSession, runtime: RuntimeDep, caller: CaseManager
) -> EndedOut:
    """Close a case: every grant of it is revoked and every hold placed for it released."""
    call = caller.call(db, runtime)
    case = cases.reach(call, case_id, CaseAct.CLOSE)
    return _ended(service.close_case(call, case.reference, body.reason))


@router.post("/cases/{case_id}/members/{name}/remove", tags=["cases"], responses=answers(409))
def remove_member(
    case_id: Id,
    name: str,
    body: Reason,
    db: DbSession,
    runtime: RuntimeDep,
    caller: MemberManager,
) -> EndedOut:
    """Take a member off the case, saying why: the grants they hold in it are revoked."""
    call = caller.call(db, runtime)
    case = cases.reach(call, case_id, CaseAct.MEMBERS)
    return _ended(service.remove_member(call, case.reference, name, body.reason))
