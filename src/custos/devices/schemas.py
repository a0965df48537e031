"""What the device-inspection API takes and gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from custos.devices.policy import DataCategory, Inspection
from custos.http import Id


class InspectionIn(BaseModel):
    """An inspection as recorded: what happened, never what the device holds."""

    model_config = ConfigDict(extra="forbid")

    case_id: Id
    regime_id: Id = Field(description="the state of emergency it was made under")
    legal_basis: str = Field(min_length=1, max_length=256)
    officer: str = Field(min_length=1, max_length=200, description="who inspected the device")
    inspected_at: AwareDatetime
    region: str = Field(min_length=1, max_length=128)
    place: str = Field(min_length=1, max_length=2000)
    device: str = Field(
        min_length=1, max_length=2000, description="make, model, colour; never its content"
    )
    examined: list[DataCategory] = Field(min_length=1, max_length=len(DataCategory))
    copied: list[DataCategory] = Field(default=[], max_length=len(DataCategory))
    person: str = Field(min_length=1, max_length=32, description="the person's case pseudonym")

    def inspection(self) -> Inspection:
        return Inspection(
            legal_basis=self.legal_basis,
            officer=self.officer,
            inspected_at=self.inspected_at,
            region=self.region,
            place=self.place,
            device=self.device,
            examined=[c.value for c in self.examined],
            copied=[c.value for c in self.copied],
            person=self.person,
        )


class OffenceIn(BaseModel):
    """Which offence the inspection shows."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=4000)


class CopyOut(BaseModel):
    """Data copied from the device, as stored (sealed) or erased."""

    id: str
    category: str
    size: int
    digest: str = Field(description="of the ciphertext: `blake3:` and 64 hex digits")
    stored_at: datetime
    erased_at: datetime | None
    erased_reason: str


class InspectionOut(BaseModel):
    """An inspection in the register."""

    reference: str
    case_id: int
    regime_id: int
    legal_basis: str
    officer: str
    inspected_at: datetime
    region: str
    place: str
    device: str
    examined: list[str]
    copied: list[str]
    person: str
    recorded_by: str
    recorded_at: datetime
    entry: int = Field(description="the audit entry that registered it")
    offence: bool
    offence_reason: str
    copies: list[CopyOut]


class ReceiptOut(BaseModel):
    """The person's receipt: the registering entry's inclusion proof in a signed checkpoint."""

    reference: str
    entry: int
    leaf_hash: str = Field(description="base64")
    tree_size: int
    root_hash: str = Field(description="base64")
    signed_at: datetime
    proof: list[str] = Field(description="base64 hashes, RFC 9162")
    check: str = Field(description="the public page that checks it")
