"""Pydantic shapes of user input and output."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from custos.permissions import Role
from custos.users.policy import (
    DEFAULT_TOKEN_DAYS,
    MAX_TOKEN_DAYS,
    ChangeKind,
    RequestStatus,
    username_problem,
)

if TYPE_CHECKING:
    from custos.users.models import AccountRequest


class UserCreate(BaseModel):
    """A new account; the password is generated, never chosen by the admin."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Sign-in name: lowercase letters, digits, '.', '_', '-'.")
    role: Role
    display_name: str = Field(default="", max_length=128)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        problem = username_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class UserOut(BaseModel):
    """An account as others may see it: never a hash or a token."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime
    second_factor: bool = Field(
        description="Whether the account has enrolled an authenticator (approvers, admins and "
        "data protection officers must)."
    )


class MeOut(UserOut):
    """The caller's own account, with what they must be told: who last reset their password."""

    password_reset_at: datetime | None = Field(
        default=None, description="When someone else last reset the password (until it is changed)."
    )
    password_reset_by: str | None = Field(
        default=None, description="Who asked for that reset and who confirmed it, with their roles."
    )


class RoleChange(BaseModel):
    """Another role for an account."""

    model_config = ConfigDict(extra="forbid")

    role: Role


class AccountRequestOut(BaseModel):
    """An account change that waits for (or was decided by) a second person; never a password."""

    id: int
    kind: ChangeKind
    user: str = Field(description="The account concerned (the one to create, for a creation).")
    role: Role = Field(description="The role the account has once the change is made.")
    role_before: Role | None = Field(description="Its role when the change was asked for.")
    display_name: str
    status: RequestStatus
    asked_by: str
    asked_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    refusal_reason: str | None


def request_out(asked: AccountRequest) -> AccountRequestOut:
    """An account-change request as the API shows it."""
    return AccountRequestOut(
        id=asked.id,
        kind=asked.kind,
        user=asked.user_name,
        role=asked.role,
        role_before=asked.role_before,
        display_name=asked.display_name,
        status=asked.status,
        asked_by=asked.asked_by.name,
        asked_at=asked.asked_at,
        decided_by=asked.decided_by,
        decided_at=asked.decided_at,
        refusal_reason=asked.refusal_reason,
    )


class AccountRefusal(BaseModel):
    """Why an account change is refused."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class AccountChangeConfirmed(BaseModel):
    """A confirmed change: the request, the account now, and the one-time password it issued
    (shown to the one who confirmed, once; null when the change issued none)."""

    request: AccountRequestOut
    user: UserOut
    password: str | None


class LockoutOut(BaseModel):
    """A sign-in lock-out in force: of one account from one address, or of a whole address."""

    model_config = ConfigDict(from_attributes=True)

    user: str | None = Field(description="The account; null when every account is locked out.")
    address: str = Field(description="The client address the lock-out holds for.")
    locked_until: datetime


class AccountOut(UserOut):
    """An account as admins see it: with the lock-outs that keep it from signing in."""

    lockouts: list[LockoutOut] = Field(
        default_factory=list, description="Addresses this account is locked out from now."
    )


class LockoutLift(BaseModel):
    """Which lock-out to lift: an address's own, or one account's at that address."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=1, max_length=64)
    user: str | None = Field(default=None, max_length=64)


class LockoutsLifted(BaseModel):
    """The addresses an account was locked out from, now lifted."""

    user: str
    addresses: list[str]


class UserCreated(BaseModel):
    """The new account and its one-time password."""

    user: UserOut
    password: str


class PasswordIssued(BaseModel):
    """A freshly generated password, shown once."""

    password: str


class TokenCreate(BaseModel):
    """Request for a new API token."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="", max_length=128)
    days: int = Field(
        default=DEFAULT_TOKEN_DAYS,
        ge=1,
        le=MAX_TOKEN_DAYS,
        description=f"Lifetime in days; every token expires, at most {MAX_TOKEN_DAYS} days on.",
    )


class TokenIssued(BaseModel):
    """A new API token, shown once."""

    token: str
    expires_at: datetime


class PasswordChange(BaseModel):
    """Change of one's own password."""

    model_config = ConfigDict(extra="forbid")

    current_password: str
    new_password: str


class CodeGive(BaseModel):
    """A code of the caller's authenticator app."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=16, examples=["492039"])


class CodeGiven(BaseModel):
    """A code accepted for the credential it came with."""

    until: datetime | None = Field(
        description="Until when this API token may make changes that need a second factor "
        "(null for a browser session: it gave its code at sign-in, for its life)."
    )
