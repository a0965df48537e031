"""The second factor as a service: enrolment, codes, spent codes, wrong codes, sealed seeds.

Codes are computed by `pyotp` from the seed the service hands out, as an authenticator app
computes them; `oathtool` (OATH Toolkit, a separate implementation of RFC 6238) agrees.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Call, Principal
from custos.errors import Conflict, Forbidden, InvalidInput, TamperDetected, Unauthenticated
from custos.permissions import Factor, Role
from custos.runtime import Runtime
from custos.users import factor
from custos.users import policy as rules
from custos.users import service as users
from custos.users.models import ApiToken, LoginSession, User
from helpers import CHEAP_PASSWORDS, audit_events, code_now, enrol_factor, own_account

PASSWORD = "a long enough password"


@pytest.fixture
def anna(call: Call) -> str:
    """An approver with a password of her own and no second factor yet."""
    own_account(call, "anna", Role.APPROVER, PASSWORD)
    return "anna"


def sign_in(db: Session, clock: FrozenClock, name: str) -> Principal:
    principal, _cookie = users.login(
        db, clock, name, PASSWORD, "10.0.0.1", timedelta(hours=8), passwords=CHEAP_PASSWORDS
    )
    return principal


def test_an_approver_enrols_at_first_sign_in_and_then_gives_a_code_at_each(
    db: Session, clock: FrozenClock, runtime: Runtime, anna: str
) -> None:
    first = sign_in(db, clock, anna)
    assert first.factor is Factor.ENROL
    enrolment = factor.begin_enrolment(db, clock, first, first.actor(), sealer=runtime.sealer)
    # Shown again (a reload), the same seed: the app that scanned it still makes good codes.
    again = factor.begin_enrolment(db, clock, first, first.actor(), sealer=runtime.sealer)
    assert again == enrolment
    assert enrolment.uri.startswith("otpauth://totp/Custos:anna?secret=")
    app = pyotp.TOTP(enrolment.secret)
    factor.finish_enrolment(
        db, clock, first, first.actor(), app.at(clock.now()), sealer=runtime.sealer
    )
    row = db.get(LoginSession, first.credential_id)
    assert row is not None
    assert factor.session_factor(row) is Factor.GIVEN

    clock.advance(timedelta(minutes=5))
    second = sign_in(db, clock, anna)
    assert second.factor is Factor.CODE
    factor.give_code(db, clock, second, second.actor(), app.at(clock.now()), sealer=runtime.sealer)
    row = db.get(LoginSession, second.credential_id)
    assert row is not None
    assert factor.session_factor(row) is Factor.GIVEN
    events = [e.event for e in audit_events(db, object_id="anna") if e.event.startswith("second")]
    assert events == [
        "second_factor.enrolment_begun",
        "second_factor.enrolled",
        "second_factor.given",
    ]


@pytest.fixture
def enrolled(db: Session, clock: FrozenClock, runtime: Runtime, anna: str) -> pyotp.TOTP:
    return pyotp.TOTP(enrol_factor(db, clock, runtime.sealer, anna))


def test_a_code_is_used_once(
    db: Session, clock: FrozenClock, runtime: Runtime, anna: str, enrolled: pyotp.TOTP
) -> None:
    code = enrolled.at(clock.now())
    first, second = sign_in(db, clock, anna), sign_in(db, clock, anna)
    factor.give_code(db, clock, first, first.actor(), code, sealer=runtime.sealer)
    with pytest.raises(Forbidden, match="used already"):
        factor.give_code(db, clock, second, second.actor(), code, sealer=runtime.sealer)
    # The next step's code works; so does one from half a minute back, if not yet spent.
    clock.advance(timedelta(seconds=30))
    factor.give_code(
        db, clock, second, second.actor(), enrolled.at(clock.now()), sealer=runtime.sealer
    )


def test_codes_near_the_present_are_accepted_and_far_ones_refused(
    db: Session, clock: FrozenClock, runtime: Runtime, anna: str, enrolled: pyotp.TOTP
) -> None:
    late = sign_in(db, clock, anna)
    old = enrolled.at(clock.now() - timedelta(seconds=30))  # a phone half a minute behind
    factor.give_code(db, clock, late, late.actor(), old, sealer=runtime.sealer)
    clock.advance(timedelta(minutes=2))
    stale = sign_in(db, clock, anna)
    code = enrolled.at(clock.now() - timedelta(seconds=90))
    with pytest.raises(Forbidden):
        factor.give_code(db, clock, stale, stale.actor(), code, sealer=runtime.sealer)


def test_five_wrong_codes_end_the_session_and_each_is_on_record(
    db: Session, clock: FrozenClock, runtime: Runtime, anna: str, enrolled: pyotp.TOTP
) -> None:
    principal = sign_in(db, clock, anna)
    right = enrolled.at(clock.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(rules.CODE_FAILURES - 1):
        with pytest.raises(Forbidden):
            factor.give_code(db, clock, principal, principal.actor(), wrong, sealer=runtime.sealer)
    with pytest.raises(Unauthenticated, match="too many wrong codes"):
        factor.give_code(db, clock, principal, principal.actor(), wrong, sealer=runtime.sealer)
    row = db.get(LoginSession, principal.credential_id)
    assert row is not None
    assert row.ended_at is not None
    failed = audit_events(db, event="second_factor.given", outcome="failure")
    assert len(failed) == rules.CODE_FAILURES
    assert failed[-1].details["ended"] == "session"
    # Malformed codes are refused before any is counted.
    other = sign_in(db, clock, anna)
    with pytest.raises(InvalidInput):
        factor.give_code(db, clock, other, other.actor(), "12", sealer=runtime.sealer)


def test_a_token_acts_on_a_code_for_a_quarter_of_an_hour_and_five_wrong_ones_revoke_it(
    call: Call, db: Session, clock: FrozenClock, runtime: Runtime, anna: str, enrolled: pyotp.TOTP
) -> None:
    token, _ = users.issue_token(call, anna)
    principal = users.principal_from_token(db, clock, token)
    assert principal.factor is Factor.CODE
    given = factor.give_code(
        db, clock, principal, principal.actor(), enrolled.at(clock.now()), sealer=runtime.sealer
    )
    assert given.until == clock.now() + timedelta(minutes=15)
    assert users.principal_from_token(db, clock, token).factor is Factor.GIVEN
    clock.advance(timedelta(minutes=15))
    assert users.principal_from_token(db, clock, token).factor is Factor.CODE
    for _ in range(rules.CODE_FAILURES - 1):
        with pytest.raises(Forbidden):
            factor.give_code(
                db, clock, principal, principal.actor(), "000000", sealer=runtime.sealer
            )
    with pytest.raises(Unauthenticated, match="token is revoked"):
        factor.give_code(db, clock, principal, principal.actor(), "000000", sealer=runtime.sealer)
    with pytest.raises(Unauthenticated):
        users.principal_from_token(db, clock, token)


def test_the_seed_is_stored_sealed_and_bound_to_its_account(
    call: Call, db: Session, clock: FrozenClock, runtime: Runtime, anna: str
) -> None:
    secret = enrol_factor(db, clock, runtime.sealer, anna)
    users.create_user(call, name="olga", role=Role.ADMIN, passwords=CHEAP_PASSWORDS)
    stored = db.scalar(sa.select(User.totp_sealed).where(User.name == anna))
    assert stored is not None
    assert secret.encode() not in stored
    # Copied onto another account, the sealed seed does not open.
    olga = users.get_user(db, "olga")
    olga.totp_sealed = stored
    olga.totp_enrolled_at = clock.now()
    db.commit()
    principal = Principal(olga.id, "olga", Role.ADMIN, via="session")
    with pytest.raises(TamperDetected):
        factor.give_code(
            db, clock, principal, principal.actor(), code_now(secret, clock), sealer=runtime.sealer
        )


def test_roles_without_a_second_factor_cannot_enrol_one(
    call: Call, db: Session, clock: FrozenClock, runtime: Runtime
) -> None:
    users.create_user(call, name="ivan", role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS)
    ivan = users.get_user(db, "ivan")
    principal = Principal(ivan.id, "ivan", Role.INVESTIGATOR, via="session")
    with pytest.raises(Conflict):
        factor.begin_enrolment(db, clock, principal, principal.actor(), sealer=runtime.sealer)


def test_the_codes_are_the_standard_ones(
    db: Session, clock: FrozenClock, runtime: Runtime, anna: str
) -> None:
    secret = enrol_factor(db, clock, runtime.sealer, anna)
    at = clock.now().strftime("%Y-%m-%d %H:%M:%S UTC")
    made = subprocess.run(
        ["oathtool", "--totp", "--base32", "--now", at, secret], capture_output=True, text=True
    )
    assert made.stdout.strip() == code_now(secret, clock)


def test_removing_the_factor_ends_credentials_and_asks_for_a_new_enrolment(
    call: Call, db: Session, clock: FrozenClock, runtime: Runtime, anna: str, enrolled: pyotp.TOTP
) -> None:
    users.issue_token(call, anna)
    users.remove_factor(call, anna)
    revoked = db.scalars(sa.select(ApiToken.revoked_at))
    assert all(when is not None for when in revoked)
    principal = sign_in(db, clock, anna)
    assert principal.factor is Factor.ENROL
    with pytest.raises(Conflict, match="no second factor to remove"):
        users.remove_factor(call, anna)
    assert [e.event for e in audit_events(db, event="user.second_factor_removed")] == [
        "user.second_factor_removed"
    ]
