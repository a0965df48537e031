"""Account rules: names, passwords, sign-in throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.users import policy
from custos.users.policy import LoginState

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


def test_fifth_failure_locks_for_fifteen_minutes() -> None:
    state = LoginState(0, None)
    for _ in range(policy.MAX_FAILED_LOGINS - 1):
        state = policy.after_failed_login(state, NOW)
        assert not policy.is_locked(state, NOW)
    state = policy.after_failed_login(state, NOW)
    assert policy.is_locked(state, NOW)
    assert policy.is_locked(state, NOW + policy.LOCKOUT - timedelta(seconds=1))
    assert not policy.is_locked(state, NOW + policy.LOCKOUT)


@given(st.integers(min_value=0, max_value=50))
def test_lock_never_comes_before_the_threshold(failures: int) -> None:
    state = LoginState(0, None)
    locked_after = None
    for attempt in range(1, failures + 1):
        state = policy.after_failed_login(state, NOW)
        if locked_after is None and policy.is_locked(state, NOW):
            locked_after = attempt
    assert locked_after == (
        policy.MAX_FAILED_LOGINS if failures >= policy.MAX_FAILED_LOGINS else None
    )


def test_success_clears_failures() -> None:
    assert policy.after_successful_login(LoginState(3, None)) == LoginState(0, None)


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
