"""Pure rules on accounts: names and passwords, how long a token lives, when sign-in is blocked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

# --- names and passwords -------------------------------------------------------------------

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 12


def username_problem(name: str) -> str | None:
    """Why `name` cannot be a user name, or None if it can."""
    if not USERNAME_PATTERN.match(name):
        return (
            "must be 2-64 characters: a lowercase letter, then lowercase letters, "
            "digits, '.', '_' or '-'"
        )
    return None


def password_problem(password: str, name: str) -> str | None:
    """Why `password` is not acceptable for user `name`, or None if it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if name.lower() in password.lower():
        return "must not contain the user name"
    return None


# --- API tokens -----------------------------------------------------------------------------

MAX_TOKEN_DAYS = 90
DEFAULT_TOKEN_DAYS = 90


def token_days_problem(days: int | None) -> str | None:
    """Why a token cannot be issued for `days` days, or None: every token ends, and soon."""
    if days is None:
        return f"every token expires: give a lifetime of 1 to {MAX_TOKEN_DAYS} days"
    if not 1 <= days <= MAX_TOKEN_DAYS:
        return f"a token lives 1 to {MAX_TOKEN_DAYS} days, not {days}"
    return None


def token_expiry(issued_at: datetime, days: int) -> datetime:
    """When a token issued at `issued_at` for `days` days stops working."""
    return issued_at + timedelta(days=days)


def token_live(
    issued_at: datetime, expires_at: datetime, revoked_at: datetime | None, now: datetime
) -> bool:
    """Whether a token still works: not revoked, not expired, and never older than the maximum.

    The maximum applies to tokens issued before it was lowered too.
    """
    ends = min(expires_at, token_expiry(issued_at, MAX_TOKEN_DAYS))
    return revoked_at is None and now < ends


# --- sign-in throttling ---------------------------------------------------------------------

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginState:
    """Failed sign-ins in a row and the time until which the account is locked."""

    failed_logins: int
    locked_until: datetime | None


def is_locked(state: LoginState, now: datetime) -> bool:
    """Whether a sign-in attempt must be refused without even checking the password."""
    return state.locked_until is not None and now < state.locked_until


def after_failed_login(state: LoginState, now: datetime) -> LoginState:
    """The state after one more failure: every MAX_FAILED_LOGINS-th failure locks for LOCKOUT."""
    failures = state.failed_logins + 1
    if failures >= MAX_FAILED_LOGINS:
        return LoginState(failed_logins=0, locked_until=now + LOCKOUT)
    return LoginState(failed_logins=failures, locked_until=state.locked_until)


def after_successful_login(_state: LoginState) -> LoginState:
    """A successful sign-in clears the failure count."""
    return LoginState(failed_logins=0, locked_until=None)
