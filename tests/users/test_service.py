"""Accounts and credentials against a real database: every change audited, secrets never stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Call, Principal
from custos.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PasswordChangeRequired,
    Unauthenticated,
)
from custos.permissions import Role
from custos.users import policy
from custos.users import service as users
from custos.users.models import ApiToken, LoginSession, LoginThrottle, User
from custos.users.policy import Scope
from helpers import CHEAP_PASSWORDS, audit_events, call_of

HOUR = timedelta(hours=1)


ATTACKER = "198.51.100.7"


def _login(db: Session, clock: FrozenClock, name: str, password: str) -> tuple[Principal, str]:
    return _login_from(db, clock, name, password, "10.0.0.9")


def _login_from(
    db: Session, clock: FrozenClock, name: str, password: str, address: str
) -> tuple[Principal, str]:
    return users.login(db, clock, name, password, address, HOUR, passwords=CHEAP_PASSWORDS)


def test_created_user_has_a_hashed_one_time_password(call: Call, db: Session) -> None:
    user, password = users.create_user(
        call, name="alice", role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    assert len(password) == 20
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash
    assert user.must_change_password
    [entry] = audit_events(db, event="user.created")
    assert entry.object_id == "alice"
    assert entry.details["role"] == "investigator"


def test_duplicate_and_malformed_names_are_refused(call: Call) -> None:
    users.create_user(call, name="bob", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS)
    with pytest.raises(Conflict, match="exists already"):
        users.create_user(call, name="bob", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS)
    with pytest.raises(InvalidInput, match="user name"):
        users.create_user(call, name="Bob Smith", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS)


def test_login_opens_a_session_and_is_audited(call: Call, db: Session, clock: FrozenClock) -> None:
    _user, password = users.create_user(
        call, name="carol", role=Role.APPROVER, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    principal, cookie = _login(db, clock, "carol", password)
    assert principal.role is Role.APPROVER
    assert principal.must_change_password
    stored = db.scalars(sa.select(LoginSession.token_hash)).all()
    assert cookie not in stored
    assert len(stored) == 1
    assert users.principal_from_cookie(db, clock, cookie).name == "carol"
    [entry] = audit_events(db, event="login")
    assert (entry.actor, entry.client_address, entry.action) == (
        "carol",
        "10.0.0.9",
        "authenticate",
    )


def test_failed_logins_are_audited_and_lock_the_account_at_that_address(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    _user, password = users.create_user(
        call, name="dave", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    for _ in range(policy.ACCOUNT_FAILURES):
        with pytest.raises(Unauthenticated, match="wrong user name or password"):
            _login(db, clock, "dave", "not-the-password")
    with pytest.raises(Unauthenticated, match="too many failed sign-ins; try again later"):
        _login(db, clock, "dave", password)
    failures = audit_events(db, event="login.failed")
    assert len(failures) == policy.ACCOUNT_FAILURES
    assert {f.outcome for f in failures} == {"failure"}
    [locked] = audit_events(db, event="login.locked")
    assert (locked.object_type, locked.object_id, locked.client_address) == (
        "user",
        "dave",
        "10.0.0.9",
    )
    assert locked.details["scope"] == "account"
    assert locked.details["locked_until"] == str(clock.now() + policy.LOCKOUT)
    blocked = audit_events(db, event="login.blocked")[0]
    assert (blocked.outcome, blocked.details["scope"]) == ("denied", "account")
    # The real dave, elsewhere, is not locked out by what happened at 10.0.0.9.
    assert _login_from(db, clock, "dave", password, "10.0.0.20")[0].name == "dave"
    [lockout] = users.lockouts(db, clock.now())
    assert (lockout.user, lockout.address, lockout.scope) == ("dave", "10.0.0.9", Scope.ACCOUNT)
    clock.advance(policy.LOCKOUT)
    assert _login(db, clock, "dave", password)[0].name == "dave"
    assert users.lockouts(db, clock.now()) == []


def test_an_address_that_keeps_failing_is_locked_out_for_every_account(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    _user, password = users.create_user(
        call, name="ivy", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    for i in range(policy.ADDRESS_FAILURES):
        with pytest.raises(Unauthenticated, match="wrong user name or password"):
            _login_from(db, clock, f"guess{i}", "whatever-it-is", ATTACKER)
    with pytest.raises(Unauthenticated, match="from this address"):
        _login_from(db, clock, "ivy", password, ATTACKER)
    [locked] = audit_events(db, event="login.locked")
    assert (locked.object_type, locked.object_id, locked.details["scope"]) == (
        "client_address",
        ATTACKER,
        "address",
    )
    assert _login_from(db, clock, "ivy", password, "10.0.0.20")[0].name == "ivy"
    assert [(x.user, x.address) for x in users.lockouts(db, clock.now())] == [(None, ATTACKER)]


def test_unknown_names_are_locked_out_like_known_ones(db: Session, clock: FrozenClock) -> None:
    # Otherwise a lock-out would tell which names are accounts.
    for _ in range(policy.ACCOUNT_FAILURES):
        with pytest.raises(Unauthenticated, match="wrong user name or password"):
            _login(db, clock, "nobody", "whatever-it-is")
    with pytest.raises(Unauthenticated, match="too many failed sign-ins; try again later"):
        _login(db, clock, "nobody", "whatever-it-is")


def test_old_failure_counts_are_forgotten(call: Call, db: Session, clock: FrozenClock) -> None:
    _user, password = users.create_user(
        call, name="kim", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    for _ in range(policy.ACCOUNT_FAILURES - 1):
        with pytest.raises(Unauthenticated):
            _login(db, clock, "kim", "not-the-password")
    clock.advance(policy.FAILURE_WINDOW)
    with pytest.raises(Unauthenticated, match="wrong user name or password"):
        _login(db, clock, "kim", "not-the-password")  # the first of a new window
    rows = db.scalars(sa.select(LoginThrottle).where(LoginThrottle.user_name == "kim")).all()
    assert [row.failures for row in rows] == [1]
    assert _login(db, clock, "kim", password)[0].name == "kim"
    assert db.scalars(sa.select(LoginThrottle).where(LoginThrottle.user_name == "kim")).all() == []


def test_a_failure_counted_while_another_stores_the_same_key_first_is_not_an_error(
    db: Session, clock: FrozenClock
) -> None:
    # Two failed sign-ins from one address at the same moment both find no row for it; the
    # second to write must not fail on the unique key the first one took.
    key = (policy.EVERY_ACCOUNT, ATTACKER)
    db.add(LoginThrottle(user_name=key[0], client_address=key[1], failures=1))
    db.flush()
    counted = policy.Throttle(failures=1, window_started_at=clock.now())
    users._store(db, {}, {key: counted})
    [row] = db.scalars(sa.select(LoginThrottle).where(LoginThrottle.client_address == ATTACKER))
    assert (row.failures, row.window_started_at) == (1, clock.now())


def test_an_admin_lifts_lock_outs_and_it_is_audited(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    _user, password = users.create_user(
        call, name="lea", role=Role.ADMIN, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    for address in ("10.0.0.9", ATTACKER):
        for _ in range(policy.ACCOUNT_FAILURES):
            with pytest.raises(Unauthenticated):
                _login_from(db, clock, "lea", "not-the-password", address)
    with pytest.raises(NotFound, match=r"no lock-out of the address 10\.0\.0\.9"):
        users.lift_lockout(call, "10.0.0.9")
    users.lift_lockout(call, ATTACKER, "lea")
    [lifted] = audit_events(db, event="lockout.lifted")
    assert (lifted.object_id, lifted.details, lifted.actor) == (ATTACKER, {"user": "lea"}, "tester")
    assert [x.address for x in users.lockouts(db, clock.now(), "lea")] == ["10.0.0.9"]
    assert users.lift_account_lockout(call, "lea") == ["10.0.0.9"]
    [unlocked] = audit_events(db, event="user.unlocked")
    assert unlocked.details == {"addresses": ["10.0.0.9"]}
    assert _login(db, clock, "lea", password)[0].name == "lea"
    with pytest.raises(Conflict, match="not locked out"):
        users.lift_account_lockout(call, "lea")
    with pytest.raises(NotFound):
        users.lift_account_lockout(call, "no-such-user")


def test_a_password_reset_lifts_the_accounts_lock_outs(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    users.create_user(call, name="max", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS)
    for _ in range(policy.ACCOUNT_FAILURES):
        with pytest.raises(Unauthenticated):
            _login(db, clock, "max", "not-the-password")
    new = users.reset_password(call, "max", passwords=CHEAP_PASSWORDS)
    assert audit_events(db, event="user.password_reset")[0].details == {
        "lockouts_lifted": ["10.0.0.9"]
    }
    assert _login(db, clock, "max", new)[0].name == "max"


def test_unknown_user_fails_like_a_wrong_password(db: Session, clock: FrozenClock) -> None:
    with pytest.raises(Unauthenticated, match="wrong user name or password"):
        _login(db, clock, "nobody", "whatever-it-is")
    assert audit_events(db, event="login.failed")[0].details == {"reason": "unknown user"}


def test_session_expires_and_logout_ends_it(call: Call, db: Session, clock: FrozenClock) -> None:
    _user, password = users.create_user(
        call, name="erin", role=Role.AUDITOR, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    _principal, cookie = _login(db, clock, "erin", password)
    clock.advance(HOUR)
    with pytest.raises(Unauthenticated):
        users.principal_from_cookie(db, clock, cookie)
    _principal, cookie = _login(db, clock, "erin", password)
    users.logout(db, clock, cookie, None)
    with pytest.raises(Unauthenticated):
        users.principal_from_cookie(db, clock, cookie)
    assert len(audit_events(db, event="logout")) == 1


def test_own_password_change_clears_the_one_time_flag(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    _user, password = users.create_user(call, name="fay", role=Role.DPO, passwords=CHEAP_PASSWORDS)
    assert password is not None
    principal, _ = _login(db, clock, "fay", password)
    with pytest.raises(PasswordChangeRequired):
        users.issue_token(call_of(db, clock, principal.actor()), "fay")
    with pytest.raises(Forbidden, match="current password is wrong"):
        users.change_own_password(
            call_of(db, clock, principal.actor()),
            principal,
            "wrong",
            "a-new-long-password",
            passwords=CHEAP_PASSWORDS,
        )
    with pytest.raises(InvalidInput, match="at least 12"):
        users.change_own_password(
            call_of(db, clock, principal.actor()),
            principal,
            password,
            "short",
            passwords=CHEAP_PASSWORDS,
        )
    users.change_own_password(
        call_of(db, clock, principal.actor()),
        principal,
        password,
        "a-new-long-password",
        passwords=CHEAP_PASSWORDS,
    )
    principal, _ = _login(db, clock, "fay", "a-new-long-password")
    assert not principal.must_change_password
    assert [e.outcome for e in audit_events(db, event="user.password_changed")] == [
        "denied",
        "success",
    ]


def test_tokens_are_stored_hashed_and_expire(call: Call, db: Session, clock: FrozenClock) -> None:
    users.create_user(
        call,
        name="svc",
        role=Role.AUDITOR,
        with_password=False,
        passwords=CHEAP_PASSWORDS,
    )
    token, expires = users.issue_token(call, "svc", label="ci", days=1)
    assert token.startswith("cst_")
    assert expires == clock.now() + timedelta(days=1)
    assert token not in db.scalars(sa.select(ApiToken.token_hash)).all()
    assert users.principal_from_token(db, clock, token).via == "token"
    clock.advance(timedelta(days=1))
    with pytest.raises(Unauthenticated, match="expired"):
        users.principal_from_token(db, clock, token)
    with pytest.raises(Unauthenticated, match="malformed"):
        users.principal_from_token(db, clock, "not-a-token")


@pytest.mark.parametrize(
    ("days", "message"), [(None, "every token expires"), (0, "not 0"), (91, "not 91")]
)
def test_a_token_without_an_end_or_past_the_maximum_is_refused(
    call: Call, db: Session, days: int | None, message: str
) -> None:
    users.create_user(
        call, name="svc", role=Role.AUDITOR, with_password=False, passwords=CHEAP_PASSWORDS
    )
    with pytest.raises(InvalidInput, match=message) as refused:
        users.issue_token(call, "svc", days=days)
    assert refused.value.field == "days"
    assert db.scalars(sa.select(ApiToken)).all() == []
    assert audit_events(db, event="user.token_issued") == []


def test_a_token_stored_with_a_later_end_still_stops_at_the_maximum(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    users.create_user(
        call, name="old", role=Role.AUDITOR, with_password=False, passwords=CHEAP_PASSWORDS
    )
    token, _ = users.issue_token(call, "old", days=1)
    row = db.scalars(sa.select(ApiToken)).one()
    row.expires_at = clock.now() + timedelta(days=3650)  # as tokens could once be issued
    db.commit()
    clock.advance(timedelta(days=policy.MAX_TOKEN_DAYS) - timedelta(seconds=1))
    assert users.principal_from_token(db, clock, token).name == "old"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(Unauthenticated, match="expired"):
        users.principal_from_token(db, clock, token)


def test_changing_the_password_ends_every_other_session_and_token(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    _user, password = users.create_user(
        call, name="nia", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    first, first_cookie = _login(db, clock, "nia", password)
    users.change_own_password(
        call_of(db, clock, first.actor()),
        first,
        password,
        "first quiet phrase",
        passwords=CHEAP_PASSWORDS,
    )
    token, _ = users.issue_token(call_of(db, clock, first.actor()), "nia")
    _elsewhere, elsewhere_cookie = _login_from(db, clock, "nia", "first quiet phrase", "10.0.0.20")
    this_one, this_cookie = _login(db, clock, "nia", "first quiet phrase")
    users.change_own_password(
        call_of(db, clock, this_one.actor()),
        this_one,
        "first quiet phrase",
        "second quiet phrase",
        passwords=CHEAP_PASSWORDS,
    )
    assert users.principal_from_cookie(db, clock, this_cookie).name == "nia"
    for ended in (first_cookie, elsewhere_cookie):
        with pytest.raises(Unauthenticated, match="session has ended"):
            users.principal_from_cookie(db, clock, ended)
    with pytest.raises(Unauthenticated, match="revoked"):
        users.principal_from_token(db, clock, token)
    entry = audit_events(db, event="user.password_changed")[-1]
    assert entry.details == {"sessions_ended": 2, "tokens_revoked": 1}


def test_a_password_changed_with_a_token_keeps_that_token_only(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    _user, password = users.create_user(
        call, name="oto", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    principal, _ = _login(db, clock, "oto", password)
    users.change_own_password(
        call_of(db, clock, principal.actor()),
        principal,
        password,
        "first calm phrase",
        passwords=CHEAP_PASSWORDS,
    )
    kept, other = users.issue_token(call, "oto")[0], users.issue_token(call, "oto")[0]
    _, cookie = _login(db, clock, "oto", "first calm phrase")
    caller = users.principal_from_token(db, clock, kept)
    users.change_own_password(
        call_of(db, clock, caller.actor()),
        caller,
        "first calm phrase",
        "second calm phrase",
        passwords=CHEAP_PASSWORDS,
    )
    assert users.principal_from_token(db, clock, kept).name == "oto"
    with pytest.raises(Unauthenticated):
        users.principal_from_token(db, clock, other)
    with pytest.raises(Unauthenticated):
        users.principal_from_cookie(db, clock, cookie)


def test_disabling_ends_sessions_and_tokens(call: Call, db: Session, clock: FrozenClock) -> None:
    _user, password = users.create_user(
        call, name="gus", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert password is not None
    _principal, cookie = _login(db, clock, "gus", password)
    users.change_own_password(
        call,
        users.principal_from_cookie(db, clock, cookie),
        password,
        "a-private-phrase-1",
        passwords=CHEAP_PASSWORDS,
    )
    token, _ = users.issue_token(call, "gus")
    users.set_active(call, "gus", False)
    for check in (
        lambda: users.principal_from_cookie(db, clock, cookie),
        lambda: users.principal_from_token(db, clock, token),
        lambda: _login(db, clock, "gus", "a-private-phrase-1"),
    ):
        with pytest.raises(Unauthenticated):
            check()
    assert audit_events(db, event="login.failed")[-1].details == {"reason": "disabled"}


def test_admin_cannot_disable_themself(call: Call, db: Session, clock: FrozenClock) -> None:
    admin, _ = users.create_user(call, name="root2", role=Role.ADMIN, passwords=CHEAP_PASSWORDS)
    me = Principal(user_id=admin.id, name="root2", role=Role.ADMIN, via="session")
    with pytest.raises(Conflict, match="your own account"):
        users.set_active(call_of(db, clock, me.actor()), "root2", False)


def test_reset_password_issues_a_new_one_time_password(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    users.create_user(call, name="hal", role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS)
    new = users.reset_password(call, "hal", passwords=CHEAP_PASSWORDS)
    principal, _ = _login(db, clock, "hal", new)
    assert principal.must_change_password
    assert len(audit_events(db, event="user.password_reset")) == 1


def test_first_admin_is_created_once(db: Session, clock: FrozenClock) -> None:
    if db.scalar(sa.select(User.id).where(User.role == Role.ADMIN)) is None:
        assert users.ensure_first_admin(db, clock, passwords=CHEAP_PASSWORDS) is not None
    assert users.ensure_first_admin(db, clock, passwords=CHEAP_PASSWORDS) is None
    assert db.scalar(sa.select(sa.func.count()).where(User.name == users.FIRST_ADMIN)) == 1
