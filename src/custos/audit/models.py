"""Audit tables: entries, the Merkle tree over them, signed checkpoints, witnesses.

Entries, tree nodes and checkpoints are append-only in the database itself (triggers), not
only in the code; `audit_log_state` is the one row that moves, and taking it for update is
what hands out contiguous positions in the log.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.db import Base

_BIG = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class AuditEntry(Base):
    """One recorded action (Directive 2016/680 art. 25); `seq` is its leaf index in the log."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(_BIG, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(sa.String(128))
    actor_role: Mapped[str | None] = mapped_column(sa.String(32))
    client_address: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    event: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(128))
    case_ref: Mapped[str | None] = mapped_column(sa.String(128))
    grant_ref: Mapped[str | None] = mapped_column(sa.String(128))
    legal_basis: Mapped[str | None] = mapped_column(sa.String(256))
    justification: Mapped[str | None] = mapped_column(sa.Text)
    recipient: Mapped[str | None] = mapped_column(sa.String(256))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    # Stored exactly as it is hashed (canonical JSON), so checking never re-encodes it.
    details_json: Mapped[str] = mapped_column("details", sa.Text)

    @property
    def details(self) -> dict[str, Any]:
        """The details as a mapping."""
        loaded: dict[str, Any] = json.loads(self.details_json)
        return loaded


class AuditNode(Base):
    """A perfect subtree of the log: level 0 holds leaf hashes."""

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(_BIG, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class AuditLogState(Base):
    """The log's size and origin: one row, locked by every append."""

    __tablename__ = "audit_log_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(_BIG)
    origin: Mapped[str] = mapped_column(sa.String(256))


class AuditCheckpoint(Base):
    """A signed tree head (C2SP checkpoint in a signed note)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(_BIG, index=True)
    root_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    note: Mapped[str] = mapped_column(sa.Text)
    signed_at: Mapped[datetime]


class AuditWitness(Base):
    """An outside witness whose cosignatures the log accepts and shows."""

    __tablename__ = "audit_witnesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(256), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    added_at: Mapped[datetime]


class AuditCosignature(Base):
    """A witness's cosignature of one checkpoint."""

    __tablename__ = "audit_cosignatures"
    __table_args__ = (sa.UniqueConstraint("checkpoint_id", "witness_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_checkpoints.id"))
    witness_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_witnesses.id"))
    cosigned_at: Mapped[datetime]
    signature_line: Mapped[str] = mapped_column(sa.Text)
    received_at: Mapped[datetime]
