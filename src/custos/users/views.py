"""REST API of accounts: the caller's own, and all of them for admins."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from custos.deps import DbSession, OwnAccount, RuntimeDep, UserManager
from custos.http import answers
from custos.users import service
from custos.users.models import User
from custos.users.schemas import (
    AccountOut,
    LockoutLift,
    LockoutOut,
    LockoutsLifted,
    PasswordChange,
    PasswordIssued,
    TokenCreate,
    TokenIssued,
    UserCreate,
    UserCreated,
    UserOut,
)

router = APIRouter(prefix="/api", tags=["users"])


@router.get("/me", response_model=UserOut)
def me(db: DbSession, caller: OwnAccount) -> UserOut:
    """The caller's own account."""
    return UserOut.model_validate(service.get_user(db, caller.principal.name))


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


@router.post(
    "/users",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    responses=answers(409),
)
def create_user(
    data: UserCreate, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> UserCreated:
    """Create an account; the one-time password is in the answer and nowhere else."""
    user, password = service.create_user(
        caller.call(db, runtime),
        name=data.name,
        role=data.role,
        display_name=data.display_name,
        passwords=runtime.passwords,
    )
    assert password is not None
    return UserCreated(user=UserOut.model_validate(user), password=password)


@router.get("/users/{name}", response_model=AccountOut)
def get_user(name: str, db: DbSession, runtime: RuntimeDep, _caller: UserManager) -> AccountOut:
    """One account, with the lock-outs in force on it."""
    return _account(db, service.get_user(db, name), runtime.clock.now())


@router.post("/users/{name}/disable", response_model=UserOut, responses=answers(409))
def disable_user(name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager) -> UserOut:
    """Disable an account and end its sessions and tokens."""
    return UserOut.model_validate(service.set_active(caller.call(db, runtime), name, False))


@router.post("/users/{name}/enable", response_model=UserOut)
def enable_user(name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager) -> UserOut:
    """Enable a disabled account."""
    return UserOut.model_validate(service.set_active(caller.call(db, runtime), name, True))


@router.post("/users/{name}/reset-password", response_model=PasswordIssued)
def reset_password(
    name: str, db: DbSession, runtime: RuntimeDep, caller: UserManager
) -> PasswordIssued:
    """Give an account a one-time password that must be changed at the next sign-in."""
    password = service.reset_password(caller.call(db, runtime), name, passwords=runtime.passwords)
    return PasswordIssued(password=password)


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
