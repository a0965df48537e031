"""API shapes of exports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from custos.exports.policy import RecipientRole


class RecipientIn(BaseModel):
    """A recipient to list."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(default="", max_length=200)
    role: RecipientRole
    contact: str = Field(default="", max_length=2000, description="how the package reaches them")


class RecipientOut(BaseModel):
    """A recipient as listed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    organisation: str
    role: RecipientRole
    contact: str
    added_by: str
    added_at: datetime
    retired_at: datetime | None
    retired_reason: str


class RetireIn(BaseModel):
    """Why a recipient is taken off the list."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)
