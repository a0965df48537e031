"""Who acts and why: the caller of a service, as the audit log names them, and the call itself.

Every layer passes these along (the web, the command line, jobs, every domain's services), so
they live beside the clock and the errors rather than inside the audit domain that records them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from custos.permissions import Factor, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from custos.clock import Clock
    from custos.profile import Profile, Rules


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, a command-line operator or the system itself."""

    name: str
    role: str | None = None
    user_id: int | None = None
    client_address: str | None = None


SYSTEM = Actor(name="system")


@dataclass(frozen=True)
class Context:
    """Why an action on footage happens: the case, the grant, the legal basis, the recipient."""

    case_ref: str | None = None
    grant_ref: str | None = None
    legal_basis: str | None = None
    justification: str | None = None
    recipient: str | None = None


NO_CONTEXT = Context()


@dataclass(frozen=True)
class Principal:
    """The signed-in caller of a request."""

    user_id: int
    name: str
    role: Role
    via: str
    must_change_password: bool = False
    # The row behind the credential presented: the sign-in session (via "session") or the API
    # token (via "token"); a password change ends every other one of the account.
    credential_id: int | None = None
    # Where this credential stands with the second factor its role may need.
    factor: Factor = Factor.NOT_NEEDED

    def actor(self, client_address: str | None = None) -> Actor:
        """This principal as the actor of an audit entry."""
        return Actor(
            name=self.name,
            role=self.role.value,
            user_id=self.user_id,
            client_address=client_address,
        )


@dataclass(frozen=True)
class Call:
    """One action's context: its transaction, the time source, who acts, the policy in force.

    The edges (a route, a command, a test) build it once per action; a service that changes
    something takes it first, in place of the same four arguments on every function.
    """

    session: Session
    clock: Clock
    actor: Actor
    profile: Profile

    @property
    def rules(self) -> Rules:
        """The retention rules of the policy in force."""
        return self.profile.retention_rules
