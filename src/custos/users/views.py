"""REST API of accounts: the caller's own, all of them for admins, and the account changes
that wait for a second person.

A change that would give an account power over footage (`users.policy`) answers 202 with the
request it filed instead of making the change; another admin or the data protection officer
confirms it (`POST /api/account-requests/{id}/confirm`, whose answer alone carries the
one-time password) or refuses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from custos.deps import (
    AccountConfirmer,
    DbSession,
    OwnAccount,
    RuntimeDep,
    SigningIn,
    UserManager,
    client_address,
)
from custos.http import Id, answers
from custos.users import factor, service
from custos.users.models import User
from custos.users.policy import ChangeKind, RequestStatus
from custos.users.schemas import (
    AccountChangeConfirmed,
    AccountOut,
    AccountRefusal,
    AccountRequestOut,
    CodeGive,
    CodeGiven,
    LockoutLift,
    LockoutOut,
    LockoutsLifted,
    MeOut,
    PasswordChange,
    PasswordIssued,
    RoleChange,
    TokenCreate,
    TokenIssued,
    UserCreate,
    UserCreated,
    UserOut,
    request_out,
)

router = APIRouter(prefix="/api", tags=["users"])


@router.get("/me", response_model=MeOut)
def me(db: DbSession, caller: OwnAccount) -> MeOut:
    """The caller's own account, and who last reset its password if they have not changed it."""
    return MeOut.model_validate(service.get_user(db, caller.principal.name), from_attributes=True)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    change: PasswordChange, db: DbSession, runtime: RuntimeDep, caller: OwnAccount
) -> Response:
    """Change the caller's own password."""
    service.change_own_password(
        caller.call(db, runtime),
        caller.principal,
        change.current_password,
        change.new_password,
        passwords=runtime.passwords,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/me/second-factor", response_model=CodeGiven, responses=answers(409))
def give_code(
    body: CodeGive, request: Request, db: DbSession, runtime: RuntimeDep, principal: SigningIn
) -> CodeGiven:
    """Send a code of the caller's authenticator app.

    An API token may then make changes that need a second factor (decisions on access, holds,
    account changes) for 15 minutes. A browser session gives its code when it signs in. A code
    is used once; five wrong ones revoke the token (or end the session). 409 when the account
    has no authenticator enrolled: that is done on the web, at sign-in.
    """
    given = factor.give_code(
        db,
        runtime.clock,
        principal,
        principal.actor(client_address(request)),
        body.code,
        sealer=runtime.sealer,
    )
    return CodeGiven(until=given.until)


@router.post(
    "/me/tokens",
    response_model=TokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses=answers(409),
)
def issue_own_token(
    request: TokenCreate, db: DbSession, runtime: RuntimeDep, caller: OwnAccount
) -> TokenIssued:
    """Issue an API token for the caller; it is shown once."""
    token, expires = service.issue_token(
        caller.call(db, runtime),
        caller.principal.name,
        label=request.label,
        days=request.days,
    )
    return TokenIssued(token=token, expires_at=expires)


def _account(db: Session, user: User, now: datetime) -> AccountOut:
    return AccountOut.model_validate(
        {
            **UserOut.model_validate(user).model_dump(),
            "lockouts": [
                LockoutOut.model_validate(lockout)
                for lockout in service.lockouts(db, now, user.name)
            ],
        }
    )


@router.get("/users", response_model=list[AccountOut])
def list_users(db: DbSession, runtime: RuntimeDep, _caller: UserManager) -> list[AccountOut]:
    """Every account, with the lock-outs in force on it."""
    now = runtime.clock.now()
    return [_account(db, u, now) for u in service.list_users(db)]


ASKED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": AccountRequestOut,
        "description": "The change needs a second person: the request filed, waiting.",
    }
}


def _waiting(changed: service.Changed) -> Response | None:
    """The 202 answer of a change filed as a request, or None if it was made."""
    if changed.request is None:
        return None
    body = request_out(changed.request).model_dump(mode="json")
    return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/users",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    responses={**ASKED, **answers(409)},
)
def create_user(
    data: UserCreate, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> UserCreated | Response:
    """Create an account, or ask for it (202) when its role needs a second person.

    The one-time password of an account created at once is in the answer and nowhere else.
    """
    changed = service.make_or_ask(
        caller.call(db, runtime),
        ChangeKind.CREATE,
        data.name,
        role=data.role,
        display_name=data.display_name,
        passwords=runtime.passwords,
    )
    waiting = _waiting(changed)
    if waiting is not None:
        return waiting
    assert changed.user is not None
    assert changed.password is not None
    return UserCreated(user=UserOut.model_validate(changed.user), password=changed.password)


@router.get("/users/{name}", response_model=AccountOut)
def get_user(name: str, db: DbSession, runtime: RuntimeDep, _caller: UserManager) -> AccountOut:
    """One account, with the lock-outs in force on it."""
    return _account(db, service.get_user(db, name), runtime.clock.now())


@router.post("/users/{name}/disable", response_model=UserOut, responses=answers(409))
def disable_user(name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager) -> UserOut:
    """Disable an account and end its sessions and tokens."""
    return UserOut.model_validate(service.set_active(caller.call(db, runtime), name, False))


@router.post("/users/{name}/enable", response_model=UserOut, responses=ASKED)
def enable_user(
    name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> UserOut | Response:
    """Enable a disabled account, or ask for it (202) when its role needs a second person."""
    changed = service.make_or_ask(
        caller.call(db, runtime), ChangeKind.ENABLE, name, passwords=runtime.passwords
    )
    return _waiting(changed) or UserOut.model_validate(changed.user)


@router.post("/users/{name}/role", response_model=UserOut, responses=ASKED)
def change_role(
    name: str, data: RoleChange, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> UserOut | Response:
    """Give an account another role, or ask for it (202) when the role needs a second person.

    A role made at once is one without power over footage; the account keeps its password.
    """
    changed = service.make_or_ask(
        caller.call(db, runtime),
        ChangeKind.ROLE,
        name,
        role=data.role,
        passwords=runtime.passwords,
    )
    return _waiting(changed) or UserOut.model_validate(changed.user)


@router.post("/users/{name}/reset-password", response_model=PasswordIssued, responses=ASKED)
def reset_password(
    name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> PasswordIssued | Response:
    """Give an account a one-time password, or ask for it (202) when its role needs a second
    person. The account's sessions and tokens end with the reset."""
    changed = service.make_or_ask(
        caller.call(db, runtime), ChangeKind.RESET, name, passwords=runtime.passwords
    )
    waiting = _waiting(changed)
    if waiting is not None:
        return waiting
    assert changed.password is not None
    return PasswordIssued(password=changed.password)


@router.post("/users/{name}/reset-factor", response_model=UserOut, responses=ASKED)
def reset_factor(
    name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> UserOut | Response:
    """Remove an account's second factor (a lost phone), or ask for it (202) when its role
    needs a second person. The account's sessions and tokens end; it enrols anew at sign-in."""
    changed = service.make_or_ask(
        caller.call(db, runtime), ChangeKind.RESET_FACTOR, name, passwords=runtime.passwords
    )
    return _waiting(changed) or UserOut.model_validate(changed.user)


@router.get("/account-requests", response_model=list[AccountRequestOut])
def list_account_requests(
    db: DbSession, _caller: AccountConfirmer, status: RequestStatus | None = None
) -> list[AccountRequestOut]:
    """Account-change requests, the latest first (of one status, if given)."""
    return [request_out(asked) for asked in service.list_requests(db, status)]


@router.get("/account-requests/{request_id}", response_model=AccountRequestOut)
def get_account_request(
    request_id: Id, db: DbSession, _caller: AccountConfirmer
) -> AccountRequestOut:
    """One account-change request (never a password)."""
    return request_out(service.get_request(db, request_id))


@router.post(
    "/account-requests/{request_id}/confirm",
    response_model=AccountChangeConfirmed,
    responses=answers(409),
)
def confirm_account_request(
    request_id: Id, db: DbSession, runtime: RuntimeDep, caller: AccountConfirmer
) -> AccountChangeConfirmed:
    """Confirm another's request as its second person: the change is made now, and the one-time
    password it issues is in this answer alone. The one who asked, or the account concerned,
    is refused (403)."""
    confirmed = service.confirm_request(
        caller.call(db, runtime), request_id, passwords=runtime.passwords
    )
    return AccountChangeConfirmed(
        request=request_out(confirmed.request),
        user=UserOut.model_validate(confirmed.user),
        password=confirmed.password,
    )


@router.post(
    "/account-requests/{request_id}/refuse",
    response_model=AccountRequestOut,
    responses=answers(409),
)
def refuse_account_request(
    request_id: Id,
    data: AccountRefusal,
    db: DbSession,
    runtime: RuntimeDep,
    caller: AccountConfirmer,
) -> AccountRequestOut:
    """Refuse another's request, with a reason; the account stays as it is."""
    return request_out(service.refuse_request(caller.call(db, runtime), request_id, data.reason))


@router.post("/users/{name}/unlock", response_model=LockoutsLifted, responses=answers(409))
def unlock_user(
    name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> LockoutsLifted:
    """Lift every lock-out of an account, from whichever addresses; 409 if there is none."""
    lifted = service.lift_account_lockout(caller.call(db, runtime), name)
    return LockoutsLifted(user=name, addresses=lifted)


@router.get("/lockouts", response_model=list[LockoutOut])
def list_lockouts(db: DbSession, runtime: RuntimeDep, _caller: UserManager) -> list[LockoutOut]:
    """Every sign-in lock-out in force: of accounts at one address, and of whole addresses."""
    return [LockoutOut.model_validate(x) for x in service.lockouts(db, runtime.clock.now())]


@router.post("/lockouts/lift", status_code=status.HTTP_204_NO_CONTENT, responses=answers(404))
def lift_lockout(
    data: LockoutLift, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> Response:
    """Lift one lock-out: an address's own (no user), or one account's at that address."""
    service.lift_lockout(caller.call(db, runtime), data.address, data.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
