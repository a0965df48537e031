"""Pages of accounts: the users page, and everyone's own account.

The users page is the admins' list of accounts and the place where account changes that need a
second person wait: admins and the data protection officer see them there, and whoever may
decide one (not the one who asked, not the account concerned) confirms or refuses it. The one
who confirms is shown the one-time password the change issues; the one who asked sees the
request waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from custos.deps import AccountConfirmer, Caller, DbSession, OwnAccount, RuntimeDep, UserManager
from custos.errors import Conflict, InvalidInput
from custos.http import Id
from custos.permissions import SECOND_FACTOR_ROLES, Permission, Role, is_admitted
from custos.users import policy as account_rules
from custos.users import service as users
from custos.users.models import AccountRequest
from custos.users.policy import ChangeKind, RequestStatus
from custos.users.schemas import AccountRefusal, PasswordChange, RoleChange, TokenCreate, UserCreate
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

ADD_USER = "user"
REQUESTS = "/users#account-requests"


def _users_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    form: forms.Form | None = None,
    issued: tuple[str, str] | None = None,
    filed: AccountRequest | None = None,
    status_code: int | None = None,
) -> Response:
    form = form or forms.Form(ADD_USER)
    lockouts = users.lockouts(db, runtime.clock.now())
    lockouts_of: dict[str, list[users.Lockout]] = {}
    for lockout in lockouts:
        if lockout.user is not None:
            lockouts_of.setdefault(lockout.user, []).append(lockout)
    waiting = users.list_requests(db, RequestStatus.PENDING)
    return render(
        request,
        "users.html",
        status_code=status_code or form.status,
        principal=caller.principal,
        manages=is_admitted(caller.role, Permission.MANAGE_USERS),
        users=users.list_users(db),
        roles=list(Role),
        issued=issued,
        filed=filed,
        form=form,
        waiting=waiting,
        why_not={r.id: users.decision_problem(caller.actor, r) for r in waiting},
        waiting_on={r.user_name for r in waiting},
        described=CHANGES,
        guarded=", ".join(sorted(r.value for r in account_rules.GUARDED_ROLES)),
        lockouts=lockouts,
        lockouts_of=lockouts_of,
        lockout_minutes=int(account_rules.LOCKOUT.total_seconds() // 60),
        address_failures=account_rules.ADDRESS_FAILURES,
        factor_roles={role.value for role in SECOND_FACTOR_ROLES},
    )


# How the page names each change, with the role the account will have.
CHANGES = {
    ChangeKind.CREATE: "a new account with the {role} role",
    ChangeKind.ROLE: "the {role} role, in place of {before}",
    ChangeKind.ENABLE: "enabled again, with the {role} role",
    ChangeKind.RESET: "a new password, with the {role} role",
    ChangeKind.RESET_FACTOR: "its second factor removed, with the {role} role",
}


@router.get("/users")
def users_page(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: AccountConfirmer
) -> Response:
    """Accounts, and the account changes that wait for a second person (admins and the DPO)."""
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
    """Create an account and show its one-time password once, or ask a second person for it."""
    form = forms.Form(ADD_USER, forms.typed(name=name, role=role, display_name=display_name))

    def _create() -> users.Changed:
        data = UserCreate.model_validate(
            {"name": name.strip(), "role": role, "display_name": display_name.strip()}
        )
        return users.make_or_ask(
            caller.call(db, runtime),
            ChangeKind.CREATE,
            data.name,
            role=data.role,
            display_name=data.display_name,
            passwords=runtime.passwords,
        )

    def _done(changed: users.Changed) -> Response:
        if changed.request is not None:
            return _users_page(request, db, runtime, caller, filed=changed.request, status_code=202)
        assert changed.user is not None
        assert changed.password is not None
        issued = (changed.user.name, changed.password)
        return _users_page(request, db, runtime, caller, issued=issued, status_code=201)

    return forms.act(
        db,
        form,
        _create,
        _done,
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
    """Enable an account from the users page, or ask a second person to."""
    return forms.act(
        db,
        forms.Form(f"account:{name}"),
        lambda: users.make_or_ask(
            caller.call(db, runtime), ChangeKind.ENABLE, name, passwords=runtime.passwords
        ),
        lambda changed: REQUESTS if changed.request is not None else "/users",
        lambda refused: _users_page(request, db, runtime, caller, refused),
    )


@router.post("/users/{name}/role")
def change_role(
    name: str,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: UserManager,
    role: Annotated[str, Form()] = "",
) -> Response:
    """Give an account another role from the users page, or ask a second person to."""

    def _change() -> users.Changed:
        data = RoleChange.model_validate({"role": role})
        return users.make_or_ask(
            caller.call(db, runtime),
            ChangeKind.ROLE,
            name,
            role=data.role,
            passwords=runtime.passwords,
        )

    return forms.act(
        db,
        forms.Form(f"account:{name}", forms.typed(role=role)),
        _change,
        lambda changed: REQUESTS if changed.request is not None else "/users",
        lambda refused: _users_page(request, db, runtime, caller, refused),
    )


@router.post("/users/{name}/reset-password")
def reset_password(
    request: Request, name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> Response:
    """Give an account a one-time password and show it once, or ask a second person to."""

    def _done(changed: users.Changed) -> Response | str:
        if changed.request is not None:
            return REQUESTS
        assert changed.password is not None
        return _users_page(request, db, runtime, caller, issued=(name, changed.password))

    return forms.act(
        db,
        forms.Form(f"account:{name}"),
        lambda: users.make_or_ask(
            caller.call(db, runtime), ChangeKind.RESET, name, passwords=runtime.passwords
        ),
        _done,
        lambda refused: _users_page(request, db, runtime, caller, refused),
    )


@router.post("/users/{name}/reset-factor")
def reset_factor(
    request: Request, name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> Response:
    """Ask a second person to remove an account's second factor (a lost phone)."""
    return forms.act(
        db,
        forms.Form(f"account:{name}"),
        lambda: users.make_or_ask(
            caller.call(db, runtime), ChangeKind.RESET_FACTOR, name, passwords=runtime.passwords
        ),
        lambda changed: REQUESTS if changed.request is not None else "/users",
        lambda refused: _users_page(request, db, runtime, caller, refused),
    )


@router.post("/users/requests/{request_id}/confirm")
def confirm_request(
    request_id: Id, request: Request, db: DbSession, runtime: RuntimeDep, caller: AccountConfirmer
) -> Response:
    """Confirm another's account change and show its one-time password, once, to the confirmer."""

    def _done(confirmed: users.Confirmed) -> Response | str:
        if confirmed.password is None:
            return "/users"
        issued = (confirmed.user.name, confirmed.password)
        return _users_page(request, db, runtime, caller, issued=issued)

    return forms.act(
        db,
        forms.Form(f"request:{request_id}"),
        lambda: users.confirm_request(
            caller.call(db, runtime), request_id, passwords=runtime.passwords
        ),
        _done,
        lambda refused: _users_page(request, db, runtime, caller, refused),
    )


@router.post("/users/requests/{request_id}/refuse")
def refuse_request(
    request_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: AccountConfirmer,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Refuse another's account change, with a reason."""

    def _refuse() -> AccountRequest:
        data = AccountRefusal.model_validate({"reason": reason.strip()})
        return users.refuse_request(caller.call(db, runtime), request_id, data.reason)

    return forms.act(
        db,
        forms.Form(f"request:{request_id}", forms.typed(reason=reason)),
        _refuse,
        lambda _: REQUESTS,
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
