"""Accounts, sign-in, sessions and tokens; each public function is one audited transaction.

Sign-in throttling follows `users.policy`: failures are counted per (account, client address)
and per address, and a lock-out holds for one address only; admins see and lift lock-outs.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import service as audit
from custos.audit.policy import Action, Outcome
from custos.clock import Clock
from custos.context import SYSTEM, Actor, Call, Principal
from custos.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PasswordChangeRequired,
    Unauthenticated,
)
from custos.passwords import Passwords
from custos.permissions import Role
from custos.users import policy
from custos.users.models import ApiToken, LoginSession, LoginThrottle, User
from custos.users.policy import Key, Scope, Throttle

TOKEN_PREFIX = "cst_"  # noqa: S105 - a prefix, not a secret
FIRST_ADMIN = "admin"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_password(name: str) -> str:
    """A random password of 20 URL-safe characters (120 bits) acceptable for user `name`."""
    while True:
        password = secrets.token_urlsafe(15)
        if policy.password_problem(password, name) is None:
            return password


def _set_password(
    passwords: Passwords, user: User, password: str, now: datetime, *, temporary: bool
) -> None:
    problem = policy.password_problem(password, user.name)
    if problem:
        raise InvalidInput(f"password {problem}", field="password")
    user.password_hash = passwords.hash(password)
    user.password_changed_at = now
    # A password someone else has seen is good for one sign-in: its owner must replace it.
    user.must_change_password = temporary


def get_user(session: Session, name: str) -> User:
    """The user called `name`, or NotFound."""
    user = session.scalar(sa.select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named '{name}'")
    return user


def list_users(session: Session) -> list[User]:
    """All users, by name."""
    return list(session.scalars(sa.select(User).order_by(User.name)))


def create_user(
    call: Call,
    *,
    name: str,
    role: Role,
    display_name: str = "",
    passwords: Passwords,
    with_password: bool = True,
) -> tuple[User, str | None]:
    """Create an account; returns the user and its one-time password (None for token-only)."""
    return _add_user(
        call.session,
        call.clock,
        call.actor,
        name=name,
        role=role,
        display_name=display_name,
        passwords=passwords,
        with_password=with_password,
    )


def _add_user(
    session: Session,
    clock: Clock,
    actor: Actor,
    *,
    name: str,
    role: Role,
    display_name: str,
    passwords: Passwords,
    with_password: bool = True,
) -> tuple[User, str | None]:
    # The first admin is created before there is a caller or a policy to build a call from.
    problem = policy.username_problem(name)
    if problem:
        raise InvalidInput(f"user name {problem}", field="name")
    if session.scalar(sa.select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"a user named '{name}' exists already")
    now = clock.now()
    user = User(
        name=name,
        role=role,
        display_name=display_name,
        created_at=now,
        active=True,
        must_change_password=False,
    )
    password = generate_password(name) if with_password else None
    if password is not None:
        _set_password(passwords, user, password, now, temporary=True)
    session.add(user)
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        Action.CONFIGURE,
        "user.created",
        object_type="user",
        object_id=name,
        details={"role": role.value, "password": with_password},
    )
    session.commit()
    return user, password


def ensure_first_admin(session: Session, clock: Clock, passwords: Passwords) -> str | None:
    """Create the first admin if there is no admin at all; returns its password, or None."""
    has_admin = session.scalar(sa.select(User.id).where(User.role == Role.ADMIN).limit(1))
    if has_admin is not None:
        return None
    _user, password = _add_user(
        session,
        clock,
        SYSTEM,
        name=FIRST_ADMIN,
        role=Role.ADMIN,
        display_name="First administrator",
        passwords=passwords,
    )
    assert password is not None
    return password


def set_active(call: Call, name: str, active: bool) -> User:
    """Enable or disable an account; disabling ends its sessions and tokens at once."""
    session = call.session
    user = get_user(session, name)
    if call.actor.user_id == user.id and not active:
        raise Conflict("you cannot disable your own account")
    user.active = active
    if not active:
        _end_sessions(session, user, call.clock.now(), revoke_tokens=True)
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "user.enabled" if active else "user.disabled",
        object_type="user",
        object_id=name,
    )
    session.commit()
    return user


def _end_sessions(
    session: Session,
    user: User,
    now: datetime,
    *,
    revoke_tokens: bool,
    keep: Principal | None = None,
) -> tuple[int, int]:
    """End the account's open sessions (and tokens), all but `keep`'s own credential.

    Returns how many sessions were ended and how many tokens revoked.
    """
    sessions = sa.update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    tokens = sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if keep is not None and keep.credential_id is not None:
        if keep.via == "session":
            sessions = sessions.where(LoginSession.id != keep.credential_id)
        elif keep.via == "token":
            tokens = tokens.where(ApiToken.id != keep.credential_id)
    ended = _changed(session, sessions.values(ended_at=now))
    revoked = _changed(session, tokens.values(revoked_at=now)) if revoke_tokens else 0
    return ended, revoked


def _changed(session: Session, statement: sa.Update) -> int:
    """Run an UPDATE; how many rows it changed."""
    result = session.execute(statement)
    assert isinstance(result, sa.CursorResult)
    return result.rowcount


def reset_password(call: Call, name: str, *, passwords: Passwords) -> str:
    """Give `name` a one-time password, end their sessions, lift their lock-outs; returns it."""
    session = call.session
    user = get_user(session, name)
    now = call.clock.now()
    password = generate_password(name)
    _set_password(passwords, user, password, now, temporary=True)
    lifted = _lift_account(session, name, now)
    _end_sessions(session, user, now, revoke_tokens=False)
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "user.password_reset",
        object_type="user",
        object_id=name,
        details={"lockouts_lifted": lifted} if lifted else None,
    )
    session.commit()
    return password


def change_own_password(
    call: Call, principal: Principal, current: str, new: str, *, passwords: Passwords
) -> None:
    """Change the caller's own password after checking the current one.

    Every other session and token of the account ends with it; the session (or token) the
    change is made with stays.
    """
    session = call.session
    user = session.get(User, principal.user_id)
    if user is None or not passwords.matches(user.password_hash, current):
        audit.record(
            session,
            call.clock,
            call.actor,
            Action.CONFIGURE,
            "user.password_changed",
            object_type="user",
            object_id=principal.name,
            outcome=Outcome.DENIED,
        )
        session.commit()
        raise Forbidden("the current password is wrong")
    if new == current:
        raise InvalidInput("the new password must differ from the current one", field="password")
    now = call.clock.now()
    _set_password(passwords, user, new, now, temporary=False)
    # Whoever held the old password may have opened sessions or issued tokens with it: they
    # all end now, except the credential this change is made with.
    ended, revoked = _end_sessions(session, user, now, revoke_tokens=True, keep=principal)
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "user.password_changed",
        object_type="user",
        object_id=principal.name,
        details={"sessions_ended": ended, "tokens_revoked": revoked},
    )
    session.commit()


def password_works(session: Session, name: str, password: str, *, passwords: Passwords) -> bool:
    """Whether `password` is the current password of active user `name` (no audit, no session)."""
    user = session.scalar(sa.select(User).where(User.name == name))
    return user is not None and user.active and passwords.matches(user.password_hash, password)


UNKNOWN_ADDRESS = "unknown"


def _address(client_address: str | None) -> str:
    return (client_address or UNKNOWN_ADDRESS)[:64]


def _throttle(row: LoginThrottle | None) -> Throttle:
    if row is None:
        return policy.CLEAR
    return Throttle(row.failures, row.window_started_at, row.locked_until)


def _throttles(session: Session, keys: Iterable[Key]) -> dict[Key, LoginThrottle]:
    """The stored throttle rows of `keys`, locked for update where the database can."""
    wanted = [
        sa.and_(LoginThrottle.user_name == name, LoginThrottle.client_address == address)
        for name, address in keys
    ]
    rows = session.scalars(sa.select(LoginThrottle).where(sa.or_(*wanted)).with_for_update())
    return {(row.user_name, row.client_address): row for row in rows}


def _store(session: Session, rows: dict[Key, LoginThrottle], changed: dict[Key, Throttle]) -> None:
    """Write the policy's new records back: a cleared key loses its row."""
    for key, throttle in changed.items():
        row = rows.get(key)
        if throttle == policy.CLEAR:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = _new_throttle(session, key)
        row.failures = throttle.failures
        row.window_started_at = throttle.window_started_at
        row.locked_until = throttle.locked_until
    session.flush()


def _new_throttle(session: Session, key: Key) -> LoginThrottle:
    """A new row for `key`, or the one a sign-in at the same moment stored first."""
    row = LoginThrottle(user_name=key[0], client_address=key[1], failures=0)
    try:
        with session.begin_nested():
            session.add(row)
    except sa.exc.IntegrityError:
        return _throttles(session, [key])[key]
    return row


def _forget_old(session: Session, now: datetime) -> None:
    """Delete the rows `policy.forgotten` says mean nothing any more (no lock, window over)."""
    session.execute(
        sa.delete(LoginThrottle).where(
            sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
            sa.or_(
                LoginThrottle.window_started_at.is_(None),
                LoginThrottle.window_started_at <= now - policy.FAILURE_WINDOW,
            ),
        )
    )


BLOCKED = {
    Scope.ACCOUNT: "too many failed sign-ins; try again later",
    Scope.ADDRESS: "too many failed sign-ins from this address; try again later",
}


def login(
    session: Session,
    clock: Clock,
    name: str,
    password: str,
    client_address: str | None,
    lifetime: timedelta,
    *,
    passwords: Passwords,
) -> tuple[Principal, str]:
    """Check a password and open a session; returns the principal and the cookie value.

    A failure is audited and committed before Unauthenticated is raised, so that failed
    sign-ins (and the lock-outs they bring) are on record although no sign-in happened.
    """
    now = clock.now()
    attempt = Actor(name=name[:128], client_address=client_address)
    counted, address = name[:64], _address(client_address)
    keys = policy.keys_of(counted, address)
    rows = _throttles(session, keys.values())
    ledger = {key: _throttle(row) for key, row in rows.items()}
    scope = policy.blocked(ledger, counted, address, now)
    if scope is not None:
        until = policy.locked_until(ledger, counted, address, now)
        audit.record(
            session,
            clock,
            attempt,
            Action.AUTHENTICATE,
            "login.blocked",
            object_type="user",
            object_id=name,
            outcome=Outcome.DENIED,
            details={"scope": scope.value, "locked_until": str(until)},
        )
        session.commit()
        raise Unauthenticated(BLOCKED[scope])
    user = session.scalar(sa.select(User).where(User.name == name))
    matches = passwords.matches(user.password_hash if user else None, password)
    if user is None or not matches or not user.active:
        failed = policy.after_failed_sign_in(ledger, counted, address, now)
        _forget_old(session, now)
        _store(session, _throttles(session, keys.values()), failed.changed)
        reason = "unknown user" if user is None else ("disabled" if matches else "wrong password")
        audit.record(
            session,
            clock,
            attempt,
            Action.AUTHENTICATE,
            "login.failed",
            object_type="user",
            object_id=name,
            outcome=Outcome.FAILURE,
            details={"reason": reason},
        )
        for locked in failed.locked:
            audit.record(
                session,
                clock,
                attempt,
                Action.AUTHENTICATE,
                "login.locked",
                object_type="user" if locked is Scope.ACCOUNT else "client_address",
                object_id=name if locked is Scope.ACCOUNT else address,
                outcome=Outcome.DENIED,
                details={
                    "scope": locked.value,
                    "address": address,
                    "locked_until": str(failed.changed[keys[locked]].locked_until),
                },
            )
        session.commit()
        raise Unauthenticated("wrong user name or password")
    _store(session, rows, policy.after_successful_sign_in(counted, address))
    if passwords.needs_rehash(user.password_hash or ""):
        user.password_hash = passwords.hash(password)
    cookie = secrets.token_urlsafe(32)
    opened = LoginSession(
        user_id=user.id,
        token_hash=_digest(cookie),
        created_at=now,
        expires_at=now + lifetime,
        client_address=client_address,
    )
    session.add(opened)
    session.flush()
    principal = Principal(
        user_id=user.id,
        name=user.name,
        role=user.role,
        via="session",
        must_change_password=user.must_change_password,
        credential_id=opened.id,
    )
    audit.record(
        session,
        clock,
        principal.actor(client_address),
        Action.AUTHENTICATE,
        "login",
        object_type="user",
        object_id=name,
    )
    session.commit()
    return principal, cookie


@dataclass(frozen=True)
class Lockout:
    """A lock-out in force: of one account from one address, or of an address as a whole."""

    user: str | None  # None: every account from `address`
    address: str
    locked_until: datetime

    @property
    def scope(self) -> Scope:
        """What the lock-out covers."""
        return Scope.ADDRESS if self.user is None else Scope.ACCOUNT


def lockouts(session: Session, now: datetime, name: str | None = None) -> list[Lockout]:
    """The lock-outs in force at `now` (of account `name` only, if given), latest end first."""
    query = sa.select(LoginThrottle).where(LoginThrottle.locked_until > now)
    if name is not None:
        query = query.where(LoginThrottle.user_name == name)
    rows = session.scalars(
        query.order_by(LoginThrottle.locked_until.desc(), LoginThrottle.client_address)
    )
    return [
        Lockout(
            user=None if row.user_name == policy.EVERY_ACCOUNT else row.user_name,
            address=row.client_address,
            locked_until=row.locked_until,
        )
        for row in rows
        if row.locked_until is not None
    ]


def _lift_account(session: Session, name: str, now: datetime) -> list[str]:
    """Delete every lock-out and failure count of account `name`; the addresses it was locked at."""
    rows = list(session.scalars(sa.select(LoginThrottle).where(LoginThrottle.user_name == name)))
    locked = sorted(r.client_address for r in rows if policy.is_locked(_throttle(r), now))
    for row in rows:
        session.delete(row)
    session.flush()
    return locked


def lift_account_lockout(call: Call, name: str) -> list[str]:
    """Let `name` sign in again from everywhere; returns the addresses it was locked out from."""
    session = call.session
    get_user(session, name)
    lifted = _lift_account(session, name, call.clock.now())
    if not lifted:
        raise Conflict(f"'{name}' is not locked out")
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "user.unlocked",
        object_type="user",
        object_id=name,
        details={"addresses": lifted},
    )
    session.commit()
    return lifted


def lift_lockout(call: Call, address: str, name: str | None = None) -> None:
    """Lift one lock-out: of account `name` from `address`, or of `address` as a whole."""
    session = call.session
    key = (policy.EVERY_ACCOUNT if name is None else name, address)
    row = _throttles(session, [key]).get(key)
    if row is None or not policy.is_locked(_throttle(row), call.clock.now()):
        whose = "the address" if name is None else f"'{name}' from"
        raise NotFound(f"no lock-out of {whose} {address}")
    session.delete(row)
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "lockout.lifted",
        object_type="client_address",
        object_id=address,
        details={"user": name},
    )
    session.commit()


def logout(session: Session, clock: Clock, cookie: str, client_address: str | None) -> None:
    """End the session behind `cookie`, if it is still open."""
    row = session.scalar(sa.select(LoginSession).where(LoginSession.token_hash == _digest(cookie)))
    if row is None or row.ended_at is not None:
        return
    row.ended_at = clock.now()
    user = row.user
    audit.record(
        session,
        clock,
        Actor(user.name, user.role.value, user.id, client_address),
        Action.AUTHENTICATE,
        "logout",
        object_type="user",
        object_id=user.name,
    )
    session.commit()


def principal_from_cookie(session: Session, clock: Clock, cookie: str) -> Principal:
    """The principal of an open, unexpired session, or Unauthenticated."""
    row = session.scalar(sa.select(LoginSession).where(LoginSession.token_hash == _digest(cookie)))
    if row is None or row.ended_at is not None or row.expires_at <= clock.now():
        raise Unauthenticated("the session has ended; sign in again")
    if not row.user.active:
        raise Unauthenticated("the account is disabled")
    return Principal(
        user_id=row.user.id,
        name=row.user.name,
        role=row.user.role,
        via="session",
        must_change_password=row.user.must_change_password,
        credential_id=row.id,
    )


def principal_from_token(session: Session, clock: Clock, token: str) -> Principal:
    """The principal of a live API token, or Unauthenticated."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("malformed API token")
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or not policy.token_live(
        row.created_at, row.expires_at, row.revoked_at, clock.now()
    ):
        raise Unauthenticated("the API token is unknown, revoked or expired")
    if not row.user.active:
        raise Unauthenticated("the account is disabled")
    return Principal(
        user_id=row.user.id,
        name=row.user.name,
        role=row.user.role,
        via="token",
        credential_id=row.id,
    )


def issue_token(
    call: Call, name: str, *, label: str = "", days: int | None = policy.DEFAULT_TOKEN_DAYS
) -> tuple[str, datetime]:
    """Create an API token for `name`; returns the token (shown once) and its expiry.

    Every token expires, at most `policy.MAX_TOKEN_DAYS` after it is issued.
    """
    problem = policy.token_days_problem(days)
    if problem is not None:
        raise InvalidInput(problem, field="days")
    assert days is not None
    session = call.session
    user = get_user(session, name)
    if not user.active:
        raise Conflict(f"user '{name}' is disabled")
    if call.actor.user_id == user.id and user.must_change_password:
        # Otherwise a one-time password could be turned into a lasting credential.
        raise PasswordChangeRequired("choose your own password before issuing tokens")
    now = call.clock.now()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = policy.token_expiry(now, days)
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_digest(token),
            label=label,
            created_at=now,
            expires_at=expires,
        )
    )
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "user.token_issued",
        object_type="user",
        object_id=name,
        details={"label": label, "expires_at": str(expires)},
    )
    session.commit()
    return token, expires


class Accounts:
    """The web app's authenticator: principals from credentials, refusals on the audit log."""

    def from_token(self, session: Session, clock: Clock, token: str) -> Principal:
        """The principal of a live API token, or Unauthenticated."""
        return principal_from_token(session, clock, token)

    def from_cookie(self, session: Session, clock: Clock, cookie: str) -> Principal:
        """The principal of an open sign-in session, or Unauthenticated."""
        return principal_from_cookie(session, clock, cookie)

    def refused(self, call: Call, path: str, details: dict[str, str]) -> None:
        """Record that the caller was refused the route `path`, in the call's transaction."""
        audit.record(
            call.session,
            call.clock,
            call.actor,
            Action.AUTHENTICATE,
            "access.denied",
            object_type="route",
            object_id=path,
            outcome=Outcome.DENIED,
            details=details,
        )
