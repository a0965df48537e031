"""The permission table and separation of duties: no role that oversees the system sees footage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos import permissions
from custos.permissions import (
    FOOTAGE_PERMISSIONS,
    PERMISSION_ROLES,
    ROLES_BARRED_FROM_FOOTAGE,
    SECOND_FACTOR_ROLES,
    Factor,
    Permission,
    Role,
    second_factor_problem,
)

EXPECTED_ROLES = {
    Permission.OWN_ACCOUNT: set(Role),
    Permission.VIEW_CAMERAS: set(Role),
    Permission.MANAGE_CAMERAS: {Role.ADMIN, Role.OPERATOR},
    Permission.MANAGE_USERS: {Role.ADMIN},
    Permission.CONFIRM_ACCOUNT_CHANGES: {Role.ADMIN, Role.DPO},
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
    Permission.MANAGE_CASES: {Role.INVESTIGATOR},
    Permission.MANAGE_MEMBERS: {Role.INVESTIGATOR, Role.APPROVER},
    Permission.REQUEST_ACCESS: {Role.INVESTIGATOR},
    Permission.DECIDE_ACCESS: {Role.APPROVER},
    Permission.VIEW_HEALTH: {Role.OPERATOR, Role.ADMIN},
    Permission.VIEW_RECIPIENTS: {Role.INVESTIGATOR, Role.APPROVER, Role.DPO},
    Permission.MANAGE_RECIPIENTS: {Role.DPO},
    Permission.VIEW_DPIA: {Role.DPO, Role.ADMIN, Role.OPERATOR, Role.AUDITOR},
    Permission.DRAFT_DPIA: {Role.DPO, Role.ADMIN},
    Permission.APPROVE_DPIA: {Role.DPO},
    Permission.INSPECT: {Role.DPO, Role.AUDITOR},
    Permission.VIEW_BREACHES: {Role.DPO, Role.ADMIN, Role.AUDITOR},
    Permission.MANAGE_BREACHES: {Role.DPO, Role.ADMIN},
    Permission.VIEW_SUBJECT_REQUESTS: {Role.DPO, Role.AUDITOR},
    Permission.HANDLE_SUBJECT_REQUESTS: {Role.DPO},
    Permission.VIEW_DEVICE_INSPECTIONS: {Role.INVESTIGATOR, Role.APPROVER},
    Permission.RECORD_DEVICE_INSPECTIONS: {Role.INVESTIGATOR},
}


@pytest.mark.parametrize(("permission", "roles"), EXPECTED_ROLES.items())
def test_permission_table(permission: Permission, roles: set[Role]) -> None:
    assert set(permissions.admitted_roles(permission)) == roles


def test_every_permission_is_in_the_table() -> None:
    assert set(PERMISSION_ROLES) == set(Permission) == set(EXPECTED_ROLES)


@given(
    st.sampled_from(sorted(ROLES_BARRED_FROM_FOOTAGE)), st.sampled_from(sorted(FOOTAGE_PERMISSIONS))
)
def test_admin_dpo_and_auditor_never_reach_footage(role: Role, permission: Permission) -> None:
    assert not permissions.is_admitted(role, permission)


@pytest.mark.parametrize("barred", sorted(ROLES_BARRED_FROM_FOOTAGE))
def test_a_table_that_admits_a_barred_role_to_footage_is_refused(barred: Role) -> None:
    table = dict(PERMISSION_ROLES)
    table[Permission.REVIEW_FOOTAGE] = table[Permission.REVIEW_FOOTAGE] | {barred}
    with pytest.raises(ValueError, match="must never see footage"):
        permissions.check_separation_of_duties(table)


def test_a_table_missing_a_permission_is_refused() -> None:
    table = {k: v for k, v in PERMISSION_ROLES.items() if k is not Permission.MANAGE_USERS}
    with pytest.raises(ValueError, match="without roles"):
        permissions.check_separation_of_duties(table)


def test_the_second_factor_is_held_by_those_who_decide_over_footage_and_accounts() -> None:
    assert {Role.APPROVER, Role.ADMIN, Role.DPO} == SECOND_FACTOR_ROLES


GUARDED_CHANGE = Permission.DECIDE_ACCESS


@pytest.mark.parametrize(
    ("factor", "via", "permission", "changes", "refused"),
    [
        # A session reaches nothing until its code is given (or its factor enrolled).
        (Factor.ENROL, "session", Permission.OWN_ACCOUNT, False, "set up your second factor"),
        (Factor.CODE, "session", Permission.VIEW_CASES, False, "enter the code"),
        (Factor.GIVEN, "session", GUARDED_CHANGE, True, None),
        (Factor.NOT_NEEDED, "session", Permission.MANAGE_CASES, True, None),
        # A token reads without one, and makes a guarded change only after sending a code.
        (Factor.CODE, "token", Permission.VIEW_CASES, False, None),
        (Factor.CODE, "token", GUARDED_CHANGE, False, None),
        (Factor.CODE, "token", GUARDED_CHANGE, True, "send a code"),
        (Factor.CODE, "token", Permission.MANAGE_HOLDS, True, "send a code"),
        (Factor.CODE, "token", Permission.MANAGE_USERS, True, "send a code"),
        (Factor.CODE, "token", Permission.CONFIRM_ACCOUNT_CHANGES, True, "send a code"),
        (Factor.ENROL, "token", GUARDED_CHANGE, True, "set one up first"),
        (Factor.CODE, "token", Permission.OWN_ACCOUNT, True, None),
        (Factor.GIVEN, "token", GUARDED_CHANGE, True, None),
    ],
)
def test_what_a_credential_reaches_before_its_second_factor(
    factor: Factor, via: str, permission: Permission, changes: bool, refused: str | None
) -> None:
    problem = second_factor_problem(factor, via, permission, changes)
    if refused is None:
        assert problem is None
    else:
        assert problem is not None
        assert refused in problem
