"""The log in the database: contiguous positions, the tree matches the entries, proofs verify."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import log, merkle
from custos.audit.canonical import canonical_bytes
from custos.audit.log import NewEntry, record_of
from custos.audit.models import AuditEntry
from custos.clock import FrozenClock
from custos.errors import InvalidInput


def _entries(count: int, **extra: object) -> list[NewEntry]:
    return [
        NewEntry(
            actor=f"user{i}",
            action="configure",
            event="test.event",
            outcome="success",
            details={"i": i, "text": "ünïcode"},
            **extra,
        )  # type: ignore[arg-type]
        for i in range(count)
    ]


def _leaves(db: Session) -> list[bytes]:
    stored = db.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq))
    return [merkle.leaf_hash(canonical_bytes(record_of(e))) for e in stored]


def test_positions_are_contiguous_and_the_tree_matches_the_entries(
    db: Session, clock: FrozenClock
) -> None:
    start = log.size(db)
    assert log.append(db, clock, _entries(5)) == start
    assert (
        log.append(db, clock, _entries(1, case_ref="CASE-7", legal_basis="art. 199")) == start + 5
    )
    assert log.size(db) == start + 6
    assert [e.seq for e in db.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq))] == list(
        range(start + 6)
    )
    leaves = _leaves(db)  # the hash of what the database gives back, not of what went in
    assert log.root_at(db, len(leaves)) == merkle.root_from_leaves(leaves)
    assert log.root_at(db, 3) == merkle.root_from_leaves(leaves[:3])


def test_proofs_from_the_database_verify(db: Session, clock: FrozenClock) -> None:
    log.append(db, clock, _entries(37))
    size = log.size(db)
    root = log.root_at(db, size)
    for index in (0, 1, 17, size - 1):
        proof = log.inclusion(db, index, size)
        assert merkle.verify_inclusion(index, size, log.leaf_at(db, index), proof, root)
    for old in (1, 5, 16, size - 1, size):
        proof = log.consistency(db, old, size)
        assert merkle.verify_consistency(old, size, log.root_at(db, old), root, proof)


def test_requests_beyond_the_log_are_refused(db: Session, clock: FrozenClock) -> None:
    log.append(db, clock, _entries(2))
    size = log.size(db)
    with pytest.raises(InvalidInput, match=f"holds {size} entries"):
        log.root_at(db, size + 1)
    with pytest.raises(InvalidInput, match="is not in a tree"):
        log.inclusion(db, size, size)
    with pytest.raises(InvalidInput, match="no consistency proof"):
        log.consistency(db, 0, size)


def test_an_empty_append_changes_nothing(db: Session, clock: FrozenClock) -> None:
    before = log.size(db)
    log.append(db, clock, [])
    assert log.size(db) == before


def test_the_tables_refuse_changes(db: Session, clock: FrozenClock) -> None:
    log.append(db, clock, _entries(2))
    for statement in (
        "UPDATE audit_nodes SET hash = hash",
        "DELETE FROM audit_nodes",
        "DELETE FROM audit_entries WHERE seq = 0",
    ):
        savepoint = db.begin_nested()
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.execute(sa.text(statement))
        savepoint.rollback()
