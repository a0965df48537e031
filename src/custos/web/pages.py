"""Server-rendered pages for people: sign-in, cameras, users, own account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from custos.audit import checkpoint as checkpoints
from custos.audit import log as audit_log
from custos.audit.policy import Action, Outcome
from custos.audit.service import EntryFilter, read_entries
from custos.cameras import service as cameras
from custos.cameras.policy import CameraCategory, CameraStatus, SensitivityTag, parse_points
from custos.cameras.schemas import CameraCreate, CameraOut
from custos.deps import (
    PUBLIC,
    SESSION_COOKIE,
    Caller,
    DbSession,
    RuntimeDep,
    admits,
    client_address,
)
from custos.errors import Conflict, CustosError, InvalidInput, Unauthenticated
from custos.permissions import Permission, Role, is_admitted
from custos.users import service as users
from custos.users.schemas import UserCreate
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

Self = Annotated[Caller, admits(Permission.OWN_ACCOUNT)]
Viewer = Annotated[Caller, admits(Permission.VIEW_CAMERAS)]
CameraManager = Annotated[Caller, admits(Permission.MANAGE_CAMERAS)]
Admin = Annotated[Caller, admits(Permission.MANAGE_USERS)]
LiveViewer = Annotated[Caller, admits(Permission.VIEW_LIVE)]
Auditor = Annotated[Caller, admits(Permission.READ_AUDIT)]


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect after sign-in is a phishing aid.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/cameras"


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def validation_messages(error: ValidationError) -> dict[str, str]:
    """One readable message per field of a failed validation."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "form"
        messages.setdefault(field, item["msg"].removeprefix("Value error, "))
    return messages


@router.get("/", dependencies=[PUBLIC])
def home() -> Response:
    """The front door leads to the cameras page (or to sign-in)."""
    return _see_other("/cameras")


@router.get("/login", dependencies=[PUBLIC])
def login_page(request: Request, next: str = "/cameras") -> Response:
    """The sign-in form."""
    return render(request, "login.html", next=_safe_next(next), error=None, principal=None)


@router.post("/login", dependencies=[PUBLIC])
def login(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/cameras",
) -> Response:
    """Check the password, open a session, set the cookie."""
    settings = runtime.settings
    try:
        principal, cookie = users.login(
            db,
            runtime.clock,
            name.strip(),
            password,
            client_address(request),
            timedelta(hours=settings.session_hours),
        )
    except Unauthenticated as error:
        return render(
            request,
            "login.html",
            status_code=401,
            next=_safe_next(next),
            error=error.message,
            principal=None,
            name=name,
        )
    target = "/account" if principal.must_change_password else _safe_next(next)
    response = _see_other(target)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(settings.session_hours * 3600),
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout", dependencies=[PUBLIC])
def logout(request: Request, db: DbSession, runtime: RuntimeDep) -> Response:
    """End the session and clear the cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        users.logout(db, runtime.clock, cookie, client_address(request))
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _cameras_page(
    request: Request,
    db: DbSession,
    caller: Caller,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, object] | None = None,
) -> Response:
    return render(
        request,
        "cameras.html",
        status_code=status_code,
        principal=caller.principal,
        cameras=[CameraOut.model_validate(c) for c in cameras.list_cameras(db)],
        can_manage=is_admitted(caller.role, Permission.MANAGE_CAMERAS),
        can_view_live=is_admitted(caller.role, Permission.VIEW_LIVE),
        categories=list(CameraCategory),
        tags=list(SensitivityTag),
        errors=errors or {},
        form=form or {},
    )


@router.get("/cameras")
def cameras_page(request: Request, db: DbSession, caller: Viewer) -> Response:
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
) -> Response:
    """Register a camera from the form; errors come back beside the fields."""
    form: dict[str, object] = {
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
    try:
        data = CameraCreate.model_validate(form)
        cameras.register_camera(db, runtime.clock, caller.actor, data)
    except ValidationError as error:
        return _cameras_page(request, db, caller, 422, validation_messages(error), form)
    except (Conflict, InvalidInput) as error:
        return _cameras_page(
            request,
            db,
            caller,
            409 if isinstance(error, Conflict) else 422,
            {"name": error.message},
            form,
        )
    return _see_other("/cameras")


def _zones_page(
    request: Request,
    db: DbSession,
    caller: Caller,
    name: str,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "zones.html",
        status_code=status_code,
        principal=caller.principal,
        camera=CameraOut.model_validate(cameras.get_camera(db, name)),
        zones=cameras.list_zones(db, name),
        can_manage=is_admitted(caller.role, Permission.MANAGE_CAMERAS),
        error=error,
        form=form or {},
    )


@router.get("/cameras/{name}/zones")
def zones_page(name: str, request: Request, db: DbSession, caller: Viewer) -> Response:
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
    """Add a privacy zone from the form; a mistake comes back above the form, input kept."""
    form = {"zone": zone.strip(), "points": points.strip(), "reason": reason.strip()}
    try:
        corners = parse_points(form["points"])
        cameras.add_zone(
            db, runtime.clock, caller.actor, name, form["zone"], corners, form["reason"]
        )
    except ValueError as error:
        return _zones_page(request, db, caller, name, 422, f"Corners: {error}", form)
    except (Conflict, InvalidInput) as error:
        status_code = 409 if isinstance(error, Conflict) else 422
        return _zones_page(request, db, caller, name, status_code, error.message, form)
    return _see_other(f"/cameras/{name}/zones")


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
    try:
        cameras.remove_zone(db, runtime.clock, caller.actor, name, zone, reason)
    except InvalidInput as error:
        return _zones_page(request, db, caller, name, 422, error.message)
    return _see_other(f"/cameras/{name}/zones")


@router.get("/cameras/{name}/live")
def live_page(name: str, request: Request, db: DbSession, caller: LiveViewer) -> Response:
    """A camera's live picture, refreshed every few seconds; zones and faces masked."""
    return render(
        request,
        "live.html",
        principal=caller.principal,
        camera=CameraOut.model_validate(cameras.get_camera(db, name)),
        zones=cameras.list_zones(db, name),
    )


@router.post("/cameras/{name}/suspend")
def suspend_camera(
    name: str,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Suspend a camera from the registry page."""
    cameras.set_status(db, runtime.clock, caller.actor, name, CameraStatus.SUSPENDED, reason)
    return _see_other("/cameras")


@router.post("/cameras/{name}/activate")
def activate_camera(
    name: str,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CameraManager,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Activate a camera from the registry page."""
    cameras.set_status(db, runtime.clock, caller.actor, name, CameraStatus.ACTIVE, reason)
    return _see_other("/cameras")


def _users_page(
    request: Request,
    db: DbSession,
    caller: Caller,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    issued: tuple[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "users.html",
        status_code=status_code,
        principal=caller.principal,
        users=users.list_users(db),
        roles=list(Role),
        errors=errors or {},
        issued=issued,
        form=form or {},
    )


@router.get("/users")
def users_page(request: Request, db: DbSession, caller: Admin) -> Response:
    """Accounts, for admins."""
    return _users_page(request, db, caller)


@router.post("/users")
def create_user(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Admin,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
) -> Response:
    """Create an account and show its one-time password once."""
    form = {"name": name.strip(), "role": role, "display_name": display_name.strip()}
    try:
        data = UserCreate.model_validate(form)
        user, password = users.create_user(
            db,
            runtime.clock,
            caller.actor,
            name=data.name,
            role=data.role,
            display_name=data.display_name,
        )
    except ValidationError as error:
        return _users_page(request, db, caller, 422, validation_messages(error), form=form)
    except Conflict as error:
        return _users_page(request, db, caller, 409, {"name": error.message}, form=form)
    assert password is not None
    return _users_page(request, db, caller, 201, issued=(user.name, password))


@router.post("/users/{name}/disable")
def disable_user(name: str, db: DbSession, runtime: RuntimeDep, caller: Admin) -> Response:
    """Disable an account from the users page."""
    users.set_active(db, runtime.clock, caller.actor, name, False)
    return _see_other("/users")


@router.post("/users/{name}/enable")
def enable_user(name: str, db: DbSession, runtime: RuntimeDep, caller: Admin) -> Response:
    """Enable an account from the users page."""
    users.set_active(db, runtime.clock, caller.actor, name, True)
    return _see_other("/users")


@router.post("/users/{name}/reset-password")
def reset_password(
    request: Request, name: str, db: DbSession, runtime: RuntimeDep, caller: Admin
) -> Response:
    """Give an account a one-time password and show it once."""
    password = users.reset_password(db, runtime.clock, caller.actor, name)
    return _users_page(request, db, caller, issued=(name, password))


def _account_page(
    request: Request,
    db: DbSession,
    caller: Caller,
    status_code: int = 200,
    error: str | None = None,
    token: str | None = None,
) -> Response:
    return render(
        request,
        "account.html",
        status_code=status_code,
        principal=caller.principal,
        user=users.get_user(db, caller.principal.name),
        error=error,
        token=token,
    )


@router.get("/account")
def account_page(request: Request, db: DbSession, caller: Self) -> Response:
    """The caller's own account: password and API tokens."""
    return _account_page(request, db, caller)


@router.post("/account/password")
def change_password(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Self,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    """Change the caller's own password."""
    if new_password != confirm_password:
        return _account_page(request, db, caller, 422, error="the two new passwords differ")
    try:
        users.change_own_password(
            db, runtime.clock, caller.principal, caller.actor, current_password, new_password
        )
    except CustosError as error:
        return _account_page(request, db, caller, 422, error=error.message)
    return _see_other("/cameras")


@router.post("/account/tokens")
def issue_token(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Self,
    label: Annotated[str, Form()] = "",
) -> Response:
    """Issue an API token for the caller and show it once."""
    token, _expires = users.issue_token(
        db, runtime.clock, caller.actor, caller.principal.name, label=label.strip()[:128]
    )
    return _account_page(request, db, caller, 201, token=token)


@router.get("/audit")
def audit_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Auditor,
    event: str = "",
    action: str = "",
    actor: str = "",
    object_id: str = "",
    outcome: str = "",
    since: str = "",
    until: str = "",
    before: int | None = None,
) -> Response:
    """The audit log for oversight: size, checkpoints and cosignatures, and an entry browser."""
    try:
        where = EntryFilter(
            event=event or None,
            action=action or None,
            actor=actor or None,
            object_id=object_id or None,
            outcome=outcome or None,
            since=_day(since),
            until=_day(until, end=True),
            before_seq=before,
        )
    except ValueError:
        raise InvalidInput("dates are YYYY-MM-DD") from None
    page_size = 50
    found = read_entries(db, runtime.clock, caller.actor, where, page_size + 1)
    recent = checkpoints.recent_checkpoints(db, 10)
    return render(
        request,
        "audit.html",
        principal=caller.principal,
        size=audit_log.size(db),
        origin=audit_log.origin(db),
        vkey=checkpoints.log_signer(db, runtime.log_key).verifier.vkey(),
        checkpoints=[(c, checkpoints.cosignatures(db, c)) for c in recent],
        entries=found[:page_size],
        more=found[page_size - 1].seq if len(found) > page_size else None,
        filters={
            "event": event,
            "action": action,
            "actor": actor,
            "object_id": object_id,
            "outcome": outcome,
            "since": since,
            "until": until,
        },
        actions=[a.value for a in Action],
        outcomes=[o.value for o in Outcome],
    )


def _day(text: str, end: bool = False) -> datetime | None:
    if not text:
        return None
    day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    return day + timedelta(days=1) if end else day
