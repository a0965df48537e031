"""REST API of the camera registry."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from custos.cameras import service
from custos.cameras.policy import CameraStatus
from custos.cameras.schemas import (
    CameraCreate,
    CameraOut,
    CameraUpdate,
    StatusChange,
    WithholdIn,
    ZoneCreate,
    ZoneOut,
    ZoneRemoval,
)
from custos.deps import CameraManager, CameraViewer, DbSession, RuntimeDep
from custos.http import answers

router = APIRouter(prefix="/api/cameras", tags=["cameras"])


@router.get("", response_model=list[CameraOut])
def list_cameras(
    db: DbSession, _caller: CameraViewer, status: CameraStatus | None = None
) -> list[CameraOut]:
    """All registered cameras, optionally only those with one status."""
    return [CameraOut.model_validate(c) for c in service.list_cameras(db, status)]


@router.post(
    "",
    response_model=CameraOut,
    status_code=status.HTTP_201_CREATED,
    responses=answers(409),
)
def register_camera(
    data: CameraCreate, db: DbSession, runtime: RuntimeDep, caller: CameraManager
) -> CameraOut:
    """Register a camera."""
    return CameraOut.model_validate(service.register_camera(caller.call(db, runtime), data))


@router.get("/{name}", response_model=CameraOut)
def get_camera(name: str, db: DbSession, _caller: CameraViewer) -> CameraOut:
    """One camera."""
    return CameraOut.model_validate(service.get_camera(db, name))


@router.patch("/{name}", response_model=CameraOut)
def update_camera(
    name: str, changes: CameraUpdate, db: DbSession, runtime: RuntimeDep, caller: CameraManager
) -> CameraOut:
    """Change a camera's description."""
    camera = service.update_camera(caller.call(db, runtime), name, changes)
    return CameraOut.model_validate(camera)


@router.post("/{name}/suspend", response_model=CameraOut, responses=answers(409))
def suspend_camera(
    name: str, change: StatusChange, db: DbSession, runtime: RuntimeDep, caller: CameraManager
) -> CameraOut:
    """Stop a camera from recording."""
    camera = service.set_status(
        caller.call(db, runtime), name, CameraStatus.SUSPENDED, change.reason
    )
    return CameraOut.model_validate(camera)


@router.post("/{name}/activate", response_model=CameraOut, responses=answers(409))
def activate_camera(
    name: str, change: StatusChange, db: DbSession, runtime: RuntimeDep, caller: CameraManager
) -> CameraOut:
    """Let a draft or suspended camera record."""
    camera = service.set_status(caller.call(db, runtime), name, CameraStatus.ACTIVE, change.reason)
    return CameraOut.model_validate(camera)


@router.post("/{name}/withhold", response_model=CameraOut, responses=answers(404))
def withhold_camera(
    name: str, body: WithholdIn, db: DbSession, runtime: RuntimeDep, caller: CameraManager
) -> CameraOut:
    """Keep a camera off the public register, for a reason counted in public."""
    camera = service.withhold(caller.call(db, runtime), name, body.reason, body.note)
    return CameraOut.model_validate(camera)


@router.post("/{name}/publish", response_model=CameraOut, responses=answers(404, 409))
def publish_camera(
    name: str, change: StatusChange, db: DbSession, runtime: RuntimeDep, caller: CameraManager
) -> CameraOut:
    """Show a withheld camera on the public register again."""
    camera = service.publish(caller.call(db, runtime), name, change.reason)
    return CameraOut.model_validate(camera)


@router.get("/{name}/zones", response_model=list[ZoneOut])
def list_zones(name: str, db: DbSession, _caller: CameraViewer) -> list[ZoneOut]:
    """A camera's privacy zones: where its picture is never stored nor shown."""
    return [ZoneOut.model_validate(zone) for zone in service.list_zones(db, name)]


@router.post(
    "/{name}/zones",
    response_model=ZoneOut,
    status_code=status.HTTP_201_CREATED,
    responses=answers(409),
)
def add_zone(
    name: str, zone: ZoneCreate, db: DbSession, runtime: RuntimeDep, caller: CameraManager
) -> ZoneOut:
    """Add a privacy zone; the camera's recorder restarts with it within seconds."""
    row = service.add_zone(caller.call(db, runtime), name, zone.name, zone.points, zone.reason)
    return ZoneOut.model_validate(row)


@router.post("/{name}/zones/{zone}/remove", status_code=status.HTTP_204_NO_CONTENT)
def remove_zone(
    name: str,
    zone: str,
    removal: ZoneRemoval,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
) -> Response:
    """Remove a privacy zone: from then on that part of the picture is recorded."""
    service.remove_zone(caller.call(db, runtime), name, zone, removal.reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
