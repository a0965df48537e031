"""Pages of the camera registry: the list and its form, one camera and its edit form, privacy
zones, the live picture."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from custos.cameras import service as cameras
from custos.cameras.policy import (
    CameraCategory,
    CameraStatus,
    SensitivityTag,
    normalise_source,
    parse_points,
    redact_source,
)
from custos.cameras.schemas import (
    CameraCreate,
    CameraOut,
    CameraUpdate,
    StatusChange,
    ZoneCreate,
    ZoneRemoval,
)
from custos.deps import Caller, CameraManager, CameraViewer, DbSession, LiveViewer, RuntimeDep
from custos.errors import Conflict, InvalidInput
from custos.permissions import Permission, is_admitted
from custos.recording import service as recording
from custos.recording.probe import probe_source
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

REGISTER = "register"


def _cameras_page(
    request: Request, db: DbSession, caller: Caller, form: forms.Form | None = None
) -> Response:
    form = form or forms.Form(REGISTER)
    return render(
        request,
        "cameras.html",
        status_code=form.status,
        principal=caller.principal,
        cameras=[CameraOut.model_validate(c) for c in cameras.list_cameras(db)],
        can_manage=is_admitted(caller.role, Permission.MANAGE_CAMERAS),
        can_view_live=is_admitted(caller.role, Permission.VIEW_LIVE),
        categories=list(CameraCategory),
        tags=list(SensitivityTag),
        form=form,
    )


@router.get("/cameras")
def cameras_page(request: Request, db: DbSession, caller: CameraViewer) -> Response:
    """The camera registry."""
    return _cameras_page(request, db, caller)


@router.post("/cameras")
def register_camera(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    name: Annotated[str, Form()] = "",
    source_url: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    operator_org: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    tags: Annotated[list[str] | None, Form()] = None,
    segment_seconds: Annotated[str, Form()] = "10",
    record_audio: Annotated[str, Form()] = "",
    no_check: Annotated[str, Form()] = "",
) -> Response:
    """Register a camera from the form; errors come back beside the fields.

    The source is tried first; one that gives no picture is refused beside the source field,
    unless "register anyway" is ticked.
    """
    form = forms.Form(
        REGISTER,
        forms.typed(
            name=name,
            source_url=source_url,
            category=category,
            region=region,
            operator_org=operator_org,
            location=location,
            purpose=purpose,
            tags=tags,
            segment_seconds=segment_seconds,
            record_audio=record_audio,
            no_check=no_check,
        ),
    )

    def _register() -> object:
        data = CameraCreate.model_validate(
            {
                "name": name.strip(),
                "source_url": source_url.strip(),
                "category": category,
                "region": region.strip(),
                "operator_org": operator_org.strip(),
                "location": location.strip(),
                "purpose": purpose.strip(),
                "tags": tags or [],
                "segment_seconds": segment_seconds.strip(),
                "record_audio": bool(record_audio),
            }
        )
        if not no_check:
            _check_source(db, data.source_url)
        return cameras.register_camera(caller.call(db, runtime), data)

    return forms.act(
        db,
        form,
        _register,
        lambda _: "/cameras",
        lambda refused: _cameras_page(request, db, caller, refused),
        forms.Placement(unnamed={Conflict: "name", InvalidInput: "name"}),
    )


def _check_source(db: DbSession, source: str) -> None:
    """Try a source with no transaction open; one that gives no picture is refused."""
    db.commit()  # trying a camera takes seconds
    probe = probe_source(source)
    if not probe.ok:
        refusal = probe.refusal()
        refusal.message += "; tick 'register anyway' to keep it all the same"
        raise refusal


EDIT = "edit"


def _camera_page(
    request: Request, db: DbSession, caller: Caller, name: str, form: forms.Form | None = None
) -> Response:
    camera = CameraOut.model_validate(cameras.get_camera(db, name))
    form = form or forms.Form(
        EDIT,
        forms.typed(
            source_url=camera.source_url,
            location=camera.location,
            purpose=camera.purpose,
            segment_seconds=str(camera.segment_seconds),
            priority=str(camera.priority),
            no_check="",
        ),
    )
    return render(
        request,
        "camera.html",
        status_code=form.status,
        principal=caller.principal,
        camera=camera,
        zones=len(cameras.list_zones(db, name)),
        can_manage=is_admitted(caller.role, Permission.MANAGE_CAMERAS),
        can_view_live=is_admitted(caller.role, Permission.VIEW_LIVE),
        form=form,
    )


PUBLIC_ENTRY = "public"


@router.post("/cameras/{name}/public")
def public_entry(
    name: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    latitude: Annotated[str, Form()] = "",
    longitude: Annotated[str, Form()] = "",
    signage: Annotated[str, Form()] = "",
    contact: Annotated[str, Form()] = "",
) -> Response:
    """What the public camera register says of a camera: its place, signs and contact."""
    form = forms.Form(
        PUBLIC_ENTRY,
        forms.typed(latitude=latitude, longitude=longitude, signage=signage, contact=contact),
    )

    def _save() -> object:
        data = CameraUpdate.model_validate(
            {
                "latitude": latitude.strip() or None,
                "longitude": longitude.strip() or None,
                "signage": signage.strip(),
                "contact": contact.strip(),
            }
        )
        return cameras.update_camera(caller.call(db, runtime), name, data)

    return forms.act(
        db,
        form,
        _save,
        lambda _: f"/cameras/{name}",
        lambda refused: _camera_page(request, db, caller, name, refused),
    )


@router.get("/cameras/{name}")
def camera_page(name: str, request: Request, db: DbSession, caller: CameraViewer) -> Response:
    """One camera: what is registered of it, and a form to change it."""
    return _camera_page(request, db, caller, name)


@router.post("/cameras/{name}/edit")
def edit_camera(
    name: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    source_url: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    segment_seconds: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    no_check: Annotated[str, Form()] = "",
) -> Response:
    """Change a camera from its page; a new source is tried first unless told not to.

    The form shows the source with its password masked; sent back unchanged, it leaves the
    source as it is.
    """
    form = forms.Form(
        EDIT,
        forms.typed(
            source_url=source_url,
            location=location,
            purpose=purpose,
            segment_seconds=segment_seconds,
            priority=priority,
            no_check=no_check,
        ),
    )

    def _edit() -> object:
        current = cameras.get_camera(db, name).source_url
        typed_source = source_url.strip()
        new_source: str | None = None
        if typed_source and typed_source not in (current, redact_source(current)):
            try:
                new_source = normalise_source(typed_source)
            except ValueError as error:
                raise InvalidInput(str(error), field="source_url") from None
            if new_source == current:
                new_source = None
        try:
            seconds = int(segment_seconds.strip()) if segment_seconds.strip() else None
        except ValueError:
            raise InvalidInput("a whole number of seconds", field="segment_seconds") from None
        try:
            rank = int(priority.strip()) if priority.strip() else None
        except ValueError:
            raise InvalidInput("a whole number from 0 to 100", field="priority") from None
        # Every value is checked before the source is tried: a slip is told at once.
        CameraUpdate.model_validate(
            {
                "location": location.strip(),
                "purpose": purpose.strip(),
                "segment_seconds": seconds,
                "priority": rank,
            }
        )
        if new_source is not None and not no_check:
            _check_source(db, new_source)
        return cameras.edit_camera(
            caller.call(db, runtime),
            name,
            source_url=new_source,
            location=location.strip(),
            purpose=purpose.strip(),
            segment_seconds=seconds,
            priority=rank,
        )

    return forms.act(
        db,
        form,
        _edit,
        lambda _: f"/cameras/{name}",
        lambda refused: _camera_page(request, db, caller, name, refused),
    )


def _status_change(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    name: str,
    status: CameraStatus,
    reason: str,
) -> Response:
    form = forms.Form(f"status:{name}", forms.typed(reason=reason))
    return forms.act(
        db,
        form,
        lambda: cameras.set_status(
            caller.call(db, runtime),
            name,
            status,
            StatusChange.model_validate({"reason": reason}).reason,
        ),
        lambda _: "/cameras",
        lambda refused: _cameras_page(request, db, caller, refused),
    )


@router.post("/cameras/{name}/suspend")
def suspend_camera(
    name: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Suspend a camera from the registry page."""
    return _status_change(request, db, runtime, caller, name, CameraStatus.SUSPENDED, reason)


@router.post("/cameras/{name}/activate")
def activate_camera(
    name: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Activate a camera from the registry page."""
    return _status_change(request, db, runtime, caller, name, CameraStatus.ACTIVE, reason)


ADD_ZONE = "zone"


def _zones_page(
    request: Request, db: DbSession, caller: Caller, name: str, form: forms.Form | None = None
) -> Response:
    form = form or forms.Form(ADD_ZONE)
    camera = cameras.get_camera(db, name)
    width, height = recording.picture_size(db, camera.id) or (16, 9)
    return render(
        request,
        "zones.html",
        status_code=form.status,
        principal=caller.principal,
        camera=CameraOut.model_validate(camera),
        zones=cameras.list_zones(db, name),
        can_manage=is_admitted(caller.role, Permission.MANAGE_CAMERAS),
        # The zones are drawn at the picture's own proportions, over a picture of it now for
        # those who may see the camera live (masked, as any live picture); others see a frame.
        aspect=height / width,
        still=is_admitted(caller.role, Permission.VIEW_LIVE) and camera.status.value == "active",
        form=form,
    )


@router.get("/cameras/{name}/zones")
def zones_page(name: str, request: Request, db: DbSession, caller: CameraViewer) -> Response:
    """A camera's privacy zones, drawn on an empty frame (no footage), with their reasons."""
    return _zones_page(request, db, caller, name)


@router.post("/cameras/{name}/zones")
def add_zone(
    name: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    zone: Annotated[str, Form()] = "",
    points: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Add a privacy zone from the form; a mistake comes back beside its field, input kept."""
    form = forms.Form(ADD_ZONE, forms.typed(zone=zone, points=points, reason=reason))

    def _add() -> object:
        try:
            corners = parse_points(points.strip())
        except ValueError as error:
            raise InvalidInput(f"Corners: {error}", field="points") from None
        data = ZoneCreate.model_validate(
            {"name": zone.strip(), "points": corners, "reason": reason.strip()}
        )
        return cameras.add_zone(caller.call(db, runtime), name, data.name, data.points, data.reason)

    return forms.act(
        db,
        form,
        _add,
        lambda _: f"/cameras/{name}/zones",
        lambda refused: _zones_page(request, db, caller, name, refused),
        forms.Placement(fields={"name": "zone"}, unnamed={Conflict: "zone"}),
    )


@router.post("/cameras/{name}/zones/{zone}/remove")
def remove_zone(
    name: str,
    zone: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Remove a privacy zone from the page; the reason is required."""
    form = forms.Form(f"remove:{zone}", forms.typed(reason=reason))
    return forms.act(
        db,
        form,
        lambda: cameras.remove_zone(
            caller.call(db, runtime),
            name,
            zone,
            ZoneRemoval.model_validate({"reason": reason.strip()}).reason,
        ),
        lambda _: f"/cameras/{name}/zones",
        lambda refused: _zones_page(request, db, caller, name, refused),
    )


@router.get("/cameras/{name}/live")
def live_page(name: str, request: Request, db: DbSession, caller: LiveViewer) -> Response:
    """A camera's live video, zones and faces masked; other cameras may be added beside it."""
    return _live(request, db, caller, [name])


# A grid of cameras shares the machine: each camera at a lower rate than alone.
LIVE_FPS, GRID_FPS, GRID_MOST = 10, 4, 4


@router.get("/live")
def live_grid(
    request: Request,
    db: DbSession,
    caller: LiveViewer,
    cameras_: Annotated[list[str], Query(alias="cameras", max_length=GRID_MOST)],
) -> Response:
    """Up to four cameras' live video side by side, each at a lower rate."""
    return _live(request, db, caller, list(dict.fromkeys(cameras_)))


def _live(request: Request, db: DbSession, caller: Caller, names: list[str]) -> Response:
    if not 1 <= len(names) <= GRID_MOST:
        raise InvalidInput(f"choose 1 to {GRID_MOST} cameras", field="cameras")
    shown = [CameraOut.model_validate(cameras.get_camera(db, name)) for name in names]
    active = [c.name for c in cameras.list_cameras(db) if c.status.value == "active"]
    return render(
        request,
        "live.html",
        principal=caller.principal,
        cameras=shown,
        zones={name: cameras.list_zones(db, name) for name in names},
        fps=LIVE_FPS if len(names) == 1 else GRID_FPS,
        others=[name for name in active if name not in names],
    )
