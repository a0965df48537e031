"""Pure rules on accounts: names and passwords, how long a token lives, when sign-in is blocked,
and which account changes wait for a second person.

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

from custos.permissions import (
    FOOTAGE_PERMISSIONS,
    PERMISSION_ROLES,
    SECOND_FACTOR_ROLES,
    Factor,
    Permission,
    Role,
)

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


# --- the second factor ------------------------------------------------------------------------
#
# Approvers, admins and data protection officers (the roles `permissions.SECOND_FACTOR_ROLES`
# admits to deciding over footage or accounts) hold a TOTP authenticator (RFC 6238: six
# digits, a new code every 30 seconds). They enrol it at their first sign-in; from then on a
# session is opened by the password *and* a code, and an API token acts on those decisions
# only for TOKEN_FACTOR_WINDOW after a code was sent with it.
#
#     a code          is accepted for the time step it was made in and CODE_DRIFT steps either
#                     side (a phone's clock may be half a minute off), and only once: a step at
#                     or before the last one used is refused, so an overheard code is spent
#     wrong codes     CODE_FAILURES of them end the session (or revoke the token) they were sent
#                     with: the password, itself throttled, must be given again

CODE_DIGITS = 6
CODE_PERIOD = 30  # seconds a code lasts
CODE_DRIFT = 1  # steps either side of the present one that are accepted
CODE_FAILURES = 5  # wrong codes a session or token may send before it ends
TOKEN_FACTOR_WINDOW = timedelta(minutes=15)

CODE_PATTERN = re.compile(rf"^\d{{{CODE_DIGITS}}}$")


def needs_second_factor(role: Role) -> bool:
    """Whether accounts of `role` hold a second factor."""
    return role in SECOND_FACTOR_ROLES


def factor_of(role: Role, enrolled: bool, given: bool) -> Factor:
    """Where a credential of an account stands: `given` says its code was given (lately)."""
    if not needs_second_factor(role):
        return Factor.NOT_NEEDED
    if not enrolled:
        return Factor.ENROL
    return Factor.GIVEN if given else Factor.CODE


def code_problem(code: str) -> str | None:
    """Why `code` cannot be a code at all (before any is computed), or None."""
    if not CODE_PATTERN.match(code.strip().replace(" ", "")):
        return f"a code is {CODE_DIGITS} digits, as the authenticator app shows it"
    return None


def steps_accepted(now_step: int, last_used: int | None) -> list[int]:
    """The time steps whose code is accepted at `now_step`, nearest first; spent ones left out."""
    steps = [now_step, *(now_step + d for k in range(1, CODE_DRIFT + 1) for d in (-k, k))]
    return [step for step in steps if last_used is None or step > last_used]


def token_factor_until(given_at: datetime) -> datetime:
    """Until when an API token that sent a code at `given_at` may make guarded changes."""
    return given_at + TOKEN_FACTOR_WINDOW


def ends_after_failure(failures: int) -> bool:
    """Whether a session or token that has now sent `failures` wrong codes ends."""
    return failures >= CODE_FAILURES


# --- four eyes on every power over footage --------------------------------------------------
#
# One administrator must not be able to reach footage alone: not by making an investigator and
# an approver and signing in as both, not by resetting the password of one that exists. So a
# change that leaves an account with a *guarded* role is only asked for by one person and made
# when a second confirms it:
#
#     guarded roles    those admitted to footage or to the grants that open it (operator,
#                      investigator, approver), and those who confirm account changes (admin,
#                      data protection officer): a lone admin who could make a second admin or
#                      a DPO would be a second person of their own making
#     changes          creating such an account, giving an account such a role, enabling such
#                      an account again, resetting its password or removing its second factor
#     confirmed by     an admin or the DPO who is neither the one who asked nor the account
#                      concerned; the server's shell, which stands outside the rule (whoever
#                      holds it holds the key file and the database too)
#
# Taking power away (disabling, a role without footage) is made at once. A change that gives an
# account a guarded role also replaces its password and ends its sessions and tokens, so that
# no password its asker may have known (from when it was an auditor's) survives the promotion.


class ChangeKind(StrEnum):
    """An account change that may give someone power over footage."""

    CREATE = "create"  # a new account with a role
    ROLE = "role"  # an existing account given another role
    ENABLE = "enable"  # a disabled account enabled again
    RESET = "reset_password"  # a new one-time password for an account
    RESET_FACTOR = "reset_factor"  # the second factor removed: enrolled anew at next sign-in


class RequestStatus(StrEnum):
    """Where an account-change request stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"


# Permissions that reach footage or open it: watching live, reviewing recorded footage, asking
# for it, deciding who gets it, keeping it past its erasure.
FOOTAGE_POWERS: frozenset[Permission] = FOOTAGE_PERMISSIONS | {
    Permission.REQUEST_ACCESS,
    Permission.DECIDE_ACCESS,
    Permission.MANAGE_HOLDS,
}

# Who may confirm (or refuse) another's account-change request: the permission table says.
CONFIRMERS: frozenset[Role] = PERMISSION_ROLES[Permission.CONFIRM_ACCOUNT_CHANGES]


def footage_roles(
    table: Mapping[Permission, frozenset[Role]] = PERMISSION_ROLES,
) -> frozenset[Role]:
    """The roles the permission table admits to any power over footage."""
    return frozenset().union(*(table[permission] for permission in FOOTAGE_POWERS))


FOOTAGE_ROLES = footage_roles()
GUARDED_ROLES: frozenset[Role] = FOOTAGE_ROLES | CONFIRMERS


@dataclass(frozen=True)
class Plan:
    """How an account change is made."""

    confirm: bool  # it waits until a second person confirms it
    new_password: bool  # a fresh one-time password, shown to whoever makes the change
    end_credentials: bool  # the account's sessions and tokens end with it


def plan_of(kind: ChangeKind, role: Role) -> Plan:
    """How a change of `kind` is made that leaves the account with `role`.

    `role` is the role the account has after the change: the one asked for when creating or
    changing a role, the account's own when enabling it or resetting its password.
    """
    guarded = role in GUARDED_ROLES
    if kind is ChangeKind.CREATE:
        return Plan(confirm=guarded, new_password=True, end_credentials=False)
    if kind is ChangeKind.ROLE:
        return Plan(confirm=guarded, new_password=guarded, end_credentials=guarded)
    if kind is ChangeKind.ENABLE:
        return Plan(confirm=guarded, new_password=False, end_credentials=False)
    if kind is ChangeKind.RESET_FACTOR:
        return Plan(confirm=guarded, new_password=False, end_credentials=True)
    return Plan(confirm=guarded, new_password=True, end_credentials=True)


DESCRIBED = {
    ChangeKind.CREATE: "creating an account with the {role} role",
    ChangeKind.ROLE: "giving an account the {role} role",
    ChangeKind.ENABLE: "enabling an account with the {role} role",
    ChangeKind.RESET: "resetting the password of an account with the {role} role",
    ChangeKind.RESET_FACTOR: "removing the second factor of an account with the {role} role",
}


def alone_problem(kind: ChangeKind, role: Role, signed_in: bool) -> str | None:
    """Why one signed-in person may not make this change alone, or None if they may.

    `signed_in` is False for the server's shell (`custos` run on the server), which makes
    every change at once: it is how the first accounts come to exist.
    """
    if signed_in and plan_of(kind, role).confirm:
        what = DESCRIBED[kind].format(role=role.value)
        return f"{what} needs a second person: another admin or the data protection officer"
    return None


@dataclass(frozen=True)
class Asked:
    """An account-change request as far as deciding it goes: who asked, about which account."""

    asked_by: int  # the account that asked
    account: int | None  # the account concerned; None for one yet to be created


@dataclass(frozen=True)
class Decider:
    """Who would confirm or refuse a request."""

    user_id: int | None  # None: the server's shell
    role: Role | None


def decision_problem(asked: Asked, decider: Decider) -> str | None:
    """Why `decider` may not confirm or refuse `asked`, or None if they may.

    Refusing is held to the same rule as confirming: the decision is the second person's.
    """
    if decider.user_id is None:
        return None  # the shell stands outside the four-eyes rule
    if decider.role not in CONFIRMERS:
        return "only an admin or the data protection officer decides account changes"
    if decider.user_id == asked.asked_by:
        return "you asked for this change: someone else must decide it"
    if decider.user_id == asked.account:
        return "the change concerns your own account: someone else must decide it"
    return None
