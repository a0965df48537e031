"""Roles and the permission table: the single place that says which roles a route admits.

Separation of duties is checked on the table itself: no role that administers the system,
inspects it or audits it may ever be admitted to footage. Every domain's routes read it, so it
lives beside the other shared parts rather than inside any one domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Role(StrEnum):
    """The roles of DESIGN.md §2; the public is the absence of a role."""

    OPERATOR = "operator"
    INVESTIGATOR = "investigator"
    APPROVER = "approver"
    DPO = "dpo"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    """What a route needs; each maps to the roles it admits."""

    OWN_ACCOUNT = "own_account"
    VIEW_CAMERAS = "view_cameras"
    MANAGE_CAMERAS = "manage_cameras"
    MANAGE_USERS = "manage_users"
    CONFIRM_ACCOUNT_CHANGES = "confirm_account_changes"
    VIEW_RETENTION = "view_retention"
    MARK_INCIDENTS = "mark_incidents"
    VIEW_INCIDENTS = "view_incidents"
    MANAGE_HOLDS = "manage_holds"
    VIEW_HOLDS = "view_holds"
    MANAGE_EMERGENCIES = "manage_emergencies"
    READ_AUDIT = "read_audit"
    MANAGE_WITNESSES = "manage_witnesses"
    VIEW_LIVE = "view_live"
    REVIEW_FOOTAGE = "review_footage"
    VIEW_CASES = "view_cases"
    MANAGE_CASES = "manage_cases"
    MANAGE_MEMBERS = "manage_members"
    REQUEST_ACCESS = "request_access"
    DECIDE_ACCESS = "decide_access"
    VIEW_HEALTH = "view_health"
    VIEW_RECIPIENTS = "view_recipients"
    MANAGE_RECIPIENTS = "manage_recipients"
    VIEW_DPIA = "view_dpia"
    DRAFT_DPIA = "draft_dpia"
    APPROVE_DPIA = "approve_dpia"
    INSPECT = "inspect"
    VIEW_BREACHES = "view_breaches"
    MANAGE_BREACHES = "manage_breaches"
    VIEW_SUBJECT_REQUESTS = "view_subject_requests"
    HANDLE_SUBJECT_REQUESTS = "handle_subject_requests"
    VIEW_DEVICE_INSPECTIONS = "view_device_inspections"
    RECORD_DEVICE_INSPECTIONS = "record_device_inspections"


ALL_ROLES: frozenset[Role] = frozenset(Role)

PERMISSION_ROLES: Mapping[Permission, frozenset[Role]] = {
    Permission.OWN_ACCOUNT: ALL_ROLES,
    Permission.VIEW_CAMERAS: ALL_ROLES,
    Permission.MANAGE_CAMERAS: frozenset({Role.ADMIN, Role.OPERATOR}),
    Permission.MANAGE_USERS: frozenset({Role.ADMIN}),
    # A change that gives an account power over footage is made only once a second person,
    # an admin who did not ask for it or the data protection officer, confirms it.
    Permission.CONFIRM_ACCOUNT_CHANGES: frozenset({Role.ADMIN, Role.DPO}),
    # Retention state (what is kept, until when, why) is metadata every role may see.
    Permission.VIEW_RETENTION: ALL_ROLES,
    Permission.MARK_INCIDENTS: frozenset({Role.OPERATOR}),
    Permission.VIEW_INCIDENTS: frozenset({Role.OPERATOR, Role.APPROVER, Role.DPO}),
    Permission.MANAGE_HOLDS: frozenset({Role.APPROVER}),
    Permission.VIEW_HOLDS: frozenset({Role.APPROVER, Role.DPO}),
    Permission.MANAGE_EMERGENCIES: frozenset({Role.ADMIN}),
    # The audit log is read by oversight: auditors and data protection officers.
    Permission.READ_AUDIT: frozenset({Role.AUDITOR, Role.DPO}),
    Permission.MANAGE_WITNESSES: frozenset({Role.ADMIN}),
    # Footage: live views with privacy zones for operators; recorded footage only for
    # investigators, and a later check demands a live grant on top of the role.
    Permission.VIEW_LIVE: frozenset({Role.OPERATOR}),
    Permission.REVIEW_FOOTAGE: frozenset({Role.INVESTIGATOR}),
    # Cases, requests and grants (no footage): investigators ask, approvers decide. Inside a
    # case the need to know narrows the role (`cases.policy.acts`): investigators see and work
    # only on the cases they are members of; approvers see every case and may change who
    # works on one, but do not investigate (they stop processing by refusing and revoking).
    Permission.VIEW_CASES: frozenset({Role.INVESTIGATOR, Role.APPROVER}),
    Permission.MANAGE_CASES: frozenset({Role.INVESTIGATOR}),
    Permission.MANAGE_MEMBERS: frozenset({Role.INVESTIGATOR, Role.APPROVER}),
    Permission.REQUEST_ACCESS: frozenset({Role.INVESTIGATOR}),
    Permission.DECIDE_ACCESS: frozenset({Role.APPROVER}),
    # Camera health (states, gaps, alerts; no footage) for those who keep the cameras running.
    Permission.VIEW_HEALTH: frozenset({Role.OPERATOR, Role.ADMIN}),
    # Who evidence may be handed to: kept by the data protection officer, chosen from by
    # investigators, seen by the approvers who decide exports.
    Permission.VIEW_RECIPIENTS: frozenset({Role.INVESTIGATOR, Role.APPROVER, Role.DPO}),
    Permission.MANAGE_RECIPIENTS: frozenset({Role.DPO}),
    # Impact assessments: drafted by a DPO or an admin (who runs the cameras), approved by a
    # DPO who did not write them; read by those who run the cameras and by oversight.
    Permission.VIEW_DPIA: frozenset({Role.DPO, Role.ADMIN, Role.OPERATOR, Role.AUDITOR}),
    Permission.DRAFT_DPIA: frozenset({Role.DPO, Role.ADMIN}),
    Permission.APPROVE_DPIA: frozenset({Role.DPO}),
    # Compliance inspection: the findings over the whole system, for oversight.
    Permission.INSPECT: frozenset({Role.DPO, Role.AUDITOR}),
    # Personal-data breaches: recorded and notified by the DPO or an admin (whoever finds it
    # first), read by oversight too.
    Permission.VIEW_BREACHES: frozenset({Role.DPO, Role.ADMIN, Role.AUDITOR}),
    Permission.MANAGE_BREACHES: frozenset({Role.DPO, Role.ADMIN}),
    # Requests of the people filmed for their own footage: handled by the DPO, read by oversight.
    Permission.VIEW_SUBJECT_REQUESTS: frozenset({Role.DPO, Role.AUDITOR}),
    Permission.HANDLE_SUBJECT_REQUESTS: frozenset({Role.DPO}),
    # Device inspections during a state of emergency, inside a case: recorded by its members,
    # seen by them and by the approvers who see every case (`cases.policy.acts`).
    Permission.VIEW_DEVICE_INSPECTIONS: frozenset({Role.INVESTIGATOR, Role.APPROVER}),
    Permission.RECORD_DEVICE_INSPECTIONS: frozenset({Role.INVESTIGATOR}),
}

FOOTAGE_PERMISSIONS: frozenset[Permission] = frozenset(
    {Permission.VIEW_LIVE, Permission.REVIEW_FOOTAGE}
)

# Roles that must never see footage (DESIGN.md §2, "never does").
ROLES_BARRED_FROM_FOOTAGE: frozenset[Role] = frozenset({Role.ADMIN, Role.DPO, Role.AUDITOR})


def check_separation_of_duties(table: Mapping[Permission, frozenset[Role]]) -> None:
    """Raise ValueError if the table admits a barred role to footage or leaves a permission out."""
    missing = set(Permission) - set(table)
    if missing:
        raise ValueError(f"permissions without roles: {sorted(missing)}")
    for permission in FOOTAGE_PERMISSIONS:
        barred = table[permission] & ROLES_BARRED_FROM_FOOTAGE
        if barred:
            raise ValueError(f"{permission} admits {sorted(barred)}, who must never see footage")


check_separation_of_duties(PERMISSION_ROLES)


# Acts that decide over footage or over who may reach it: deciding requests and grants, keeping
# footage past its erasure, changing accounts and confirming account changes. An insider who
# learns the password of one who may do them must still hold that person's authenticator.
SECOND_FACTOR_PERMISSIONS: frozenset[Permission] = frozenset(
    {
        Permission.DECIDE_ACCESS,
        Permission.MANAGE_HOLDS,
        Permission.MANAGE_USERS,
        Permission.CONFIRM_ACCOUNT_CHANGES,
        Permission.MANAGE_RECIPIENTS,
        Permission.APPROVE_DPIA,
    }
)


def second_factor_roles(
    table: Mapping[Permission, frozenset[Role]] = PERMISSION_ROLES,
) -> frozenset[Role]:
    """The roles the table admits to any act that needs a second factor: they enrol one."""
    return frozenset().union(*(table[permission] for permission in SECOND_FACTOR_PERMISSIONS))


SECOND_FACTOR_ROLES = second_factor_roles()


class Factor(StrEnum):
    """Where a credential stands with the second factor its account may need.

    A session gives its code once, at sign-in; an API token gives one to act for a short while.
    """

    NOT_NEEDED = "not_needed"  # the role needs none
    ENROL = "enrol"  # the account has none yet: a session may only enrol one
    CODE = "code"  # enrolled, and this credential has not given a code (or not lately)
    GIVEN = "given"  # this credential has given a code


def second_factor_problem(
    factor: Factor, via: str, permission: Permission, changes: bool
) -> str | None:
    """Why a credential may not use a route now for want of its second factor, or None.

    A session whose account needs a factor reaches nothing until it has given its code (or
    enrolled one). Any credential needs a code given before it changes anything that
    `SECOND_FACTOR_PERMISSIONS` guards; an API token gives one for a while.
    """
    if via == "session" and factor is Factor.ENROL:
        return "set up your second factor first: an authenticator app's code is needed here"
    if via == "session" and factor is Factor.CODE:
        return "enter the code from your authenticator app to finish signing in"
    if not changes or permission not in SECOND_FACTOR_PERMISSIONS:
        return None
    if factor is Factor.ENROL:
        return "this needs a second factor: sign in on the web and set one up first"
    if factor is Factor.CODE:
        return (
            "this needs a second factor: send a code from your authenticator app to "
            "POST /api/me/second-factor first"
        )
    return None


def admitted_roles(permission: Permission) -> frozenset[Role]:
    """The roles a permission admits."""
    return PERMISSION_ROLES[permission]


def is_admitted(role: Role, permission: Permission) -> bool:
    """Whether `role` is admitted to `permission`."""
    return role in PERMISSION_ROLES[permission]
