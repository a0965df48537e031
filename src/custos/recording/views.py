"""HTTP API of recording: the live picture of a camera (recorded footage is reached by grants)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from custos.deps import Caller, DbSession, RuntimeDep, admits
from custos.http import answers
from custos.permissions import Permission
from custos.recording import service

router = APIRouter()

LiveViewer = Annotated[Caller, admits(Permission.VIEW_LIVE)]


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
