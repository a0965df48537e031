"""Role rules: the permission table, separation of duties, names, passwords, sign-in throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.users import policy
from custos.users.policy import (
    FOOTAGE_PERMISSIONS,
    PERMISSION_ROLES,
    ROLES_BARRED_FROM_FOOTAGE,
    LoginState,
    Permission,
    Role,
)

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)

EXPECTED_ROLES = {
    Permission.OWN_ACCOUNT: set(Role),
    Permission.VIEW_CAMERAS: set(Role),
    Permission.MANAGE_CAMERAS: {Role.ADMIN, Role.OPERATOR},
    Permission.MANAGE_USERS: {Role.ADMIN},
    Permission.VIEW_RETENTION: set(Role),
    Permission.MARK_INCIDENTS: {Role.OPERATOR},
    Permission.VIEW_INCIDENTS: {Role.OPERATOR, Role.APPROVER, Role.DPO},
    Permission.MANAGE_HOLDS: {Role.APPROVER},
    Permission.VIEW_HOLDS: {Role.APPROVER, Role.DPO},
    Permission.MANAGE_EMERGENCIES: {Role.ADMIN},
    Permission.READ_AUDIT: {Role.AUDITOR, Role.DPO},
    Permission.MANAGE_WITNESSES: {Role.ADMIN},
    Permission.VIEW_LIVE: {Role.OPERATOR},
    Permission.REVIEW_FOOTAGE: {Role.INVESTIGATOR},
    Permission.VIEW_CASES: {Role.INVESTIGATOR, Role.APPROVER},
    Permission.MANAGE_CASES: {Role.INVESTIGATOR, Role.APPROVER},
    Permission.REQUEST_ACCESS: {Role.INVESTIGATOR},
    Permission.DECIDE_ACCESS: {Role.APPROVER},
}


@pytest.mark.parametrize(("permission", "roles"), EXPECTED_ROLES.items())
def test_permission_table(permission: Permission, roles: set[Role]) -> None:
    assert set(policy.admitted_roles(permission)) == roles


def test_every_permission_is_in_the_table() -> None:
    assert set(PERMISSION_ROLES) == set(Permission) == set(EXPECTED_ROLES)


@given(
    st.sampled_from(sorted(ROLES_BARRED_FROM_FOOTAGE)), st.sampled_from(sorted(FOOTAGE_PERMISSIONS))
)
def test_admin_dpo_and_auditor_never_reach_footage(role: Role, permission: Permission) -> None:
    assert not policy.is_admitted(role, permission)


@pytest.mark.parametrize("barred", sorted(ROLES_BARRED_FROM_FOOTAGE))
def test_a_table_that_admits_a_barred_role_to_footage_is_refused(barred: Role) -> None:
    table = dict(PERMISSION_ROLES)
    table[Permission.REVIEW_FOOTAGE] = table[Permission.REVIEW_FOOTAGE] | {barred}
    with pytest.raises(ValueError, match="must never see footage"):
        policy.check_separation_of_duties(table)


def test_a_table_missing_a_permission_is_refused() -> None:
    table = {k: v for k, v in PERMISSION_ROLES.items() if k is not Permission.MANAGE_USERS}
    with pytest.raises(ValueError, match="without roles"):
        policy.check_separation_of_duties(table)


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
