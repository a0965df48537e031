"""Input and output of the audit log: proofs (hashes only), entries, witnesses."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class InclusionProof(BaseModel):
    """Proof that entry `index` is in the tree of `size`: hashes only, no content."""

    index: int
    size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]


class ConsistencyProof(BaseModel):
    """Proof that the tree of `from_size` is a prefix of the tree of `to_size`."""

    from_size: int
    to_size: int
    from_root: str
    to_root: str
    proof: list[str]


class Accepted(BaseModel):
    """The witnesses whose cosignatures were accepted."""

    accepted: list[str]


class EntryOut(BaseModel):
    """An audit entry as auditors see it."""

    seq: int
    at: datetime
    actor: str
    actor_role: str | None
    action: str
    event: str
    object_type: str | None
    object_id: str | None
    case_ref: str | None
    grant_ref: str | None
    legal_basis: str | None
    justification: str | None
    recipient: str | None
    client_address: str | None
    outcome: str
    details: dict[str, object]

    model_config = {"from_attributes": True}


class WitnessIn(BaseModel):
    """A witness to register, by its cosignature verifier key."""

    vkey: str


class WitnessOut(BaseModel):
    """A registered witness."""

    name: str
    vkey: str
