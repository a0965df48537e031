"""Signed checkpoints of the audit log, and the outside witnesses who cosign them.

The log signs a checkpoint only if the tree still matches every checkpoint signed before:
a log whose history was changed behind its back refuses to vouch for it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import log, merkle
from custos.audit.models import AuditCheckpoint, AuditCosignature, AuditWitness
from custos.audit.note import (
    COSIGNATURE_ED25519,
    Checkpoint,
    Note,
    NoteError,
    NoteSigner,
    Verifier,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify_cosignature,
)
from custos.audit.policy import Action
from custos.audit.service import record
from custos.clock import Clock
from custos.context import Call
from custos.errors import Conflict, InvalidInput, NotFound, TamperDetected


def log_signer(session: Session, private_key: bytes) -> NoteSigner:
    """The log's signer: its key, named after the log's origin."""
    return NoteSigner(log.origin(session), private_key)


def checkpoint_now(session: Session) -> Checkpoint:
    """The checkpoint of the log as it stands."""
    size = log.size(session)
    return Checkpoint(log.origin(session), size, log.root_at(session, size))


def sign_checkpoint(
    session: Session, clock: Clock, signer: NoteSigner, *, only_if_grown: bool = False
) -> AuditCheckpoint | None:
    """Sign and store a checkpoint of the current log (None if unchanged and `only_if_grown`)."""
    head = checkpoint_now(session)
    earlier = list(session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
    for previous in earlier:
        if previous.tree_size > head.size:
            raise TamperDetected(
                f"the log holds {head.size} entries but checkpoint #{previous.id} was signed at "
                f"{previous.tree_size}: refusing to sign a smaller log"
            )
        if log.root_at(session, previous.tree_size) != previous.root_hash:
            raise TamperDetected(
                f"the log no longer matches checkpoint #{previous.id} (size "
                f"{previous.tree_size}): refusing to sign"
            )
    if only_if_grown and earlier and earlier[-1].tree_size == head.size:
        return None
    note = Note(head.text(), (signer.sign(head.text()),))
    checkpoint = AuditCheckpoint(
        tree_size=head.size, root_hash=head.root, note=note.serialise(), signed_at=clock.now()
    )
    session.add(checkpoint)
    session.commit()
    return checkpoint


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    """The most recently signed checkpoint."""
    return session.scalar(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


def recent_checkpoints(session: Session, limit: int = 10) -> list[AuditCheckpoint]:
    """The newest checkpoints first."""
    return list(
        session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit))
    )


def cosignatures(
    session: Session, checkpoint: AuditCheckpoint
) -> list[tuple[str, AuditCosignature]]:
    """The cosignatures of a checkpoint with their witnesses' names."""
    rows = session.execute(
        sa.select(AuditWitness.name, AuditCosignature)
        .join(AuditWitness, AuditWitness.id == AuditCosignature.witness_id)
        .where(AuditCosignature.checkpoint_id == checkpoint.id)
        .order_by(AuditWitness.name)
    )
    return [(name, cosignature) for name, cosignature in rows]


def witness_count(session: Session) -> int:
    """How many witnesses are registered."""
    return int(session.scalar(sa.select(sa.func.count(AuditWitness.id))) or 0)


def last_cosigned_at(session: Session) -> datetime | None:
    """When a witness last cosigned a checkpoint (None: never)."""
    return session.scalar(sa.select(sa.func.max(AuditCosignature.cosigned_at)))


def published_note(session: Session, checkpoint: AuditCheckpoint) -> str:
    """The checkpoint as published: the log's signature, then every witness's."""
    return checkpoint.note + "".join(c.signature_line for _, c in cosignatures(session, checkpoint))


def add_witness(call: Call, vkey: str) -> AuditWitness:
    """Register a witness by its cosignature verifier key (C2SP vkey, type 0x04)."""
    session, clock = call.session, call.clock
    try:
        verifier = parse_vkey(vkey)
    except NoteError as error:
        raise InvalidInput(str(error), field="vkey") from None
    if verifier.algorithm != COSIGNATURE_ED25519:
        raise InvalidInput("a witness key must be an Ed25519 cosignature key (type 0x04)")
    if session.scalar(sa.select(AuditWitness.id).where(AuditWitness.name == verifier.name)):
        raise Conflict(f"a witness named {verifier.name} is registered already")
    witness = AuditWitness(name=verifier.name, public_key=verifier.public_key, added_at=clock.now())
    session.add(witness)
    session.flush()
    record(
        session,
        clock,
        call.actor,
        Action.CONFIGURE,
        "audit.witness_added",
        object_type="witness",
        object_id=verifier.name,
        details={"vkey": verifier.vkey()},
    )
    session.commit()
    return witness


def accept_cosignatures(session: Session, clock: Clock, submitted: str) -> list[str]:
    """Store the valid cosignatures by registered witnesses in a submitted note; returns them."""
    try:
        note = parse_note(submitted)
        parse_checkpoint(note.text)
    except NoteError as error:
        raise InvalidInput(f"not a cosigned checkpoint: {error}") from None
    checkpoint = session.scalar(
        sa.select(AuditCheckpoint)
        .where(AuditCheckpoint.note.startswith(note.text + "\n"))
        .order_by(AuditCheckpoint.id.desc())
        .limit(1)
    )
    if checkpoint is None:
        raise NotFound("this log never signed that checkpoint")
    witnesses = {w.name: w for w in session.scalars(sa.select(AuditWitness))}
    accepted = []
    for signature in note.signatures:
        witness = witnesses.get(signature.name)
        if witness is None:
            continue  # the log's own signature, or a witness nobody registered
        try:
            timestamp = verify_cosignature(note.text, signature, witness_verifier(witness))
        except NoteError as error:
            raise InvalidInput(str(error)) from None
        exists = session.scalar(
            sa.select(AuditCosignature.id).where(
                AuditCosignature.checkpoint_id == checkpoint.id,
                AuditCosignature.witness_id == witness.id,
            )
        )
        if exists is None:
            session.add(
                AuditCosignature(
                    checkpoint_id=checkpoint.id,
                    witness_id=witness.id,
                    cosigned_at=datetime.fromtimestamp(timestamp, UTC),
                    signature_line=signature.line(),
                    received_at=clock.now(),
                )
            )
        accepted.append(witness.name)
    if not accepted:
        raise InvalidInput("the note carries no cosignature by a registered witness")
    session.commit()
    return accepted


def witness_verifier(witness: AuditWitness) -> Verifier:
    """The cosignature verifier of a registered witness."""
    return Verifier(witness.name, COSIGNATURE_ED25519, witness.public_key)


@dataclass(frozen=True)
class Inclusion:
    """An entry's leaf hash shown in a signed checkpoint: the proof, checked."""

    index: int
    leaf: bytes
    checkpoint: AuditCheckpoint
    proof: list[bytes]


def prove_leaf(session: Session, index: int, leaf: bytes) -> Inclusion | None:
    """The proof that entry `index` has leaf hash `leaf` in the latest signed checkpoint, or
    None when it has not (no such entry, another hash, or no checkpoint covers it yet). It
    says nothing else of the entry."""
    signed = latest_checkpoint(session)
    if signed is None or not 0 <= index < signed.tree_size:
        return None
    stored, proof = log.inclusion_with_leaf(session, index, signed.tree_size)
    if not hmac.compare_digest(stored, leaf):
        return None
    if not merkle.verify_inclusion(index, signed.tree_size, leaf, proof, signed.root_hash):
        raise TamperDetected(f"entry {index} does not prove into checkpoint #{signed.id}")
    return Inclusion(index, leaf, signed, proof)
