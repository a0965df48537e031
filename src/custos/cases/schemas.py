"""Input and output of cases."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from custos.cases.policy import CaseStatus, PersonRole


class CaseCreate(BaseModel):
    """A case to open."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=64, description="e.g. 12/2026-0457")
    legal_basis: str = Field(min_length=1, max_length=64, description="a ground of the policy")
    description: str = Field(min_length=1, max_length=4000)


class PersonCreate(BaseModel):
    """A person involved in a case, by pseudonym."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=32)
    role: PersonRole = PersonRole.SUSPECT
    minor: bool = False
    vulnerable: bool = False


class PersonOut(BaseModel):
    """A person of a case as shown."""

    model_config = ConfigDict(from_attributes=True)

    label: str
    role: PersonRole
    minor: bool
    vulnerable: bool
    added_at: datetime
    cleared_at: datetime | None
    cleared_reason: str


class CaseOut(BaseModel):
    """A case as shown."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    reference: str
    legal_basis: str
    description: str
    status: CaseStatus
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_reason: str


class MemberOut(BaseModel):
    """A member of a case: who added them, when and why."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    added_by: str
    added_at: datetime
    reason: str


class MemberIn(BaseModel):
    """An investigator to add to the members of a case, and why."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, description="an investigator's account")
    reason: str = Field(min_length=1, max_length=4000)


class CaseDetail(CaseOut):
    """A case with its persons and its members."""

    persons: list[PersonOut]
    members: list[MemberOut]


class Reason(BaseModel):
    """Why a person is cleared or a case closed."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)


class EndedOut(BaseModel):
    """What a clearing or closing ended."""

    grants_revoked: list[int]
    holds_released: list[int]
