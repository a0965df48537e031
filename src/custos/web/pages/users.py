"""Pages of accounts: the admins' list of users, and everyone's own account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from custos.deps import Caller, DbSession, OwnAccount, RuntimeDep, UserManager
from custos.errors import Conflict, InvalidInput
from custos.permissions import Role
from custos.users import policy as account_rules
from custos.users import service as users
from custos.users.schemas import PasswordChange, TokenCreate, UserCreate
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

ADD_USER = "user"


def _users_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    form: forms.Form | None = None,
    issued: tuple[str, str] | None = None,
    status_code: int | None = None,
) -> Response:
    form = form or forms.Form(ADD_USER)
    lockouts = users.lockouts(db, runtime.clock.now())
    lockouts_of: dict[str, list[users.Lockout]] = {}
    for lockout in lockouts:
        if lockout.user is not None:
            lockouts_of.setdefault(lockout.user, []).append(lockout)
    return render(
        request,
        "users.html",
        status_code=status_code or form.status,
        principal=caller.principal,
        users=users.list_users(db),
        roles=list(Role),
        issued=issued,
        form=form,
        lockouts=lockouts,
        lockouts_of=lockouts_of,
        lockout_minutes=int(account_rules.LOCKOUT.total_seconds() // 60),
        address_failures=account_rules.ADDRESS_FAILURES,
    )


@router.get("/users")
def users_page(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> Response:
    """Accounts, for admins."""
    return _users_page(request, db, runtime, caller)


@router.post("/users")
def create_user(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: UserManager,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
) -> Response:
    """Create an account and show its one-time password once."""
    form = forms.Form(ADD_USER, forms.typed(name=name, role=role, display_name=display_name))

    def _create() -> tuple[str, str]:
        data = UserCreate.model_validate(
            {"name": name.strip(), "role": role, "display_name": display_name.strip()}
        )
        user, password = users.create_user(
            caller.call(db, runtime),
            name=data.name,
            role=data.role,
            display_name=data.display_name,
            passwords=runtime.passwords,
        )
        assert password is not None
        return user.name, password

    return forms.act(
        db,
        form,
        _create,
        lambda issued: _users_page(request, db, runtime, caller, issued=issued, status_code=201),
        lambda refused: _users_page(request, db, runtime, caller, refused),
        forms.Placement(unnamed={Conflict: "name"}),
    )


def _on_users_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    name: str,
    action: Callable[[], object],
) -> Response:
    return forms.act(
        db,
        forms.Form(f"account:{name}"),
        action,
        lambda _: "/users",
        lambda refused: _users_page(request, db, runtime, caller, refused),
    )


@router.post("/users/{name}/disable")
def disable_user(
    name: str, request: Request, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> Response:
    """Disable an account from the users page."""
    return _on_users_page(
        request,
        db,
        runtime,
        caller,
        name,
        lambda: users.set_active(caller.call(db, runtime), name, False),
    )


@router.post("/users/{name}/enable")
def enable_user(
    name: str, request: Request, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> Response:
    """Enable an account from the users page."""
    return _on_users_page(
        request,
        db,
        runtime,
        caller,
        name,
        lambda: users.set_active(caller.call(db, runtime), name, True),
    )


@router.post("/users/{name}/reset-password")
def reset_password(
    request: Request, name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> Response:
    """Give an account a one-time password and show it once."""
    return forms.act(
        db,
        forms.Form(f"account:{name}"),
        lambda: users.reset_password(caller.call(db, runtime), name, passwords=runtime.passwords),
        lambda password: _users_page(request, db, runtime, caller, issued=(name, password)),
        lambda refused: _users_page(request, db, runtime, caller, refused),
    )


@router.post("/users/{name}/unlock")
def unlock_user(
    name: str, request: Request, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> Response:
    """Lift every lock-out of an account from the users page."""
    return _on_users_page(
        request,
        db,
        runtime,
        caller,
        name,
        lambda: users.lift_account_lockout(caller.call(db, runtime), name),
    )


@router.post("/users/lockouts/lift")
def lift_lockout(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: UserManager,
    address: Annotated[str, Form()] = "",
    user: Annotated[str, Form()] = "",
) -> Response:
    """Lift one lock-out listed on the users page."""
    return forms.act(
        db,
        forms.Form("lockouts"),
        lambda: users.lift_lockout(caller.call(db, runtime), address.strip(), user.strip() or None),
        lambda _: "/users#lockouts",
        lambda refused: _users_page(request, db, runtime, caller, refused),
    )


CHANGE = "change-password"
ISSUE = "issue-token"


def _account_page(
    request: Request,
    db: DbSession,
    caller: Caller,
    form: forms.Form | None = None,
    token: str | None = None,
    status_code: int | None = None,
) -> Response:
    form = form or forms.Form(CHANGE)
    return render(
        request,
        "account.html",
        status_code=status_code or form.status,
        principal=caller.principal,
        user=users.get_user(db, caller.principal.name),
        form=form,
        token=token,
        token_days=account_rules.DEFAULT_TOKEN_DAYS,
    )


@router.get("/account")
def account_page(request: Request, db: DbSession, caller: OwnAccount) -> Response:
    """The caller's own account: password and API tokens."""
    return _account_page(request, db, caller)


@router.post("/account/password")
def change_password(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: OwnAccount,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    """Change the caller's own password (passwords typed are never sent back to the page)."""
    form = forms.Form(
        CHANGE, forms.typed(current_password="", new_password="", confirm_password="")
    )

    def _change() -> None:
        if new_password != confirm_password:
            raise InvalidInput("the two new passwords differ", field="confirm_password")
        data = PasswordChange(current_password=current_password, new_password=new_password)
        users.change_own_password(
            caller.call(db, runtime),
            caller.principal,
            data.current_password,
            data.new_password,
            passwords=runtime.passwords,
        )

    return forms.act(
        db,
        form,
        _change,
        lambda _: "/cameras",
        lambda refused: _account_page(request, db, caller, refused),
        forms.Placement(fields={"password": "new_password"}),
    )


@router.post("/account/tokens")
def issue_token(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: OwnAccount,
    label: Annotated[str, Form()] = "",
) -> Response:
    """Issue an API token for the caller and show it once."""
    form = forms.Form(ISSUE, forms.typed(label=label))

    def _issue() -> str:
        data = TokenCreate(label=label.strip()[:128])
        token, _expires = users.issue_token(
            caller.call(db, runtime), caller.principal.name, label=data.label
        )
        return token

    return forms.act(
        db,
        form,
        _issue,
        lambda token: _account_page(request, db, caller, token=token, status_code=201),
        lambda refused: _account_page(request, db, caller, refused),
    )
