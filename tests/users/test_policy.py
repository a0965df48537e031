"""Account rules: names, passwords, token lifetimes, sign-in throttling per account and address,
and which account changes wait for a second person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.permissions import PERMISSION_ROLES, Factor, Permission, Role
from custos.users import policy
from custos.users.policy import Key, Scope, Throttle

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("admin", True),
        ("j.smith", True),
        ("ops-2", True),
        ("a", False),
        ("Admin", False),
        ("1abc", False),
        ("with space", False),
        ("x" * 65, False),
        ("", False),
        ("ivan/../x", False),
    ],
)
def test_user_names(name: str, ok: bool) -> None:
    assert (policy.username_problem(name) is None) is ok


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 12"),
        ("my-name-is-alice!", "user name"),
        ("correct horse battery", None),
    ],
)
def test_passwords(password: str, problem: str | None) -> None:
    found = policy.password_problem(password, "alice")
    assert (found is None) if problem is None else (problem in (found or ""))


# --- API tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        (1, None),
        (30, None),
        (policy.MAX_TOKEN_DAYS, None),
        (None, "every token expires"),
        (0, "1 to 90 days, not 0"),
        (-5, "not -5"),
        (policy.MAX_TOKEN_DAYS + 1, "not 91"),
        (3650, "not 3650"),
    ],
)
def test_token_lifetimes(days: int | None, problem: str | None) -> None:
    found = policy.token_days_problem(days)
    assert (found is None) if problem is None else (problem in (found or ""))


@given(
    days=st.integers(min_value=1, max_value=100_000),
    age=st.integers(min_value=0, max_value=200 * 24 * 3600),
)
def test_no_token_works_past_the_maximum_whatever_its_stored_end(days: int, age: int) -> None:
    issued = NOW - timedelta(seconds=age)
    stored_end = issued + timedelta(days=days)  # a token from before the maximum, perhaps
    live = policy.token_live(issued, stored_end, None, NOW)
    ends = min(stored_end, issued + timedelta(days=policy.MAX_TOKEN_DAYS))
    assert live == (ends > NOW)
    assert not policy.token_live(issued, stored_end, issued, NOW)  # revoked: never


# --- sign-in throttling ---------------------------------------------------------------------

ATTACKER = "198.51.100.7"
USER_AT = "192.0.2.10"


def _fail(ledger: dict[Key, Throttle], name: str, address: str, at: datetime) -> list[Scope]:
    failed = policy.after_failed_sign_in(ledger, name, address, at)
    ledger.update(failed.changed)
    return failed.locked


def _succeed(ledger: dict[Key, Throttle], name: str, address: str) -> None:
    ledger.update(policy.after_successful_sign_in(name, address))


def test_the_fifth_failure_locks_the_account_at_that_address_only() -> None:
    ledger: dict[Key, Throttle] = {}
    for _ in range(policy.ACCOUNT_FAILURES - 1):
        assert _fail(ledger, "admin", ATTACKER, NOW) == []
        assert policy.blocked(ledger, "admin", ATTACKER, NOW) is None
    assert _fail(ledger, "admin", ATTACKER, NOW) == [Scope.ACCOUNT]
    assert policy.blocked(ledger, "admin", ATTACKER, NOW) is Scope.ACCOUNT
    assert policy.blocked(ledger, "admin", USER_AT, NOW) is None  # the real admin signs in
    assert policy.blocked(ledger, "olga", ATTACKER, NOW) is None  # other names from there too
    until = NOW + policy.LOCKOUT
    assert policy.locked_until(ledger, "admin", ATTACKER, NOW) == until
    assert policy.blocked(ledger, "admin", ATTACKER, until - timedelta(seconds=1))
    assert policy.blocked(ledger, "admin", ATTACKER, until) is None


def test_an_address_that_keeps_failing_is_locked_out_for_every_name() -> None:
    ledger: dict[Key, Throttle] = {}
    locked: list[Scope] = []
    for i in range(policy.ADDRESS_FAILURES):
        locked = _fail(ledger, f"guess{i}", ATTACKER, NOW + timedelta(seconds=i))
    assert locked == [Scope.ADDRESS]
    later = NOW + timedelta(minutes=1)
    assert policy.blocked(ledger, "anyone", ATTACKER, later) is Scope.ADDRESS
    assert policy.blocked(ledger, "anyone", USER_AT, later) is None


@pytest.mark.parametrize(
    ("failures", "spacing", "locked"),
    [
        (4, timedelta(0), False),
        (5, timedelta(0), True),
        (5, timedelta(minutes=3), True),  # the fifth falls 12 minutes after the first
        (5, timedelta(minutes=4), False),  # the fifth falls after the 15-minute window
        (9, timedelta(minutes=4), False),  # a slow guesser never gets to five in a window
    ],
)
def test_failures_count_within_a_window(failures: int, spacing: timedelta, locked: bool) -> None:
    ledger: dict[Key, Throttle] = {}
    at = NOW
    for i in range(failures):
        at = NOW + i * spacing
        _fail(ledger, "dave", ATTACKER, at)
    assert (policy.blocked(ledger, "dave", ATTACKER, at) is not None) is locked


def test_a_success_clears_its_account_but_not_its_address() -> None:
    ledger: dict[Key, Throttle] = {}
    for _ in range(policy.ACCOUNT_FAILURES - 1):
        _fail(ledger, "carol", ATTACKER, NOW)
    _succeed(ledger, "carol", ATTACKER)
    assert ledger[("carol", ATTACKER)] == policy.CLEAR
    assert ledger[(policy.EVERY_ACCOUNT, ATTACKER)].failures == policy.ACCOUNT_FAILURES - 1
    assert _fail(ledger, "carol", ATTACKER, NOW) == []


def test_attempts_while_locked_out_do_not_make_it_longer() -> None:
    ledger: dict[Key, Throttle] = {}
    for _ in range(policy.ACCOUNT_FAILURES):
        _fail(ledger, "erin", ATTACKER, NOW)
    for minute in range(1, 15):
        _fail(ledger, "erin", ATTACKER, NOW + timedelta(minutes=minute))
    assert policy.locked_until(ledger, "erin", ATTACKER, NOW) == NOW + policy.LOCKOUT


def test_a_record_is_forgotten_once_nothing_holds() -> None:
    assert policy.forgotten(policy.CLEAR, NOW)
    counting = Throttle(failures=2, window_started_at=NOW)
    assert not policy.forgotten(counting, NOW + policy.FAILURE_WINDOW - timedelta(seconds=1))
    assert policy.forgotten(counting, NOW + policy.FAILURE_WINDOW)
    locked = Throttle(locked_until=NOW + policy.LOCKOUT)
    assert not policy.forgotten(locked, NOW)
    assert policy.forgotten(locked, NOW + policy.LOCKOUT)


# An attempt: who is tried, from which of a few addresses, how many seconds after the last one.
attempts = st.lists(
    st.tuples(
        st.sampled_from(["admin", "olga", "nobody", "x"]),
        st.sampled_from([ATTACKER, "198.51.100.8", "203.0.113.9"]),
        st.integers(min_value=0, max_value=600),
    ),
    max_size=80,
)


@given(attempts)
def test_no_failure_from_one_address_ever_locks_anyone_out_at_another(
    tried: list[tuple[str, str, int]],
) -> None:
    ledger: dict[Key, Throttle] = {}
    at = NOW
    for name, address, gap in tried:
        at += timedelta(seconds=gap)
        _fail(ledger, name, address, at)
        assert {key[1] for key in ledger} <= {a for _, a, _ in tried}
    attackers = {address for _, address, _ in tried}
    for name in ("admin", "olga", "nobody"):
        assert policy.blocked(ledger, name, USER_AT, at) is None
        for address in attackers:
            # ...and wherever a lock-out holds, it ends within LOCKOUT of the last failure.
            assert policy.blocked(ledger, name, address, at + policy.LOCKOUT) is None
    assert USER_AT not in attackers


@given(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
def test_locks_come_exactly_at_the_thresholds(on_admin: int, on_others: int) -> None:
    """Failures at one moment from one address: `on_admin` on admin, then on other names."""
    ledger: dict[Key, Throttle] = {}
    account_locked_at = address_locked_at = None
    for n in range(1, on_admin + on_others + 1):
        name = "admin" if n <= on_admin else f"other{n}"
        if policy.blocked(ledger, name, ATTACKER, NOW) is not None:
            continue  # refused before the password: not a counted failure
        locked = _fail(ledger, name, ATTACKER, NOW)
        if Scope.ACCOUNT in locked and name == "admin" and account_locked_at is None:
            account_locked_at = n
        if Scope.ADDRESS in locked and address_locked_at is None:
            address_locked_at = n
    expected_account = policy.ACCOUNT_FAILURES if on_admin >= policy.ACCOUNT_FAILURES else None
    assert account_locked_at == expected_account
    # Attempts refused on the locked admin are not counted, so the address reaches its
    # threshold that many attempts later.
    refused = max(on_admin - policy.ACCOUNT_FAILURES, 0)
    counted = on_admin + on_others - refused
    expected_address = (
        policy.ADDRESS_FAILURES + refused if counted >= policy.ADDRESS_FAILURES else None
    )
    assert address_locked_at == expected_address


# --- four eyes on every power over footage --------------------------------------------------

Kind = policy.ChangeKind
GUARDED = {Role.OPERATOR, Role.INVESTIGATOR, Role.APPROVER, Role.ADMIN, Role.DPO}


def test_the_guarded_roles_are_those_near_footage_and_those_who_confirm() -> None:
    assert policy.footage_roles() == {Role.OPERATOR, Role.INVESTIGATOR, Role.APPROVER}
    assert set(policy.CONFIRMERS) == {Role.ADMIN, Role.DPO}
    assert policy.GUARDED_ROLES == GUARDED
    # A role that the table one day admits to footage is guarded with it.
    table = dict(PERMISSION_ROLES)
    table[Permission.VIEW_LIVE] = table[Permission.VIEW_LIVE] | {Role.AUDITOR}
    assert Role.AUDITOR in policy.footage_roles(table)


@pytest.mark.parametrize(
    ("kind", "role", "confirm", "new_password", "end_credentials"),
    [
        (Kind.CREATE, Role.INVESTIGATOR, True, True, False),
        (Kind.CREATE, Role.APPROVER, True, True, False),
        (Kind.CREATE, Role.OPERATOR, True, True, False),
        (Kind.CREATE, Role.ADMIN, True, True, False),
        (Kind.CREATE, Role.DPO, True, True, False),
        (Kind.CREATE, Role.AUDITOR, False, True, False),
        (Kind.ROLE, Role.INVESTIGATOR, True, True, True),
        (Kind.ROLE, Role.ADMIN, True, True, True),
        (Kind.ROLE, Role.AUDITOR, False, False, False),
        (Kind.ENABLE, Role.APPROVER, True, False, False),
        (Kind.ENABLE, Role.DPO, True, False, False),
        (Kind.ENABLE, Role.AUDITOR, False, False, False),
        (Kind.RESET, Role.INVESTIGATOR, True, True, True),
        (Kind.RESET, Role.ADMIN, True, True, True),
        (Kind.RESET, Role.AUDITOR, False, True, True),
        (Kind.RESET_FACTOR, Role.APPROVER, True, False, True),
        (Kind.RESET_FACTOR, Role.ADMIN, True, False, True),
    ],
)
def test_how_each_change_is_made(
    kind: policy.ChangeKind, role: Role, confirm: bool, new_password: bool, end_credentials: bool
) -> None:
    assert policy.plan_of(kind, role) == policy.Plan(confirm, new_password, end_credentials)


@pytest.mark.parametrize(
    ("kind", "role", "signed_in", "problem"),
    [
        (Kind.CREATE, Role.INVESTIGATOR, True, "creating an account with the investigator role"),
        (Kind.ROLE, Role.APPROVER, True, "giving an account the approver role"),
        (Kind.ENABLE, Role.OPERATOR, True, "enabling an account with the operator role"),
        (Kind.RESET, Role.DPO, True, "resetting the password of an account with the dpo role"),
        (Kind.RESET_FACTOR, Role.APPROVER, True, "removing the second factor of an account"),
        (Kind.CREATE, Role.AUDITOR, True, None),
        (Kind.ROLE, Role.AUDITOR, True, None),
        # The server's shell stands outside the rule: it makes the first accounts.
        (Kind.CREATE, Role.ADMIN, False, None),
        (Kind.RESET, Role.INVESTIGATOR, False, None),
    ],
)
def test_what_one_signed_in_person_may_not_do_alone(
    kind: policy.ChangeKind, role: Role, signed_in: bool, problem: str | None
) -> None:
    found = policy.alone_problem(kind, role, signed_in)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(problem)
        assert "needs a second person" in found


ASKER, TARGET, OTHER = 1, 2, 3


@pytest.mark.parametrize(
    ("decider", "account", "problem"),
    [
        (policy.Decider(OTHER, Role.ADMIN), TARGET, None),
        (policy.Decider(OTHER, Role.DPO), TARGET, None),
        (policy.Decider(OTHER, Role.DPO), None, None),
        (policy.Decider(None, None), TARGET, None),  # the server's shell
        (policy.Decider(ASKER, Role.ADMIN), TARGET, "you asked for this change"),
        (policy.Decider(ASKER, Role.ADMIN), None, "you asked for this change"),
        (policy.Decider(TARGET, Role.ADMIN), TARGET, "concerns your own account"),
        (policy.Decider(TARGET, Role.DPO), TARGET, "concerns your own account"),
        (policy.Decider(OTHER, Role.APPROVER), TARGET, "only an admin or the data protection"),
        (policy.Decider(OTHER, Role.AUDITOR), None, "only an admin or the data protection"),
        (policy.Decider(OTHER, None), None, "only an admin or the data protection"),
    ],
)
def test_who_decides_a_request(
    decider: policy.Decider, account: int | None, problem: str | None
) -> None:
    found = policy.decision_problem(policy.Asked(ASKER, account), decider)
    assert (found is None) if problem is None else (problem in (found or ""))


ids = st.integers(min_value=1, max_value=6)


@given(
    asker=ids,
    account=st.none() | ids,
    decider=ids,
    role=st.none() | st.sampled_from(sorted(Role)),
)
def test_a_request_is_decided_only_by_a_second_confirmer_who_does_not_gain_by_it(
    asker: int, account: int | None, decider: int, role: Role | None
) -> None:
    found = policy.decision_problem(policy.Asked(asker, account), policy.Decider(decider, role))
    admitted = role in policy.CONFIRMERS and decider not in (asker, account)
    assert (found is None) == admitted


@given(kind=st.sampled_from(list(Kind)), role=st.sampled_from(sorted(Role)))
def test_every_change_that_leaves_a_guarded_role_waits_and_every_promotion_renews_the_password(
    kind: policy.ChangeKind, role: Role
) -> None:
    plan = policy.plan_of(kind, role)
    assert plan.confirm == (role in GUARDED)
    assert (policy.alone_problem(kind, role, signed_in=True) is None) == (not plan.confirm)
    if kind is Kind.ROLE and plan.confirm:
        # Whatever password the asker knew when the account had a lesser role dies with it.
        assert plan.new_password
        assert plan.end_credentials
    if kind is Kind.RESET:
        assert plan.end_credentials


# A lone admin's moves: (what, which account, which role). "disable" and "own" (signing in to
# an account whose password the admin knows and choosing another) are not changes of the rule;
# they are what a lone admin may also do.
moves = st.lists(
    st.tuples(
        st.sampled_from([*Kind, "disable", "own"]),
        st.sampled_from(["ivan", "anna", "dora", "aud", "new1", "new2"]),
        st.sampled_from(sorted(Role)),
    ),
    max_size=40,
)


@dataclass
class Account:
    role: Role
    active: bool = True
    known: bool = False  # whether the lone admin knows its password


@given(moves)
def test_a_lone_admin_never_holds_the_password_of_an_account_near_footage(
    tried: list[tuple[policy.ChangeKind | str, str, Role]],
) -> None:
    accounts = {
        "ivan": Account(Role.INVESTIGATOR),
        "anna": Account(Role.APPROVER),
        "dora": Account(Role.DPO),
        "aud": Account(Role.AUDITOR, active=False),
    }
    for what, name, role in tried:
        account = accounts.get(name)
        if what == "disable":
            if account is not None:
                account.active = False
            continue
        if what == "own":
            continue  # choosing a new password for a known account keeps it known
        kind = Kind(what)
        if (kind is Kind.CREATE) != (account is None):
            continue  # the service refuses: a name taken, an account unknown
        if account is None:
            if policy.alone_problem(kind, role, signed_in=True) is None:
                accounts[name] = Account(role, known=policy.plan_of(kind, role).new_password)
            continue
        after = role if kind is Kind.ROLE else account.role
        if policy.alone_problem(kind, after, signed_in=True) is not None:
            continue  # filed as a request, which nobody else will confirm: nothing changes
        plan = policy.plan_of(kind, after)
        account.role = after
        account.known = account.known or plan.new_password
        if kind is Kind.ENABLE:
            account.active = True
    for name, account in accounts.items():
        if account.role in GUARDED:
            assert not account.known, name


# --- the second factor ------------------------------------------------------------------------


def test_the_roles_that_decide_hold_a_second_factor() -> None:
    holders = {role for role in Role if policy.needs_second_factor(role)}
    assert holders == {Role.APPROVER, Role.ADMIN, Role.DPO}


@pytest.mark.parametrize(
    ("role", "enrolled", "given", "factor"),
    [
        (Role.INVESTIGATOR, False, False, Factor.NOT_NEEDED),
        (Role.AUDITOR, True, True, Factor.NOT_NEEDED),
        (Role.APPROVER, False, False, Factor.ENROL),
        (Role.APPROVER, False, True, Factor.ENROL),
        (Role.ADMIN, True, False, Factor.CODE),
        (Role.DPO, True, True, Factor.GIVEN),
    ],
)
def test_where_a_credential_stands(role: Role, enrolled: bool, given: bool, factor: Factor) -> None:
    assert policy.factor_of(role, enrolled, given) is factor


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("123456", True),
        (" 123 456 ", True),
        ("12345", False),
        ("1234567", False),
        ("12a456", False),
    ],
)
def test_the_shape_of_a_code(code: str, ok: bool) -> None:
    assert (policy.code_problem(code) is None) == ok


@given(st.integers(min_value=1, max_value=10**9), st.none() | st.integers(0, 10**9 + 5))
def test_a_code_is_accepted_near_its_step_and_never_twice(now: int, last: int | None) -> None:
    accepted = policy.steps_accepted(now, last)
    assert all(abs(step - now) <= policy.CODE_DRIFT for step in accepted)
    # Only steps after the last one used: a code overheard after it was used is spent.
    assert all(last is None or step > last for step in accepted)
    assert (now in accepted) == (last is None or now > last)
    assert accepted == sorted(accepted, key=lambda step: abs(step - now))


def test_a_token_acts_on_its_code_for_a_quarter_of_an_hour() -> None:
    given_at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert policy.token_factor_until(given_at) == given_at + timedelta(minutes=15)


def test_the_fifth_wrong_code_ends_the_credential() -> None:
    assert [policy.ends_after_failure(n) for n in range(1, 7)] == [False] * 4 + [True] * 2
