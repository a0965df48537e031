"""HTTP API of recording: the live picture and live video of a camera (recorded footage is
reached by grants)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from custos.context import Call
from custos.deps import Caller, DbSession, RuntimeDep, admits
from custos.errors import Conflict
from custos.http import answers
from custos.permissions import Permission
from custos.recording import service
from custos.recording.live import LiveHubs, LiveSource, Picture

router = APIRouter()

LiveViewer = Annotated[Caller, admits(Permission.VIEW_LIVE)]
BOUNDARY = "custos-live"
MJPEG = f"multipart/x-mixed-replace; boundary={BOUNDARY}"
FIRST_PICTURE_S = 10.0  # how long a camera may take to give its first picture


@router.get(
    "/api/cameras/{name}/live.jpg",
    tags=["cameras"],
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **answers(409, 503)},
)
def live_picture(name: str, db: DbSession, runtime: RuntimeDep, caller: LiveViewer) -> Response:
    """The camera's picture now: privacy zones black, faces masked; each view is audited."""
    jpeg = service.live_picture(caller.call(db, runtime), name, detectors=runtime.detectors)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


def live_hubs(request: Request) -> LiveHubs:
    """The live hubs of this web process (the app holds them)."""
    hubs: LiveHubs = request.app.state.live_hubs
    return hubs


@router.get(
    "/api/cameras/{name}/live.mjpeg",
    tags=["cameras"],
    response_class=StreamingResponse,
    responses={
        200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}},
        **answers(409),
    },
)
def live_video(
    name: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: LiveViewer,
    fps: Annotated[float, Query(ge=0.5, le=15, allow_inf_nan=False)] = 10.0,
    seconds: Annotated[
        float | None,
        Query(alias="for", ge=1, le=86_400, allow_inf_nan=False, description="then it ends"),
    ] = None,
) -> Response:
    """The camera's live video as masked pictures (MJPEG), at most `fps` a second.

    One connection to the camera serves every viewer; privacy zones are black and faces
    masked on the server before a picture leaves. When masking cannot keep up, fewer pictures
    come, never an unmasked one. The session is audited when it opens and when it closes, with
    its length. Each picture carries `X-Custos-Captured` (when the camera's picture arrived).
    `for` ends the video after that many seconds (otherwise it lasts while it is read).
    """
    url, zones = service.open_live(caller.call(db, runtime), name)
    hub = live_hubs(request).hub(LiveSource(name, url, zones))
    stop = threading.Event()
    pictures = hub.pictures(fps, stop)
    handed: queue.Queue[Picture | BaseException] = queue.Queue(maxsize=1)

    def _first() -> None:
        try:
            handed.put(next(pictures))
        except BaseException as error:
            handed.put(error)

    threading.Thread(target=_first, name=f"live-first-{name}", daemon=True).start()
    opened = time.monotonic()
    try:
        first = handed.get(timeout=FIRST_PICTURE_S)
    except queue.Empty:
        first = TimeoutError(hub.problem or "no picture yet")
    if isinstance(first, BaseException):
        stop.set()
        _closed(runtime, caller, name, opened, 0, "no picture")
        raise Conflict(f"camera {name} gives no live picture now ({first})")

    def _parts() -> Iterator[bytes]:
        sent = 0
        try:
            for picture in _chain(first, pictures):
                if seconds is not None and time.monotonic() - opened > seconds:
                    break
                sent += 1
                head = (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(picture.jpeg)}\r\n"
                    f"X-Custos-Captured: {picture.captured:.3f}\r\n\r\n"
                )
                yield head.encode() + picture.jpeg + b"\r\n"
        except TimeoutError:
            pass  # the camera stopped giving pictures: the video ends
        finally:
            stop.set()
            _closed(runtime, caller, name, opened, sent, "closed")

    return StreamingResponse(
        _parts(),
        media_type=MJPEG,
        headers={"Cache-Control": "no-store"},
    )


def _chain(first: Picture, rest: Iterator[Picture]) -> Iterator[Picture]:
    yield first
    yield from rest


def _closed(
    runtime: RuntimeDep, caller: Caller, name: str, opened: float, sent: int, why: str
) -> None:
    with runtime.sessions() as session:
        call = Call(session, runtime.clock, caller.actor, runtime.policy.profile)
        service.close_live(call, name, time.monotonic() - opened, sent, why)
