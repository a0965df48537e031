"""The audit log in the database: appends in the caller's transaction, roots and proofs in O(log n).

An append locks the single `audit_log_state` row, so positions in the log are handed out
contiguously and in commit order, on SQLite and PostgreSQL alike. It reads the O(log n)
nodes on the right edge of the tree, hashes the new leaves into it, and inserts the entries,
the nodes they complete and the new size. Nothing else ever writes these tables.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import merkle
from custos.audit.canonical import (
    ENTRY_FIELDS,
    EntryFields,
    EntryRecord,
    canonical_bytes,
    canonical_details,
    field_values,
    format_time,
    line,
)
from custos.audit.models import AuditEntry, AuditLogState, AuditNode
from custos.clock import Clock
from custos.errors import InvalidInput, NotFound, NotInitialised

STATE_ID = 1

_entries = cast(sa.Table, AuditEntry.__table__)
_nodes = cast(sa.Table, AuditNode.__table__)
_state = cast(sa.Table, AuditLogState.__table__)
_ENTRY_COLUMNS = ("seq", "at", *ENTRY_FIELDS)


@functools.lru_cache(maxsize=4)
def _inserts(paramstyle: str) -> tuple[str, str]:
    """INSERT statements for the driver itself: appends skip per-row parameter processing."""
    mark = "?" if paramstyle == "qmark" else "%s"
    entries = (
        f"INSERT INTO audit_entries ({', '.join(_ENTRY_COLUMNS)}) "  # noqa: S608 - fixed names
        f"VALUES ({', '.join([mark] * len(_ENTRY_COLUMNS))})"
    )
    nodes = f"INSERT INTO audit_nodes (level, idx, hash) VALUES ({mark}, {mark}, {mark})"  # noqa: S608
    return entries, nodes


@dataclass(frozen=True, kw_only=True)
class NewEntry(EntryFields[dict[str, Any]]):
    """An entry to append; the log gives it its position and time."""

    details: dict[str, Any] = field(default_factory=dict)


def _locked_size(session: Session) -> int:
    size = session.execute(
        sa.select(_state.c.size).where(_state.c.id == STATE_ID).with_for_update()
    ).scalar()
    if size is None:
        raise NotInitialised("the audit log has no state row; run `custos init`")
    return int(size)


def append(session: Session, clock: Clock, entries: Sequence[NewEntry]) -> int:
    """Append `entries` in the session's transaction; returns the position of the first."""
    size = _locked_size(session)
    edge = merkle.nodes_for_root(size)
    known = fetch_nodes(session, edge)
    tree = merkle.CompactRange(size, [known[piece] for piece in edge])
    at = clock.now()
    connection = session.connection()
    # What the database stores for the time: SQLite keeps SQLAlchemy's text form, others a
    # naive UTC timestamp (see db.UTCDateTime).
    naive = at.astimezone(UTC).replace(tzinfo=None)
    stored_at: object = (
        naive.strftime("%Y-%m-%d %H:%M:%S.%f") if connection.dialect.name == "sqlite" else naive
    )
    when = format_time(at)
    rows: list[tuple[object, ...]] = []
    nodes: list[tuple[int, int, bytes]] = []
    for seq, entry in enumerate(entries, start=size):
        *plain, details = field_values(entry)  # details come last (see EntryFields)
        values = (*plain, canonical_details(details))
        rows.append((seq, stored_at, *values))
        nodes += tree.append(merkle.leaf_hash(line(seq, when, *values)))
    if rows:
        insert_entries, insert_nodes = _inserts(connection.dialect.paramstyle)
        connection.exec_driver_sql(insert_entries, rows)
        connection.exec_driver_sql(insert_nodes, nodes)
        session.execute(
            sa.update(_state).where(_state.c.id == STATE_ID).values(size=size + len(rows))
        )
    return size


def record_of(entry: AuditEntry) -> EntryRecord:
    """The hashed content of a stored entry."""
    values = {name: getattr(entry, name) for name in ENTRY_FIELDS if name != "details"}
    # The details as the text that was hashed, not the mapping the model reads from it.
    return EntryRecord(seq=entry.seq, at=entry.at, details=entry.details_json, **values)


def fetch_nodes(session: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The hashes of the named nodes, in one query on the primary key."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    params: dict[str, int] = {}
    for number, (level, index) in enumerate(wanted):
        params[f"l{number}"], params[f"i{number}"] = level, index
    found = {
        (level, idx): bytes(digest)
        for level, idx, digest in session.execute(_nodes_query(len(wanted)), params)
    }
    missing = [key for key in wanted if key not in found]
    if missing:
        raise NotInitialised(f"the audit tree lacks node {missing[0]}; run `custos audit verify`")
    return found


@functools.lru_cache(maxsize=256)
def _nodes_query(count: int) -> sa.TextClause:
    # A join on a VALUES list: one statement per count, compiled once, answered from the key.
    pairs = ", ".join(f"(:l{n}, :i{n})" for n in range(count))
    return sa.text(
        f"WITH wanted (level, idx) AS (VALUES {pairs}) "  # noqa: S608 - placeholders only
        "SELECT n.level, n.idx, n.hash FROM wanted "
        "JOIN audit_nodes n ON n.level = wanted.level AND n.idx = wanted.idx"
    )


def size(session: Session) -> int:
    """The number of entries in the log."""
    value = session.execute(sa.select(_state.c.size).where(_state.c.id == STATE_ID)).scalar()
    if value is None:
        raise NotInitialised("the audit log has no state row; run `custos init`")
    return int(value)


def origin(session: Session) -> str:
    """The log's origin line (its name in checkpoints)."""
    value = session.execute(sa.select(_state.c.origin).where(_state.c.id == STATE_ID)).scalar()
    if value is None:
        raise NotInitialised("the audit log has no state row; run `custos init`")
    return str(value)


def _check_size(tree_size: int, current: int) -> None:
    if not 0 <= tree_size <= current:
        raise InvalidInput(f"the log holds {current} entries; there is no tree of {tree_size}")


def root_at(session: Session, tree_size: int) -> bytes:
    """The root hash of the first `tree_size` entries."""
    _check_size(tree_size, size(session))
    nodes = fetch_nodes(session, merkle.nodes_for_root(tree_size))
    return merkle.root(tree_size, lambda level, index: nodes[(level, index)])


def entry_line(session: Session, index: int) -> bytes:
    """The canonical line of entry `index`, whose leaf is SHA-256(0x00 || it)."""
    entry = session.get(AuditEntry, index)
    if entry is None:
        raise NotFound(f"no audit entry {index}")
    return canonical_bytes(record_of(entry))


def leaf_at(session: Session, index: int) -> bytes:
    """The leaf hash of entry `index`."""
    return fetch_nodes(session, [(0, index)])[(0, index)]


def inclusion(session: Session, index: int, tree_size: int) -> list[bytes]:
    """The inclusion proof of entry `index` in the tree of `tree_size`."""
    return inclusion_with_leaf(session, index, tree_size)[1]


def inclusion_with_leaf(session: Session, index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
    """Entry `index`'s leaf hash and inclusion proof in the tree of `tree_size`, in one read."""
    _check_size(tree_size, size(session))
    if not 0 <= index < tree_size:
        raise InvalidInput(f"entry {index} is not in a tree of {tree_size}")
    nodes = fetch_nodes(session, [(0, index), *merkle.nodes_for_inclusion(index, tree_size)])
    proof = merkle.inclusion_proof(index, tree_size, lambda level, i: nodes[(level, i)])
    return nodes[(0, index)], proof


def consistency(session: Session, old: int, new: int) -> list[bytes]:
    """The consistency proof from the tree of `old` entries to the tree of `new`."""
    _check_size(new, size(session))
    if not 0 < old <= new:
        raise InvalidInput(f"no consistency proof from {old} to {new}")
    nodes = fetch_nodes(session, merkle.nodes_for_consistency(old, new))
    return merkle.consistency_proof(old, new, lambda level, i: nodes[(level, i)])
