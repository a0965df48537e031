"""API shapes of impact assessments."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from custos.dpia.policy import Analytics, Content, Standing, VersionState


class Consulted(BaseModel):
    """A body consulted (the DPO, a civil-society or human-rights body) and its answer."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=300)
    answer: str = Field(min_length=1, max_length=20_000)


class AssessmentIn(BaseModel):
    """What an assessment says (GDPR art. 35(7)); every text is required but the opinion."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=200)
    description: str = Field(max_length=20_000, description="the processing and its means")
    purposes: str = Field(max_length=20_000)
    necessity: str = Field(max_length=20_000, description="necessity and proportionality")
    risks: str = Field(max_length=20_000, description="risks to the rights of those filmed")
    vulnerable_groups: str = Field(max_length=20_000, description="who, or why none")
    measures: str = Field(max_length=20_000, description="what addresses the risks")
    consultation: list[Consulted] = Field(default_factory=list, max_length=50)
    dpo_opinion: str = Field(default="", max_length=20_000)
    scope: list[str] = Field(
        max_length=500,
        description="camera:NAME, region:R, category:C, tag:T or all",
    )
    analytics: list[Analytics] = Field(default_factory=list)
    review_by: datetime = Field(description="when it must be reviewed (within the profile's limit)")
    public_summary: str = Field(max_length=4000, description="shown on the public register")
    zones_not_needed: str = Field(
        default="",
        max_length=20_000,
        description="why the cameras at sensitive sites it covers need no privacy zone",
    )

    def content(self) -> Content:
        return Content(
            title=self.title,
            description=self.description,
            purposes=self.purposes,
            necessity=self.necessity,
            risks=self.risks,
            vulnerable_groups=self.vulnerable_groups,
            measures=self.measures,
            consultation=tuple((c.body, c.answer) for c in self.consultation),
            dpo_opinion=self.dpo_opinion,
            scope=tuple(self.scope),
            analytics=tuple(a.value for a in self.analytics),
            review_by=self.review_by,
            public_summary=self.public_summary,
            zones_not_needed=self.zones_not_needed,
        )


class VersionOut(BaseModel):
    """One version of an assessment."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    state: VersionState
    title: str
    description: str
    purposes: str
    necessity: str
    risks: str
    vulnerable_groups: str
    measures: str
    consultation: list[list[str]]
    dpo_opinion: str
    scope: list[str]
    analytics: list[str]
    review_by: datetime
    public_summary: str
    zones_not_needed: str
    author: str
    written_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    superseded_at: datetime | None


class AssessmentOut(BaseModel):
    """An assessment: where its version in force stands, and every version."""

    reference: str
    pre_existing: bool
    standing: Standing | None = Field(description="of the version in force; none if not approved")
    in_force: int | None = Field(description="the approved version's number")
    versions: list[VersionOut]
