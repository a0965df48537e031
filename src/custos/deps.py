"""FastAPI dependencies shared by every router: the database session and who the caller is.

Every route declares what it admits, in exactly one of three ways: a caller typed with one of
the aliases at the end of this module, one per permission (`caller: CaseManager` is
`Annotated[Caller, admits(Permission.MANAGE_CASES)]`; the roles come from `custos.permissions`),
`SigningIn` for the few routes that finish a sign-in (the second factor), or
`dependencies=[PUBLIC]` for the few routes open to anyone. A test walks all routes and fails
on any that declares none or more than one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from custos.clock import Clock
from custos.context import Actor, Call, Principal
from custos.errors import (
    Forbidden,
    PasswordChangeRequired,
    SecondFactorRequired,
    Unauthenticated,
)
from custos.permissions import Factor, Permission, Role, admitted_roles, second_factor_problem
from custos.runtime import Runtime

SESSION_COOKIE = "custos_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Authenticator(Protocol):
    """Who a credential belongs to, and the record of a refused call (the app is given one)."""

    def from_token(self, session: Session, clock: Clock, token: str) -> Principal:
        """The principal of a live API token, or Unauthenticated."""

    def from_cookie(self, session: Session, clock: Clock, cookie: str) -> Principal:
        """The principal of an open sign-in session, or Unauthenticated."""

    def refused(self, call: Call, path: str, details: dict[str, str]) -> None:
        """Record, in the call's transaction, that its actor was refused `path`."""


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was built with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    """One database session per request."""
    with runtime.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


def client_address(request: Request) -> str | None:
    """The peer address of the request."""
    return request.client.host if request.client else None


def get_authenticator(request: Request) -> Authenticator:
    """The authenticator the app was built with."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


def current_principal(
    request: Request,
    runtime: RuntimeDep,
    db: DbSession,
    accounts: Annotated[Authenticator, Depends(get_authenticator)],
) -> Principal:
    """Who is calling: from `Authorization: Bearer`, else from the session cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use the header 'Authorization: Bearer <token>'")
        return accounts.from_token(db, runtime.clock, token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        # A change sent with the cookie has passed `custos.web.csrf` before any route ran.
        return accounts.from_cookie(db, runtime.clock, cookie)
    raise Unauthenticated("sign in, or send an API token")


@dataclass(frozen=True)
class Caller:
    """The admitted caller of a route: who they are, and how they appear in the audit log."""

    principal: Principal
    actor: Actor

    @property
    def role(self) -> Role:
        """The caller's role."""
        return self.principal.role

    def call(self, db: Session, runtime: Runtime) -> Call:
        """The context of one action by this caller: the request's session, the policy in force."""
        return Call(db, runtime.clock, self.actor, runtime.policy.profile)


class Admits:
    """Dependency that admits only the roles of one permission; a refusal is audited."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission
        self.roles = admitted_roles(permission)

    def __call__(
        self,
        request: Request,
        runtime: RuntimeDep,
        db: DbSession,
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Caller:
        """Return the caller if their role is admitted, else raise Forbidden."""
        caller = Caller(principal=principal, actor=principal.actor(client_address(request)))
        changes = request.method not in SAFE_METHODS
        problem = second_factor_problem(principal.factor, principal.via, self.permission, changes)
        enrol = principal.factor is Factor.ENROL
        # A session that has not given its second factor's code reaches nothing yet.
        if problem is not None and principal.via == "session":
            raise SecondFactorRequired(problem, enrol=enrol)
        if (
            principal.must_change_password
            and principal.via == "session"
            and self.permission is not Permission.OWN_ACCOUNT
        ):
            raise PasswordChangeRequired("choose your own password before going on")
        if principal.role not in self.roles:
            get_authenticator(request).refused(
                caller.call(db, runtime),
                request.url.path,
                {"method": request.method, "permission": self.permission.value},
            )
            db.commit()
            raise Forbidden(
                f"the {principal.role} role is not admitted here "
                f"(admitted: {', '.join(sorted(self.roles))})"
            )
        if problem is not None:  # a token that has sent no code lately, for a guarded change
            get_authenticator(request).refused(
                caller.call(db, runtime),
                request.url.path,
                {"method": request.method, "second_factor": principal.factor.value},
            )
            db.commit()
            raise SecondFactorRequired(problem, enrol=enrol)
        return caller


def admits(permission: Permission) -> Any:
    """`Depends` on an Admits check, for use in `Annotated[Caller, admits(...)]`."""
    return Depends(Admits(permission))


# One alias per permission, shared by the JSON API and the pages.
OwnAccount = Annotated[Caller, admits(Permission.OWN_ACCOUNT)]
CameraViewer = Annotated[Caller, admits(Permission.VIEW_CAMERAS)]
CameraManager = Annotated[Caller, admits(Permission.MANAGE_CAMERAS)]
LiveViewer = Annotated[Caller, admits(Permission.VIEW_LIVE)]
UserManager = Annotated[Caller, admits(Permission.MANAGE_USERS)]
AccountConfirmer = Annotated[Caller, admits(Permission.CONFIRM_ACCOUNT_CHANGES)]
AuditReader = Annotated[Caller, admits(Permission.READ_AUDIT)]
WitnessManager = Annotated[Caller, admits(Permission.MANAGE_WITNESSES)]
RetentionViewer = Annotated[Caller, admits(Permission.VIEW_RETENTION)]
EmergencyManager = Annotated[Caller, admits(Permission.MANAGE_EMERGENCIES)]
IncidentViewer = Annotated[Caller, admits(Permission.VIEW_INCIDENTS)]
IncidentMarker = Annotated[Caller, admits(Permission.MARK_INCIDENTS)]
HoldViewer = Annotated[Caller, admits(Permission.VIEW_HOLDS)]
HoldManager = Annotated[Caller, admits(Permission.MANAGE_HOLDS)]
CaseViewer = Annotated[Caller, admits(Permission.VIEW_CASES)]
CaseManager = Annotated[Caller, admits(Permission.MANAGE_CASES)]
MemberManager = Annotated[Caller, admits(Permission.MANAGE_MEMBERS)]
Requester = Annotated[Caller, admits(Permission.REQUEST_ACCESS)]
Decider = Annotated[Caller, admits(Permission.DECIDE_ACCESS)]
Reviewer = Annotated[Caller, admits(Permission.REVIEW_FOOTAGE)]
HealthViewer = Annotated[Caller, admits(Permission.VIEW_HEALTH)]
RecipientViewer = Annotated[Caller, admits(Permission.VIEW_RECIPIENTS)]
RecipientManager = Annotated[Caller, admits(Permission.MANAGE_RECIPIENTS)]
DpiaViewer = Annotated[Caller, admits(Permission.VIEW_DPIA)]
DpiaDrafter = Annotated[Caller, admits(Permission.DRAFT_DPIA)]
DpiaApprover = Annotated[Caller, admits(Permission.APPROVE_DPIA)]
Inspector = Annotated[Caller, admits(Permission.INSPECT)]
BreachViewer = Annotated[Caller, admits(Permission.VIEW_BREACHES)]
BreachManager = Annotated[Caller, admits(Permission.MANAGE_BREACHES)]
SubjectRequestViewer = Annotated[Caller, admits(Permission.VIEW_SUBJECT_REQUESTS)]
SubjectRequestHandler = Annotated[Caller, admits(Permission.HANDLE_SUBJECT_REQUESTS)]
DeviceInspectionViewer = Annotated[Caller, admits(Permission.VIEW_DEVICE_INSPECTIONS)]
DeviceInspector = Annotated[Caller, admits(Permission.RECORD_DEVICE_INSPECTIONS)]


def signing_in(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Admits any signed-in caller, one whose second factor is still to be given included.

    Only the routes that take that code or enrol that factor use it: every other route admits
    through `Admits`, which sends such a caller here first.
    """
    return principal


SigningIn = Annotated[Principal, Depends(signing_in)]


def public() -> None:
    """Marks a route as open to anyone, deliberately."""


PUBLIC = Depends(public)
