"""What the data-subject request API takes and gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from custos.subjects.policy import Asked, Channel, Status


class RequestIn(BaseModel):
    """A person's request as received."""

    model_config = ConfigDict(extra="forbid")

    received_at: AwareDatetime
    channel: Channel
    identity_check: str = Field(min_length=1, max_length=4000, description="how it was checked")
    times_and_places: str = Field(
        min_length=1, max_length=20_000, description="when and where the person says they were"
    )
    contact: str = Field(min_length=1, max_length=256, description="how to answer them")

    def asked(self) -> Asked:
        return Asked(
            self.received_at,
            self.channel.value,
            self.identity_check,
            self.times_and_places,
            self.contact,
        )


class TextIn(BaseModel):
    """An answer, a ground of refusal, or the reason for more time."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)


class AssignIn(BaseModel):
    """The investigator who is to hand the person their footage, and why them."""

    model_config = ConfigDict(extra="forbid")

    investigator: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=4000)


class FulfilIn(BaseModel):
    """The export that handed the person their footage."""

    model_config = ConfigDict(extra="forbid")

    export: int = Field(ge=1, le=2_147_483_647)


class RequestOut(BaseModel):
    """A request in the register."""

    reference: str
    received_at: datetime
    channel: str
    identity_check: str
    times_and_places: str
    contact: str
    recorded_by: str
    due_at: datetime
    late: bool
    extended: bool
    extension_reason: str
    status: Status
    decided_at: datetime | None
    decided_by: str | None
    answer: str
    case_id: int | None = Field(description="the subject-access case its footage goes through")
    export_id: int | None = Field(description="the export that fulfilled it")
