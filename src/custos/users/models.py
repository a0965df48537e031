"""Tables for users, their API tokens, their browser sessions and the sign-in throttles."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db import Base, string_enum
from custos.permissions import Role


class User(Base):
    """A person (or service account) with exactly one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(128), default="")
    role: Mapped[Role] = mapped_column(string_enum(Role, "role", 16))
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(default=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(128), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginSession(Base):
    """A browser session behind the session cookie; only the cookie's SHA-256 is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    client_address: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed sign-ins counted under one key: (user name, client address), or ('', address).

    The empty name stands for every account at that address (`users.policy.EVERY_ACCOUNT`).
    The name is the one typed, known or not, so that an unknown name is throttled exactly like
    a known one and the lock-out does not tell which names exist.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (sa.UniqueConstraint("user_name", "client_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_name: Mapped[str] = mapped_column(sa.String(64))
    client_address: Mapped[str] = mapped_column(sa.String(64), index=True)
    failures: Mapped[int]
    window_started_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
