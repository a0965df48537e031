"""The second factor of accounts that decide: enrolment, codes at sign-in, codes for API tokens.

The rules are `users.policy`'s (who holds one, how long a code lasts, how a code is spent,
how many wrong ones end a credential). Codes are TOTP (RFC 6238, SHA-1, six digits, 30 s),
what every authenticator app makes, computed with `pyotp`.

The seed is made here, shown once while enrolling (as a QR code and as text), and stored
sealed under the key-encryption key like a segment's data key: a copy of the database alone
makes no codes. Every step is audited in the transaction that makes it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import service as audit
from custos.audit.policy import Action, Outcome
from custos.clock import Clock
from custos.context import Actor, Principal
from custos.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from custos.permissions import Factor
from custos.storage.crypto import NONCE_BYTES, Sealer
from custos.users import policy
from custos.users.models import ApiToken, LoginSession, User

ISSUER = "Custos"
_WRAPPED_KEY_BYTES = 40  # AES key wrap of a 256-bit data key


@dataclass(frozen=True)
class Enrolment:
    """A seed waiting for its first code: shown to the one enrolling, and nowhere else."""

    secret: str  # base32, as authenticator apps take it typed
    uri: str  # otpauth://totp/..., what the QR code holds


@dataclass(frozen=True)
class Given:
    """A code accepted: until when the credential it came with may make guarded changes."""

    until: datetime | None  # None: for the session's life


def _associated(user: User) -> bytes:
    # The seed is bound to its account: a sealed seed copied onto another row does not open.
    return f"custos totp seed\x00user {user.id}".encode()


def _seal(sealer: Sealer, user: User, secret: str) -> bytes:
    sealed = sealer.seal(secret.encode(), _associated(user))
    return bytes(sealed.nonce) + bytes(sealed.wrapped_key) + bytes(sealed.ciphertext)


def _opened(sealer: Sealer, user: User) -> str:
    sealed = user.totp_sealed
    assert sealed is not None
    nonce, rest = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
    wrapped, ciphertext = rest[:_WRAPPED_KEY_BYTES], rest[_WRAPPED_KEY_BYTES:]
    return sealer.open(ciphertext, wrapped, nonce, _associated(user)).decode()


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=policy.CODE_DIGITS, interval=policy.CODE_PERIOD)


def matching_step(secret: str, code: str, now: datetime, last_used: int | None) -> int | None:
    """The time step whose code `code` is, among those the policy accepts now; None if none."""
    totp = _totp(secret)
    typed = code.strip().replace(" ", "")
    for step in policy.steps_accepted(totp.timecode(now.timestamp()), last_used):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def factor_of(user: User, given: bool) -> Factor:
    """Where a credential of `user` stands; `given`: it gave a code (lately, for a token)."""
    return policy.factor_of(user.role, user.totp_enrolled_at is not None, given)


def session_factor(row: LoginSession) -> Factor:
    """Where a sign-in session stands with its account's second factor."""
    return factor_of(row.user, row.second_factor_at is not None)


def token_factor(row: ApiToken, now: datetime) -> Factor:
    """Where an API token stands: a code counts for a while after it was sent with it."""
    until = row.second_factor_until
    return factor_of(row.user, until is not None and now < until)


def _user(session: Session, principal: Principal) -> User:
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound(f"no user named '{principal.name}'")
    return user


def begin_enrolment(
    session: Session, clock: Clock, principal: Principal, actor: Actor, *, sealer: Sealer
) -> Enrolment:
    """The seed to enrol, made once and kept (sealed) until its first code is given.

    Showing the enrolment page again shows the same seed, so a person who scanned it and
    reloaded is not left with a code the server no longer expects.
    """
    user = _user(session, principal)
    if not policy.needs_second_factor(user.role):
        raise Conflict(f"the {user.role.value} role needs no second factor")
    if user.totp_enrolled_at is not None:
        raise Conflict("a second factor is enrolled already: an admin can remove it first")
    if user.totp_sealed is None:
        user.totp_sealed = _seal(sealer, user, pyotp.random_base32(32))
        user.totp_last_step = None
        audit.record(
            session,
            clock,
            actor,
            Action.CONFIGURE,
            "second_factor.enrolment_begun",
            object_type="user",
            object_id=user.name,
        )
        session.commit()
    secret = _opened(sealer, user)
    return Enrolment(secret, _totp(secret).provisioning_uri(name=user.name, issuer_name=ISSUER))


def finish_enrolment(
    session: Session, clock: Clock, principal: Principal, actor: Actor, code: str, *, sealer: Sealer
) -> Given:
    """Enrol the seed shown with its first code; the credential that sent it has given its code."""
    user = _user(session, principal)
    if user.totp_enrolled_at is not None:
        raise Conflict("a second factor is enrolled already")
    if user.totp_sealed is None:
        raise Conflict("no second factor is being set up: open the enrolment page first")
    step = _checked(session, clock, principal, actor, user, code, sealer, "second_factor.enrolled")
    user.totp_enrolled_at = clock.now()
    return _given(session, clock, principal, actor, user, step, "second_factor.enrolled")


def give_code(
    session: Session, clock: Clock, principal: Principal, actor: Actor, code: str, *, sealer: Sealer
) -> Given:
    """Accept a code of the account's second factor for the credential it came with.

    A session then has given its code for its life; a token may make guarded changes for
    `policy.TOKEN_FACTOR_WINDOW`. A wrong code is audited and counted against the credential;
    the `policy.CODE_FAILURES`-th ends it.
    """
    user = _user(session, principal)
    if not policy.needs_second_factor(user.role):
        raise Conflict(f"the {user.role.value} role needs no second factor")
    if user.totp_enrolled_at is None:
        raise Conflict("no second factor is enrolled: sign in on the web and set one up")
    step = _checked(session, clock, principal, actor, user, code, sealer, "second_factor.given")
    return _given(session, clock, principal, actor, user, step, "second_factor.given")


def _credential(session: Session, principal: Principal) -> LoginSession | ApiToken:
    row: LoginSession | ApiToken | None
    if principal.via == "session":
        row = session.get(LoginSession, principal.credential_id)
    else:
        row = session.get(ApiToken, principal.credential_id)
    if row is None:
        raise Unauthenticated("the credential has ended; sign in again")
    return row


def _checked(
    session: Session,
    clock: Clock,
    principal: Principal,
    actor: Actor,
    user: User,
    code: str,
    sealer: Sealer,
    event: str,
) -> int:
    """The time step of a good code; a bad one is audited, counted, and may end the credential."""
    problem = policy.code_problem(code)
    if problem is not None:
        raise InvalidInput(problem, field="code")
    now = clock.now()
    step = matching_step(_opened(sealer, user), code, now, user.totp_last_step)
    if step is not None:
        return step
    credential = _credential(session, principal)
    credential.code_failures += 1
    ended = policy.ends_after_failure(credential.code_failures)
    if ended:
        if isinstance(credential, LoginSession):
            credential.ended_at = now
        else:
            credential.revoked_at = now
    audit.record(
        session,
        clock,
        actor,
        Action.AUTHENTICATE,
        event,
        object_type="user",
        object_id=user.name,
        outcome=Outcome.FAILURE,
        details={
            "reason": "wrong or spent code",
            "failures": credential.code_failures,
            **({"ended": principal.via} if ended else {}),
        },
    )
    session.commit()
    if ended:
        raise Unauthenticated(
            "too many wrong codes: this sign-in has ended; sign in again"
            if principal.via == "session"
            else "too many wrong codes: this API token is revoked"
        )
    raise Forbidden("the code is wrong, or was used already; wait for the next one")


def _given(
    session: Session,
    clock: Clock,
    principal: Principal,
    actor: Actor,
    user: User,
    step: int,
    event: str,
) -> Given:
    now = clock.now()
    user.totp_last_step = step
    credential = _credential(session, principal)
    credential.code_failures = 0
    until = None
    if isinstance(credential, LoginSession):
        credential.second_factor_at = now
    else:
        until = credential.second_factor_until = policy.token_factor_until(now)
    audit.record(
        session,
        clock,
        actor,
        Action.AUTHENTICATE,
        event,
        object_type="user",
        object_id=user.name,
        details={"via": principal.via, **({"until": str(until)} if until else {})},
    )
    session.commit()
    return Given(until)


def remove(user: User) -> bool:
    """Forget an account's second factor (the caller audits and commits); whether it had one."""
    had = user.totp_sealed is not None
    user.totp_sealed = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    return had


def enrolled(session: Session, names: list[str]) -> set[str]:
    """Which of the accounts named hold an enrolled second factor (for the users page)."""
    if not names:
        return set()
    rows = session.scalars(
        sa.select(User.name).where(User.name.in_(names), User.totp_enrolled_at.is_not(None))
    )
    return set(rows)
