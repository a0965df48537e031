"""REST API of the camera registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from custos.cameras import service
from custos.cameras.policy import CameraStatus
from custos.cameras.schemas import (
    CameraCreate,
    CameraOut,
    CameraUpdate,
    RetentionChange,
    StatusChange,
)
from custos.deps import Caller, DbSession, RuntimeDep, admits
from custos.users.policy import Permission

router = APIRouter(prefix="/api/cameras", tags=["cameras"])

Viewer = Annotated[Caller, admits(Permission.VIEW_CAMERAS)]
Manager = Annotated[Caller, admits(Permission.MANAGE_CAMERAS)]


@router.get("", response_model=list[CameraOut])
def list_cameras(
    db: DbSession, _caller: Viewer, status: CameraStatus | None = None
) -> list[CameraOut]:
    """All registered cameras, optionally only those with one status."""
    return [CameraOut.model_validate(c) for c in service.list_cameras(db, status)]


@router.post("", response_model=CameraOut, status_code=status.HTTP_201_CREATED)
def register_camera(
    data: CameraCreate, db: DbSession, runtime: RuntimeDep, caller: Manager
) -> CameraOut:
    """Register a camera."""
    return CameraOut.model_validate(service.register_camera(db, runtime.clock, caller.actor, data))


@router.get("/{name}", response_model=CameraOut)
def get_camera(name: str, db: DbSession, _caller: Viewer) -> CameraOut:
    """One camera."""
    return CameraOut.model_validate(service.get_camera(db, name))


@router.patch("/{name}", response_model=CameraOut)
def update_camera(
    name: str, changes: CameraUpdate, db: DbSession, runtime: RuntimeDep, caller: Manager
) -> CameraOut:
    """Change a camera's description."""
    camera = service.update_camera(db, runtime.clock, caller.actor, name, changes)
    return CameraOut.model_validate(camera)


@router.put("/{name}/retention", response_model=CameraOut)
def set_retention(
    name: str, change: RetentionChange, db: DbSession, runtime: RuntimeDep, caller: Manager
) -> CameraOut:
    """Set how long a camera keeps footage; longer than the default needs the policy's reasons."""
    camera = service.set_retention(
        db,
        runtime.clock,
        caller.actor,
        runtime.policy.profile,
        name,
        change.days,
        change.justification,
        change.dpia_reference,
    )
    return CameraOut.model_validate(camera)


@router.post("/{name}/suspend", response_model=CameraOut)
def suspend_camera(
    name: str, change: StatusChange, db: DbSession, runtime: RuntimeDep, caller: Manager
) -> CameraOut:
    """Stop a camera from recording."""
    camera = service.set_status(
        db, runtime.clock, caller.actor, name, CameraStatus.SUSPENDED, change.reason
    )
    return CameraOut.model_validate(camera)


@router.post("/{name}/activate", response_model=CameraOut)
def activate_camera(
    name: str, change: StatusChange, db: DbSession, runtime: RuntimeDep, caller: Manager
) -> CameraOut:
    """Let a draft or suspended camera record."""
    camera = service.set_status(
        db, runtime.clock, caller.actor, name, CameraStatus.ACTIVE, change.reason
    )
    return CameraOut.model_validate(camera)
