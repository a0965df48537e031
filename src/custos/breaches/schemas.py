"""What the breach register's API takes and gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from custos.breaches.policy import Facts, Status


class BreachIn(BaseModel):
    """A breach as recorded."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1, max_length=20_000, description="what happened")
    discovered_at: AwareDatetime = Field(description="when it was discovered")
    categories: list[str] = Field(
        min_length=1, max_length=8, description="footage, live, exports, cases, accounts, ..."
    )
    people_affected: int = Field(ge=0, le=100_000_000, description="about how many")
    consequences: str = Field(default="", max_length=20_000, description="likely consequences")
    measures: str = Field(min_length=1, max_length=20_000, description="taken or proposed")

    def facts(self) -> Facts:
        return Facts(
            summary=self.summary,
            discovered_at=self.discovered_at,
            categories=tuple(self.categories),
            people_affected=self.people_affected,
            consequences=self.consequences,
            measures=self.measures,
        )


class NotifiedIn(BaseModel):
    """How the notice went to the authority."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=200, description="portal, letter, e-mail")
    reference: str = Field(default="", max_length=200, description="the authority's reference")


class BreachOut(BaseModel):
    """A breach in the register."""

    reference: str
    summary: str
    discovered_at: datetime
    categories: list[str]
    people_affected: int
    consequences: str
    measures: str
    recorded_by: str
    recorded_at: datetime
    due_at: datetime
    overdue: bool
    status: Status
    notified_at: datetime | None
    notified_by: str | None
    notice_channel: str
    notice_reference: str
