"""Pydantic shapes of user input and output."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from custos.permissions import Role
from custos.users.policy import username_problem


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
    days: int | None = Field(default=90, ge=1, le=3650, description="Lifetime; null for none.")


class TokenIssued(BaseModel):
    """A new API token, shown once."""

    token: str
    expires_at: datetime | None


class PasswordChange(BaseModel):
    """Change of one's own password."""

    model_config = ConfigDict(extra="forbid")

    current_password: str
    new_password: str
