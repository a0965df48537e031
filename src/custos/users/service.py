"""Accounts, sign-in, sessions and tokens; each public function is one audited transaction.

Sign-in throttling follows `users.policy`: failures are counted per (account, client address)
and per address, and a lock-out holds for one address only; admins see and lift lock-outs.

Four eyes: a change that would give an account power over footage (`users.policy`, guarded
roles) is never made by one signed-in person. `make_or_ask` files it as an account-change
request, which a second person confirms (`confirm_request`) or refuses (`refuse_request`); the
one-time password a confirmed change issues goes to the confirmer alone. The functions that
make a change at once (`create_user`, `set_role`, `set_active`, `reset_password`) refuse a
signed-in caller such a change; callers without an account (the server's shell, the first
admin's set-up) make it at once.
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
from custos.users import factor, policy
from custos.users.models import AccountRequest, ApiToken, LoginSession, LoginThrottle, User
from custos.users.policy import ChangeKind, Key, RequestStatus, Scope, Throttle

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
    if not temporary:
        # The holder chose it: whatever they were told about a reset they have now seen.
        user.password_reset_at = None
        user.password_reset_by = None


def _who(actor: Actor) -> str:
    """An actor as the holder of an account is told of them: name and role."""
    return f"{actor.name} ({actor.role})" if actor.role else f"{actor.name} (the server's shell)"


def _signed_in(call: Call) -> bool:
    """Whether the caller is a signed-in account (not the server's shell or the system)."""
    return call.actor.user_id is not None


def _refuse_alone(call: Call, kind: ChangeKind, role: Role) -> None:
    """Refuse a signed-in caller a change that needs a second person."""
    problem = policy.alone_problem(kind, role, _signed_in(call))
    if problem is not None:
        raise Forbidden(problem)


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
    """Create an account at once; returns the user and its one-time password (None for
    token-only). A signed-in caller may not create one with a guarded role (`make_or_ask`)."""
    _refuse_alone(call, ChangeKind.CREATE, role)
    _check_name_free(call.session, name)
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


def _check_name_free(session: Session, name: str) -> None:
    problem = policy.username_problem(name)
    if problem:
        raise InvalidInput(f"user name {problem}", field="name")
    if session.scalar(sa.select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"a user named '{name}' exists already")
    waiting = _pending_on(session, name)
    if waiting is not None:
        raise Conflict(f"an account named '{name}' waits for confirmation (request {waiting.id})")


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
    details: dict[str, object] | None = None,
    commit: bool = True,
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
        details={"role": role.value, "password": with_password, **(details or {})},
    )
    if commit:
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
    """Enable or disable an account at once; disabling ends its sessions and tokens.

    A signed-in caller may not enable an account with a guarded role (`make_or_ask`).
    """
    session = call.session
    user = get_user(session, name)
    if not active:
        if call.actor.user_id == user.id:
            raise Conflict("you cannot disable your own account")
        user.active = False
        _end_sessions(session, user, call.clock.now(), revoke_tokens=True)
        _audit_change(call, "user.disabled", name)
        session.commit()
        return user
    _refuse_alone(call, ChangeKind.ENABLE, user.role)
    _check_change(call, ChangeKind.ENABLE, user, user.role)
    _enable(call, user)
    session.commit()
    return user


def _audit_change(
    call: Call, event: str, name: str, details: dict[str, object] | None = None
) -> None:
    audit.record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        event,
        object_type="user",
        object_id=name,
        details=details or None,
    )


def _enable(call: Call, user: User, details: dict[str, object] | None = None) -> None:
    user.active = True
    _audit_change(call, "user.enabled", user.name, details)


def set_role(call: Call, name: str, role: Role, *, passwords: Passwords) -> tuple[User, str | None]:
    """Give an account another role at once; returns it and its new one-time password, if any.

    A guarded role (made from the shell) comes with a new one-time password and ends the
    account's sessions and tokens. A signed-in caller may only take power away here: giving a
    guarded role is `make_or_ask`'s.
    """
    session = call.session
    user = get_user(session, name)
    _refuse_alone(call, ChangeKind.ROLE, role)
    _check_change(call, ChangeKind.ROLE, user, role)
    password = _give_role(call, user, role, passwords)
    session.commit()
    return user, password


def _give_role(
    call: Call,
    user: User,
    role: Role,
    passwords: Passwords,
    details: dict[str, object] | None = None,
    told: str | None = None,
) -> str | None:
    before = user.role
    user.role = role
    plan = policy.plan_of(ChangeKind.ROLE, role)
    password = None
    ended = revoked = 0
    now = call.clock.now()
    if plan.new_password:
        password = _issue_password(passwords, user, now, told or f"made by {_who(call.actor)}")
    if plan.end_credentials:
        ended, revoked = _end_sessions(call.session, user, now, revoke_tokens=True)
    _audit_change(
        call,
        "user.role_changed",
        user.name,
        {
            "role": role.value,
            "role_before": before.value,
            "password": password is not None,
            **(
                {"sessions_ended": ended, "tokens_revoked": revoked} if plan.end_credentials else {}
            ),
            **(details or {}),
        },
    )
    return password


def _issue_password(passwords: Passwords, user: User, now: datetime, by: str) -> str:
    """A new one-time password for `user`; the holder is told at sign-in who reset it."""
    password = generate_password(user.name)
    _set_password(passwords, user, password, now, temporary=True)
    user.password_reset_at = now
    user.password_reset_by = by[:300]
    return password


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
    """Give `name` a one-time password at once, end their sessions and tokens, lift their
    lock-outs; returns the password. A signed-in caller may not reset the password of an account
    with a guarded role (`make_or_ask`)."""
    session = call.session
    user = get_user(session, name)
    _refuse_alone(call, ChangeKind.RESET, user.role)
    password = _reset(call, user, passwords)
    session.commit()
    return password


def _reset(
    call: Call,
    user: User,
    passwords: Passwords,
    details: dict[str, object] | None = None,
    told: str | None = None,
) -> str:
    session = call.session
    now = call.clock.now()
    password = _issue_password(passwords, user, now, told or f"made by {_who(call.actor)}")
    lifted = _lift_account(session, user.name, now)
    # Whoever knew the old password may have signed in or issued tokens with it.
    ended, revoked = _end_sessions(session, user, now, revoke_tokens=True)
    _audit_change(
        call,
        "user.password_reset",
        user.name,
        {
            **({"lockouts_lifted": lifted} if lifted else {}),
            "sessions_ended": ended,
            "tokens_revoked": revoked,
            **(details or {}),
        },
    )
    return password


# --- changes that wait for a second person -------------------------------------------------


@dataclass(frozen=True)
class Changed:
    """What an account change came to: made at once, or asked of a second person.

    Made: `user` is the account as it is now, `password` its new one-time password when the
    change issued one (shown to the caller alone). Asked: `request` is the request filed, and
    `user` the account as it stays until the request is decided (None for one to be created).
    """

    user: User | None
    password: str | None = None
    request: AccountRequest | None = None


@dataclass(frozen=True)
class Confirmed:
    """A request confirmed: the request, the account now, the one-time password it issued."""

    request: AccountRequest
    user: User
    password: str | None


def _pending_on(session: Session, name: str) -> AccountRequest | None:
    """The request that waits on account (or name) `name`, if one does."""
    return session.scalar(
        sa.select(AccountRequest).where(
            AccountRequest.user_name == name, AccountRequest.status == RequestStatus.PENDING
        )
    )


def _check_change(call: Call, kind: ChangeKind, user: User, role: Role) -> None:
    """Refuse a change to an existing account that would change nothing or is not one's own."""
    if kind is ChangeKind.ROLE:
        if call.actor.user_id == user.id:
            raise Conflict("you cannot change your own role")
        if user.role is role:
            raise Conflict(f"'{user.name}' has the {role.value} role already")
    if kind is ChangeKind.ENABLE and user.active:
        raise Conflict(f"'{user.name}' is enabled already")
    if kind is ChangeKind.RESET_FACTOR and user.totp_sealed is None:
        raise Conflict(f"'{user.name}' has no second factor to remove")


def make_or_ask(
    call: Call,
    kind: ChangeKind,
    name: str,
    *,
    passwords: Passwords,
    role: Role | None = None,
    display_name: str = "",
) -> Changed:
    """Make an account change at once, or file it as a request when it needs a second person.

    `role` is the role asked for (creating an account, giving it a role). An existing account
    whose change waits keeps its state until the change is confirmed: its role, its password
    and sessions, its being disabled. At most one request waits on an account, and while it
    waits no other change is made to it here.
    """
    session = call.session
    user = None if kind is ChangeKind.CREATE else get_user(session, name)
    if kind in (ChangeKind.CREATE, ChangeKind.ROLE):
        if role is None:
            raise InvalidInput("name the role", field="role")
        after = role
    else:
        assert user is not None
        after = user.role
    if user is None:
        _check_name_free(session, name)
    else:
        _check_change(call, kind, user, after)
        # What is confirmed is the account as the request found it: nothing else changes it
        # meanwhile (but disabling, which takes power away and needs nobody).
        waiting = _pending_on(session, name)
        if waiting is not None:
            raise Conflict(
                f"a change of '{name}' waits for confirmation (request {waiting.id}): "
                "it is decided first"
            )
    if policy.alone_problem(kind, after, _signed_in(call)) is None:
        return _make_now(call, kind, name, user, after, display_name, passwords)
    assert call.actor.user_id is not None  # only a signed-in caller is held to the rule
    asked = AccountRequest(
        kind=kind,
        user_name=name,
        user_id=None if user is None else user.id,
        role=after,
        role_before=None if user is None else user.role,
        display_name=display_name,
        status=RequestStatus.PENDING,
        asked_by_id=call.actor.user_id,
        asked_at=call.clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(asked)
    except sa.exc.IntegrityError:
        raise Conflict(f"a change of '{name}' waits for confirmation already") from None
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "account_request.filed",
        object_type="account_request",
        object_id=asked.id,
        details=_described(asked),
    )
    session.commit()
    return Changed(user, request=asked)


def _described(asked: AccountRequest) -> dict[str, object]:
    return {
        "kind": asked.kind.value,
        "user": asked.user_name,
        "role": asked.role.value,
        **({"role_before": asked.role_before.value} if asked.role_before else {}),
    }


def _make_now(
    call: Call,
    kind: ChangeKind,
    name: str,
    user: User | None,
    role: Role,
    display_name: str,
    passwords: Passwords,
) -> Changed:
    """A change that needs nobody else, made in the caller's transaction and committed."""
    made, password = _make(call, kind, name, user, role, display_name, passwords)
    call.session.commit()
    return Changed(made, password)


def _make(
    call: Call,
    kind: ChangeKind,
    name: str,
    user: User | None,
    role: Role,
    display_name: str,
    passwords: Passwords,
    details: dict[str, object] | None = None,
    told: str | None = None,
) -> tuple[User, str | None]:
    """Carry out one change with its audit entry, without committing."""
    if kind is ChangeKind.CREATE:
        return _add_user(
            call.session,
            call.clock,
            call.actor,
            name=name,
            role=role,
            display_name=display_name,
            passwords=passwords,
            details=details,
            commit=False,
        )
    assert user is not None
    if kind is ChangeKind.ROLE:
        return user, _give_role(call, user, role, passwords, details, told)
    if kind is ChangeKind.ENABLE:
        _enable(call, user, details)
        return user, None
    if kind is ChangeKind.RESET_FACTOR:
        _remove_factor(call, user, details)
        return user, None
    return user, _reset(call, user, passwords, details, told)


def _remove_factor(call: Call, user: User, details: dict[str, object] | None = None) -> None:
    """Forget the account's second factor and end its sessions and tokens: whoever holds the
    account enrols a new one at the next sign-in."""
    factor.remove(user)
    ended, revoked = _end_sessions(call.session, user, call.clock.now(), revoke_tokens=True)
    _audit_change(
        call,
        "user.second_factor_removed",
        user.name,
        {"sessions_ended": ended, "tokens_revoked": revoked, **(details or {})},
    )


def remove_factor(call: Call, name: str) -> User:
    """Remove an account's second factor at once (the server's shell; a signed-in caller asks
    through `make_or_ask`)."""
    session = call.session
    user = get_user(session, name)
    _refuse_alone(call, ChangeKind.RESET_FACTOR, user.role)
    _check_change(call, ChangeKind.RESET_FACTOR, user, user.role)
    _remove_factor(call, user)
    session.commit()
    return user


def list_requests(session: Session, status: RequestStatus | None = None) -> list[AccountRequest]:
    """Account-change requests (of one status, if given), the latest asked first."""
    query = sa.select(AccountRequest).order_by(AccountRequest.id.desc())
    if status is not None:
        query = query.where(AccountRequest.status == status)
    return list(session.scalars(query))


def get_request(session: Session, request_id: int) -> AccountRequest:
    """Account-change request `request_id`, or NotFound."""
    asked = session.get(AccountRequest, request_id)
    if asked is None:
        raise NotFound(f"no account-change request {request_id}")
    return asked


def _decider(actor: Actor) -> policy.Decider:
    role = Role(actor.role) if actor.user_id is not None and actor.role else None
    return policy.Decider(actor.user_id, role)


def decision_problem(actor: Actor, asked: AccountRequest) -> str | None:
    """Why `actor` may not confirm or refuse `asked`, or None if they may (pages ask too)."""
    return policy.decision_problem(policy.Asked(asked.asked_by_id, asked.user_id), _decider(actor))


def _pending(call: Call, request_id: int, decision: str) -> AccountRequest:
    """The request to decide, locked; refuses a decider the rule does not admit (audited)."""
    session = call.session
    asked = session.scalar(
        sa.select(AccountRequest).where(AccountRequest.id == request_id).with_for_update()
    )
    if asked is None:
        raise NotFound(f"no account-change request {request_id}")
    if asked.status is not RequestStatus.PENDING:
        raise Conflict(f"request {request_id} was {asked.status.value} already")
    problem = decision_problem(call.actor, asked)
    if problem is not None:
        audit.record(
            session,
            call.clock,
            call.actor,
            Action.CONFIGURE,
            f"account_request.{decision}",
            object_type="account_request",
            object_id=asked.id,
            outcome=Outcome.DENIED,
            details={**_described(asked), "why": problem},
        )
        session.commit()
        raise Forbidden(problem)
    return asked


def _decided(call: Call, asked: AccountRequest, status: RequestStatus) -> None:
    asked.status = status
    asked.decided_by = call.actor.name
    asked.decided_by_role = call.actor.role
    asked.decided_at = call.clock.now()


def confirm_request(call: Call, request_id: int, *, passwords: Passwords) -> Confirmed:
    """Make the change a request asks for, as its second person; the one-time password it
    issues, if any, is in the answer and nowhere else.

    The change must still make sense: the name still free, the account still in the state it
    was asked about (otherwise Conflict, and the request waits to be refused).
    """
    session = call.session
    asked = _pending(call, request_id, "confirmed")
    user = asked.user
    if asked.kind is ChangeKind.CREATE:
        if session.scalar(sa.select(User.id).where(User.name == asked.user_name)) is not None:
            raise Conflict(f"a user named '{asked.user_name}' exists already: refuse the request")
    else:
        assert user is not None
        if user.role is not asked.role_before:
            raise Conflict(
                f"'{user.name}' has the {user.role.value} role now, not the "
                f"{asked.role_before.value if asked.role_before else '?'} role it was asked "
                "about: refuse the request and ask again"
            )
        if asked.kind is ChangeKind.ENABLE and user.active:
            raise Conflict(f"'{user.name}' is enabled already: refuse the request")
        if asked.kind is ChangeKind.RESET_FACTOR and user.totp_sealed is None:
            raise Conflict(f"'{user.name}' has no second factor any more: refuse the request")
    asker = asked.asked_by
    told = f"asked by {asker.name} ({asker.role.value}), confirmed by {_who(call.actor)}"
    made, password = _make(
        call,
        asked.kind,
        asked.user_name,
        user,
        asked.role,
        asked.display_name,
        passwords,
        details={"request": asked.id, "asked_by": asker.name},
        told=told,
    )
    asked.user_id = made.id
    _decided(call, asked, RequestStatus.CONFIRMED)
    audit.record(
        session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "account_request.confirmed",
        object_type="account_request",
        object_id=asked.id,
        details={**_described(asked), "asked_by": asker.name, "password": password is not None},
    )
    session.commit()
    return Confirmed(asked, made, password)


def refuse_request(call: Call, request_id: int, reason: str) -> AccountRequest:
    """Refuse a request, as its second person, with a reason; nothing about the account changes."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the change is refused", field="reason")
    asked = _pending(call, request_id, "refused")
    _decided(call, asked, RequestStatus.REFUSED)
    asked.refusal_reason = reason
    audit.record(
        call.session,
        call.clock,
        call.actor,
        Action.CONFIGURE,
        "account_request.refused",
        object_type="account_request",
        object_id=asked.id,
        details={**_described(asked), "asked_by": asked.asked_by.name, "reason": reason},
    )
    call.session.commit()
    return asked


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
        factor=factor.factor_of(user, given=False),
    )
    told = (
        {"told": f"password reset at {user.password_reset_at} by {user.password_reset_by}"}
        if user.password_reset_at is not None
        else None
    )
    audit.record(
        session,
        clock,
        principal.actor(client_address),
        Action.AUTHENTICATE,
        "login",
        object_type="user",
        object_id=name,
        details=told,
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
        factor=factor.session_factor(row),
    )


def principal_from_token(session: Session, clock: Clock, token: str) -> Principal:
    """The principal of a live API token, or Unauthenticated."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("malformed API token")
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    now = clock.now()
    if row is None or not policy.token_live(row.created_at, row.expires_at, row.revoked_at, now):
        raise Unauthenticated("the API token is unknown, revoked or expired")
    if not row.user.active:
        raise Unauthenticated("the account is disabled")
    return Principal(
        user_id=row.user.id,
        name=row.user.name,
        role=row.user.role,
        via="token",
        credential_id=row.id,
        factor=factor.token_factor(row, now),
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
    if _signed_in(call) and call.actor.user_id != user.id:
        # A token for another would be a way into their account that no second person saw.
        raise Forbidden("a signed-in user issues tokens only for their own account")
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


def self_confirmed_requests(session: Session) -> list[AccountRequest]:
    """Account changes confirmed by the very person who asked for them."""
    asked = sa.select(User.name).where(User.id == AccountRequest.asked_by_id).scalar_subquery()
    return list(
        session.scalars(
            sa.select(AccountRequest)
            .where(
                AccountRequest.status == RequestStatus.CONFIRMED,
                AccountRequest.decided_by == asked,
            )
            .order_by(AccountRequest.id)
        )
    )
