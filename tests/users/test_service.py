"""Accounts and credentials against a real database: every change audited, secrets never stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Actor, Call, Principal
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
        "lockouts_lifted": ["10.0.0.9"],
        "sessions_ended": 0,
        "tokens_revoked": 0,
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


# --- four eyes: changes that wait for a second person ---------------------------------------

Kind = policy.ChangeKind
OWN = "a phrase of my own"


def _person(call: Call, name: str, role: Role) -> Actor:
    """A signed-in person with an account of `role`, as the actor of their calls."""
    user, _ = users.create_user(call, name=name, role=role, passwords=CHEAP_PASSWORDS)
    return Actor(name, role.value, user.id, "127.0.0.1")


def _as(call: Call, actor: Actor) -> Call:
    return call_of(call.session, call.clock, actor)


def _holder(call: Call, name: str, role: Role) -> None:
    """An account whose holder chose their own password (`OWN`)."""
    user, temporary = users.create_user(call, name=name, role=role, passwords=CHEAP_PASSWORDS)
    assert temporary is not None
    principal = Principal(user.id, name, role, "session")
    users.change_own_password(call, principal, temporary, OWN, passwords=CHEAP_PASSWORDS)


def _ask(call: Call, kind: policy.ChangeKind, name: str, role: Role | None = None) -> int:
    changed = users.make_or_ask(call, kind, name, role=role, passwords=CHEAP_PASSWORDS)
    assert changed.request is not None
    assert changed.password is None
    return changed.request.id


def test_a_signed_in_admin_only_asks_for_an_investigator_and_another_confirms(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    ada, bea = _person(call, "ada", Role.ADMIN), _person(call, "bea", Role.ADMIN)
    with pytest.raises(Forbidden, match="needs a second person"):
        users.create_user(
            _as(call, ada), name="ivan", role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS
        )
    asked = _ask(_as(call, ada), Kind.CREATE, "ivan", Role.INVESTIGATOR)
    # Until it is confirmed there is no account to sign in to, and the name is taken.
    with pytest.raises(NotFound):
        users.get_user(db, "ivan")
    with pytest.raises(Unauthenticated):
        _login(db, clock, "ivan", "anything at all")
    with pytest.raises(Conflict, match="waits for confirmation"):
        users.create_user(call, name="ivan", role=Role.AUDITOR, passwords=CHEAP_PASSWORDS)
    with pytest.raises(Forbidden, match="you asked for this change"):
        users.confirm_request(_as(call, ada), asked, passwords=CHEAP_PASSWORDS)
    confirmed = users.confirm_request(_as(call, bea), asked, passwords=CHEAP_PASSWORDS)
    assert confirmed.password is not None
    assert (confirmed.user.name, confirmed.user.role) == ("ivan", Role.INVESTIGATOR)
    assert confirmed.request.status is policy.RequestStatus.CONFIRMED
    assert (confirmed.request.decided_by, confirmed.request.decided_by_role) == ("bea", "admin")
    assert _login(db, clock, "ivan", confirmed.password)[0].must_change_password
    filed, tried, created = (
        audit_events(db, event=event)
        for event in ("account_request.filed", "account_request.confirmed", "user.created")
    )
    assert [(e.actor, e.details["kind"], e.details["role"]) for e in filed] == [
        ("ada", "create", "investigator")
    ]
    # The asker's own try is on record too, refused.
    assert [(e.actor, e.outcome) for e in tried] == [("ada", "denied"), ("bea", "success")]
    assert tried[0].details["why"].startswith("you asked for this change")
    assert tried[1].details["asked_by"] == "ada"
    assert (created[-1].actor, created[-1].details["request"]) == ("bea", asked)
    # Nothing of the password is in the log or in the request.
    for entry in audit_events(db):
        assert confirmed.password not in str(entry.details)


def test_the_dpo_confirms_but_no_other_role_and_not_the_account_concerned(
    call: Call, db: Session
) -> None:
    ada, dora = _person(call, "ada", Role.ADMIN), _person(call, "dora", Role.DPO)
    aud = _person(call, "aud", Role.AUDITOR)
    anna = _person(call, "anna", Role.APPROVER)
    for outsider in (aud, anna):
        asked = _ask(_as(call, ada), Kind.CREATE, f"new-{outsider.name}", Role.APPROVER)
        with pytest.raises(Forbidden, match="only an admin or the data protection officer"):
            users.confirm_request(_as(call, outsider), asked, passwords=CHEAP_PASSWORDS)
        with pytest.raises(Forbidden):
            users.refuse_request(_as(call, outsider), asked, "no")
    reset_dora = _ask(_as(call, ada), Kind.RESET, "dora")
    with pytest.raises(Forbidden, match="your own account"):
        users.confirm_request(_as(call, dora), reset_dora, passwords=CHEAP_PASSWORDS)
    asked = _ask(_as(call, ada), Kind.ROLE, "aud", Role.INVESTIGATOR)
    confirmed = users.confirm_request(_as(call, dora), asked, passwords=CHEAP_PASSWORDS)
    assert confirmed.user.role is Role.INVESTIGATOR
    assert confirmed.password is not None


def test_a_pending_reset_leaves_the_account_as_it_was_and_a_confirmed_one_ends_its_credentials(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    ada, dora = _person(call, "ada", Role.ADMIN), _person(call, "dora", Role.DPO)
    _holder(call, "ivan", Role.INVESTIGATOR)
    principal, cookie = _login(db, clock, "ivan", OWN)
    token, _ = users.issue_token(call, "ivan")
    asked = _ask(_as(call, ada), Kind.RESET, "ivan")
    # Waiting: the holder goes on with their own password, session and token.
    assert users.principal_from_cookie(db, clock, cookie).name == "ivan"
    assert users.principal_from_token(db, clock, token).name == "ivan"
    assert not _login(db, clock, "ivan", OWN)[0].must_change_password
    with pytest.raises(Conflict, match=r"waits for confirmation \(request"):
        _ask(_as(call, ada), Kind.RESET, "ivan")
    clock.advance(timedelta(minutes=5))
    confirmed = users.confirm_request(_as(call, dora), asked, passwords=CHEAP_PASSWORDS)
    assert confirmed.password is not None
    for check in (
        lambda: users.principal_from_cookie(db, clock, cookie),
        lambda: users.principal_from_token(db, clock, token),
        lambda: _login(db, clock, "ivan", OWN),
    ):
        with pytest.raises(Unauthenticated):
            check()
    [reset] = audit_events(db, event="user.password_reset")
    assert (reset.actor, reset.details["sessions_ended"], reset.details["tokens_revoked"]) == (
        "dora",
        2,
        1,
    )
    # The holder is told at the next sign-in who reset it, until they choose their own.
    user = users.get_user(db, "ivan")
    assert user.password_reset_at == clock.now()
    assert user.password_reset_by == "asked by ada (admin), confirmed by dora (dpo)"
    signed, _ = _login(db, clock, "ivan", confirmed.password)
    told = audit_events(db, event="login")[-1].details
    assert told is not None
    assert "confirmed by dora (dpo)" in told["told"]
    users.change_own_password(
        call, signed, confirmed.password, "yet another phrase", passwords=CHEAP_PASSWORDS
    )
    assert (user.password_reset_at, user.password_reset_by) == (None, None)
    assert principal.name == "ivan"


def test_a_promotion_replaces_a_password_the_asker_may_know(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    ada, bea = _person(call, "ada", Role.ADMIN), _person(call, "bea", Role.ADMIN)
    # An auditor's account is made at once, and its one-time password seen by the admin.
    made = users.make_or_ask(
        _as(call, ada), Kind.CREATE, "sam", role=Role.AUDITOR, passwords=CHEAP_PASSWORDS
    )
    assert made.request is None
    assert made.password is not None
    asked = _ask(_as(call, ada), Kind.ROLE, "sam", Role.INVESTIGATOR)
    assert users.get_user(db, "sam").role is Role.AUDITOR  # until it is confirmed
    confirmed = users.confirm_request(_as(call, bea), asked, passwords=CHEAP_PASSWORDS)
    assert confirmed.password not in (None, made.password)
    with pytest.raises(Unauthenticated):
        _login(db, clock, "sam", made.password)
    [changed] = audit_events(db, event="user.role_changed")
    assert changed.details["role_before"] == "auditor"
    assert changed.details["password"] is True
    # Taking the power away again needs nobody: it is made at once, the password kept.
    demoted = users.make_or_ask(
        _as(call, ada), Kind.ROLE, "sam", role=Role.AUDITOR, passwords=CHEAP_PASSWORDS
    )
    assert (demoted.request, demoted.password) == (None, None)
    assert users.get_user(db, "sam").role is Role.AUDITOR


def test_enabling_waits_and_the_account_stays_disabled(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    ada, bea = _person(call, "ada", Role.ADMIN), _person(call, "bea", Role.ADMIN)
    _holder(call, "anna", Role.APPROVER)
    users.set_active(_as(call, ada), "anna", False)  # taking power away: at once
    with pytest.raises(Forbidden, match="needs a second person"):
        users.set_active(_as(call, ada), "anna", True)
    asked = _ask(_as(call, ada), Kind.ENABLE, "anna")
    with pytest.raises(Unauthenticated):
        _login(db, clock, "anna", OWN)
    users.confirm_request(_as(call, bea), asked, passwords=CHEAP_PASSWORDS)
    assert _login(db, clock, "anna", OWN)[0].name == "anna"  # her own password, kept
    with pytest.raises(Conflict, match="enabled already"):
        users.make_or_ask(_as(call, ada), Kind.ENABLE, "anna", passwords=CHEAP_PASSWORDS)


def test_a_refusal_needs_a_reason_changes_nothing_and_is_final(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    ada, dora = _person(call, "ada", Role.ADMIN), _person(call, "dora", Role.DPO)
    _holder(call, "ivan", Role.INVESTIGATOR)
    asked = _ask(_as(call, ada), Kind.RESET, "ivan")
    with pytest.raises(InvalidInput, match="say why"):
        users.refuse_request(_as(call, dora), asked, "  ")
    with pytest.raises(Forbidden, match="you asked"):
        users.refuse_request(_as(call, ada), asked, "changed my mind")
    refused = users.refuse_request(_as(call, dora), asked, "ivan did not ask for it")
    assert (refused.status, refused.refusal_reason) == (
        policy.RequestStatus.REFUSED,
        "ivan did not ask for it",
    )
    assert _login(db, clock, "ivan", OWN)[0].name == "ivan"
    with pytest.raises(Conflict, match="refused already"):
        users.confirm_request(_as(call, dora), asked, passwords=CHEAP_PASSWORDS)
    [entry] = audit_events(db, event="account_request.refused", outcome="success")
    assert (entry.actor, entry.details["reason"]) == ("dora", "ivan did not ask for it")
    # Refused, the account is free for another request.
    assert _ask(_as(call, ada), Kind.RESET, "ivan") != asked


def test_a_request_overtaken_by_another_change_is_not_confirmed(call: Call, db: Session) -> None:
    ada, bea = _person(call, "ada", Role.ADMIN), _person(call, "bea", Role.ADMIN)
    _holder(call, "sam", Role.AUDITOR)
    asked = _ask(_as(call, ada), Kind.ROLE, "sam", Role.APPROVER)
    users.set_role(call, "sam", Role.OPERATOR, passwords=CHEAP_PASSWORDS)  # from the shell
    with pytest.raises(Conflict, match="has the operator role now"):
        users.confirm_request(_as(call, bea), asked, passwords=CHEAP_PASSWORDS)
    assert users.get_request(db, asked).status is policy.RequestStatus.PENDING
    with pytest.raises(Conflict, match="your own role"):
        users.make_or_ask(
            _as(call, ada), Kind.ROLE, "ada", role=Role.DPO, passwords=CHEAP_PASSWORDS
        )


def test_the_servers_shell_makes_changes_at_once_and_may_confirm(
    call: Call, db: Session, clock: FrozenClock
) -> None:
    ada = _person(call, "ada", Role.ADMIN)
    made = users.make_or_ask(
        call, Kind.CREATE, "ivan", role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS
    )
    assert made.request is None
    assert made.password is not None
    _user, password = users.set_role(call, "ivan", Role.APPROVER, passwords=CHEAP_PASSWORDS)
    assert password is not None
    assert users.get_user(db, "ivan").password_reset_by == "made by tester (admin)"
    asked = _ask(_as(call, ada), Kind.CREATE, "olga", Role.OPERATOR)
    shell = call_of(db, clock, Actor("cli:root", client_address="local"))
    confirmed = users.confirm_request(shell, asked, passwords=CHEAP_PASSWORDS)
    assert confirmed.request.decided_by == "cli:root"
    assert confirmed.request.decided_by_role is None


def test_a_signed_in_user_issues_tokens_only_for_themself(call: Call) -> None:
    ada = _person(call, "ada", Role.ADMIN)
    _holder(call, "ivan", Role.INVESTIGATOR)
    with pytest.raises(Forbidden, match="only for their own account"):
        users.issue_token(_as(call, ada), "ivan")


def _break_audit_writes(db: Session) -> None:
    """Make every audit insert fail in this test's transaction, as a broken log would."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(
            sa.text(
                "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
        )
        return
    db.execute(
        sa.text(
            "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$"
        )
    )
    db.execute(
        sa.text(
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_down()"
        )
    )


@pytest.mark.parametrize("step", ["ask", "confirm", "refuse"])
def test_no_step_is_taken_when_its_audit_entry_cannot_be_written(
    call: Call, db: Session, step: str
) -> None:
    ada, bea = _person(call, "ada", Role.ADMIN), _person(call, "bea", Role.ADMIN)
    asked = None if step == "ask" else _ask(_as(call, ada), Kind.CREATE, "ivan", Role.INVESTIGATOR)
    steps: dict[str, Callable[[], object]] = {
        "ask": lambda: _ask(_as(call, ada), Kind.CREATE, "ivan", Role.INVESTIGATOR),
        "confirm": lambda: users.confirm_request(
            _as(call, bea), asked or 0, passwords=CHEAP_PASSWORDS
        ),
        "refuse": lambda: users.refuse_request(_as(call, bea), asked or 0, "no"),
    }
    _break_audit_writes(db)
    with pytest.raises(sa.exc.DBAPIError, match="audit log unavailable"):
        steps[step]()
    db.rollback()
    assert db.scalar(sa.select(User.id).where(User.name == "ivan")) is None
    pending = users.list_requests(db, policy.RequestStatus.PENDING)
    assert [r.id for r in pending] == ([] if asked is None else [asked])
