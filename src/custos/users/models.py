"""Tables for users, their API tokens, their browser sessions, the sign-in throttles, and the
account changes that wait for a second person."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from custos.db import Base, string_enum
from custos.permissions import Role
from custos.users.policy import ChangeKind, RequestStatus


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
    # When the password was last reset by someone else, and by whom (told to the holder until
    # they choose their own).
    password_reset_at: Mapped[datetime | None]
    password_reset_by: Mapped[str | None] = mapped_column(sa.String(300))
    # The second factor (TOTP): its seed sealed under the key-encryption key (nonce, wrapped
    # data key and ciphertext, `users.factor`), never in the clear; enrolled once a first code
    # made from it was given. The last time step whose code was used: no code is used twice.
    totp_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    totp_enrolled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def second_factor(self) -> bool:
        """Whether the account has enrolled an authenticator."""
        return self.totp_enrolled_at is not None


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
    # Until when a code of the second factor sent with this token lets it make guarded changes.
    second_factor_until: Mapped[datetime | None]
    code_failures: Mapped[int] = mapped_column(default=0)

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
    # When this session gave its second factor's code (None: not yet, or not needed).
    second_factor_at: Mapped[datetime | None]
    code_failures: Mapped[int] = mapped_column(default=0)

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


class AccountRequest(Base):
    """An account change asked for by one person that waits until a second decides it.

    The one-time password a confirmed change issues is never stored: it is made when the change
    is confirmed and shown to the one who confirmed it, once.
    """

    __tablename__ = "account_requests"
    __table_args__ = (
        # At most one request waits on an account (or on a name yet to be created).
        sa.Index(
            "uq_account_requests_pending_user_name",
            "user_name",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ChangeKind] = mapped_column(string_enum(ChangeKind, "kind", 16))
    user_name: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(string_enum(Role, "role", 16))
    role_before: Mapped[Role | None] = mapped_column(string_enum(Role, "role_before", 16))
    display_name: Mapped[str] = mapped_column(sa.String(128), default="")
    status: Mapped[RequestStatus] = mapped_column(string_enum(RequestStatus, "status", 16))
    asked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    asked_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(sa.String(128))
    decided_by_role: Mapped[str | None] = mapped_column(sa.String(16))
    decided_at: Mapped[datetime | None]
    refusal_reason: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    asked_by: Mapped[User] = relationship(foreign_keys=[asked_by_id])
