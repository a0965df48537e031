"""Pure rules on accounts: names and passwords, how long a token lives, when sign-in is blocked.

Sign-in throttling counts failures per (account, client address) and per client address,
never per account alone: one address that keeps failing is locked out itself, and an account
it keeps failing on is locked out *for that address only*. Nobody elsewhere is affected, so an
attacker at one address cannot lock the real user out from another (the admin included).

    key (account, address)   5 failures within 15 minutes -> that account, from that address,
                             refused for 15 minutes; a success from there clears the count
    key (every account, address)
                             20 failures within 15 minutes, whatever the names (known or
                             not) -> every sign-in from that address refused for 15 minutes;
                             successes do not clear it, so one valid account cannot launder
                             guesses at others
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

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

ACCOUNT_FAILURES = 5  # of one account from one address, within FAILURE_WINDOW
ADDRESS_FAILURES = 20  # of any names from one address, within FAILURE_WINDOW
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

EVERY_ACCOUNT = ""  # the account part of an address's own key; no user name is empty


class Scope(StrEnum):
    """What a lock-out covers: one account from one address, or everything from an address."""

    ACCOUNT = "account"
    ADDRESS = "address"


Key = tuple[str, str]  # (user name or EVERY_ACCOUNT, client address)


@dataclass(frozen=True)
class Throttle:
    """Failures counted under one key since `window_started_at`, and a lock-out if one holds."""

    failures: int = 0
    window_started_at: datetime | None = None
    locked_until: datetime | None = None


CLEAR = Throttle()


def keys_of(name: str, address: str) -> dict[Scope, Key]:
    """The keys a sign-in as `name` from `address` is counted under; both name that address."""
    return {Scope.ACCOUNT: (name, address), Scope.ADDRESS: (EVERY_ACCOUNT, address)}


def is_locked(throttle: Throttle, now: datetime) -> bool:
    """Whether the key's lock-out still holds at `now`."""
    return throttle.locked_until is not None and now < throttle.locked_until


def forgotten(throttle: Throttle, now: datetime) -> bool:
    """Whether a key's record means nothing any more: no lock-out holds, its window is over."""
    if is_locked(throttle, now):
        return False
    started = throttle.window_started_at
    return started is None or now >= started + FAILURE_WINDOW


def _limit(scope: Scope) -> int:
    return ACCOUNT_FAILURES if scope is Scope.ACCOUNT else ADDRESS_FAILURES


def _after_failure(throttle: Throttle, now: datetime, limit: int) -> Throttle:
    if is_locked(throttle, now):
        return throttle  # refused attempts are not counted: the lock-out does not grow
    if forgotten(throttle, now):
        throttle = Throttle(failures=0, window_started_at=now)
    failures = throttle.failures + 1
    if failures >= limit:
        return Throttle(failures=0, window_started_at=None, locked_until=now + LOCKOUT)
    return replace(throttle, failures=failures, locked_until=None)


Ledger = Mapping[Key, Throttle]


def _of(ledger: Ledger, key: Key) -> Throttle:
    return ledger.get(key, CLEAR)


def blocked(ledger: Ledger, name: str, address: str, now: datetime) -> Scope | None:
    """Why a sign-in as `name` from `address` is refused before its password is checked."""
    keys = keys_of(name, address)
    for scope in (Scope.ADDRESS, Scope.ACCOUNT):
        if is_locked(_of(ledger, keys[scope]), now):
            return scope
    return None


def locked_until(ledger: Ledger, name: str, address: str, now: datetime) -> datetime | None:
    """When the last lock-out standing in the way of `name` at `address` ends (None: none)."""
    throttles = [_of(ledger, key) for key in keys_of(name, address).values()]
    ends = [
        t.locked_until for t in throttles if t.locked_until is not None and now < t.locked_until
    ]
    return max(ends, default=None)


@dataclass(frozen=True)
class Failed:
    """What one failed sign-in changes: the keys' new records, and what it just locked out."""

    changed: dict[Key, Throttle]
    locked: list[Scope]


def after_failed_sign_in(ledger: Ledger, name: str, address: str, now: datetime) -> Failed:
    """One more failure as `name` from `address`, counted under both of its keys."""
    changed: dict[Key, Throttle] = {}
    locked: list[Scope] = []
    for scope, key in keys_of(name, address).items():
        before = _of(ledger, key)
        after = _after_failure(before, now, _limit(scope))
        changed[key] = after
        if is_locked(after, now) and not is_locked(before, now):
            locked.append(scope)
    return Failed(changed, locked)


def after_successful_sign_in(name: str, address: str) -> dict[Key, Throttle]:
    """A success clears its account's count at that address; the address's own count stands."""
    return {keys_of(name, address)[Scope.ACCOUNT]: CLEAR}
