"""HTTP face of the audit log: public transparency routes (hashes only) and the log for auditors."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Body, Query, status
from fastapi.responses import PlainTextResponse

from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.audit.policy import Action
from custos.audit.schemas import (
    Accepted,
    ConsistencyProof,
    EntryOut,
    InclusionProof,
    WitnessIn,
    WitnessOut,
)
from custos.audit.service import EntryFilter, read_entries
from custos.deps import PUBLIC, AuditReader, DbSession, RuntimeDep, WitnessManager
from custos.errors import NotFound
from custos.http import Index, Size, Time, answers

transparency = APIRouter(prefix="/transparency", tags=["transparency"])
api = APIRouter(prefix="/api/audit", tags=["audit"])


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


@transparency.get(
    "/checkpoint",
    dependencies=[PUBLIC],
    response_class=PlainTextResponse,
    responses=answers(404),
)
def latest_checkpoint(db: DbSession) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP signed note), with the witnesses' cosignatures."""
    checkpoint = checkpoints.latest_checkpoint(db)
    if checkpoint is None:
        raise NotFound("the log has not signed a checkpoint yet")
    return PlainTextResponse(checkpoints.published_note(db, checkpoint))


@transparency.get("/key", dependencies=[PUBLIC], response_class=PlainTextResponse)
def log_key(db: DbSession, runtime: RuntimeDep) -> PlainTextResponse:
    """The log's public key as a C2SP verifier key."""
    return PlainTextResponse(checkpoints.log_signer(db, runtime.log_key).verifier.vkey() + "\n")


@transparency.get("/proof/inclusion", dependencies=[PUBLIC])
def inclusion_proof(db: DbSession, index: Index, size: Size) -> InclusionProof:
    """The inclusion proof of one entry (RFC 9162), base64 hashes."""
    leaf, proof = log.inclusion_with_leaf(db, index, size)
    return InclusionProof(
        index=index,
        size=size,
        leaf_hash=_b64(leaf),
        root_hash=_b64(log.root_at(db, size)),
        proof=[_b64(h) for h in proof],
    )


@transparency.get("/proof/consistency", dependencies=[PUBLIC])
def consistency_proof(
    db: DbSession,
    old: Annotated[Size, Query(alias="from")],
    new: Annotated[Size, Query(alias="to")],
) -> ConsistencyProof:
    """The consistency proof between two tree sizes (RFC 9162), base64 hashes."""
    proof = log.consistency(db, old, new)
    return ConsistencyProof(
        from_size=old,
        to_size=new,
        from_root=_b64(log.root_at(db, old)),
        to_root=_b64(log.root_at(db, new)),
        proof=[_b64(h) for h in proof],
    )


@transparency.post(
    "/cosignatures",
    dependencies=[PUBLIC],
    status_code=status.HTTP_201_CREATED,
    responses=answers(404),
)
def submit_cosignature(
    db: DbSession,
    runtime: RuntimeDep,
    note: Annotated[str, Body(media_type="text/plain", description="The cosigned checkpoint.")],
) -> Accepted:
    """Accept cosignatures of a checkpoint from registered witnesses."""
    return Accepted(accepted=checkpoints.accept_cosignatures(db, runtime.clock, note))


@api.get("/entries")
def list_entries(
    db: DbSession,
    runtime: RuntimeDep,
    caller: AuditReader,
    event: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    case_ref: str | None = None,
    outcome: str | None = None,
    since: Time | None = None,
    until: Time | None = None,
    before: Index | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    event_prefix: Annotated[str | None, Query(max_length=64)] = None,
    hide_collection: bool = False,
) -> list[EntryOut]:
    """Entries matching the filters, newest first; the search itself is logged.

    `event_prefix` finds every event that begins with it (`access.`); `hide_collection` leaves
    out collection (segments named, gaps, recorders' claims)."""
    where = EntryFilter(
        event,
        action,
        actor,
        object_type,
        object_id,
        case_ref,
        outcome,
        since,
        until,
        before,
        event_prefix=event_prefix,
        hidden_action=Action.COLLECT.value if hide_collection else None,
    )
    found = read_entries(caller.call(db, runtime), where, limit)
    return [EntryOut.model_validate(e) for e in found]


@api.post("/witnesses", status_code=status.HTTP_201_CREATED, responses=answers(409))
def add_witness(
    data: WitnessIn, db: DbSession, runtime: RuntimeDep, caller: WitnessManager
) -> WitnessOut:
    """Register an outside witness whose cosignatures the log will accept and show."""
    witness = checkpoints.add_witness(caller.call(db, runtime), data.vkey)
    return WitnessOut(name=witness.name, vkey=checkpoints.witness_verifier(witness).vkey())
