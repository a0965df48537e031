"""Verifying the whole log from scratch, in the database or from an exported bundle.

`verify_log` rebuilds the tree from the stored entries and checks, in one pass per level,
that every stored node is what its children hash to, and that every signed checkpoint still
matches. The first discrepancy is reported with its place: the entry, the node or the
checkpoint. A bundle carries the canonical entries, the checkpoint and the log's public key,
and is checked with no database at all.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import log, merkle
from custos.audit.canonical import ENTRY_FIELDS, canonical_bytes, line, parse
from custos.audit.checkpoint import published_note
from custos.audit.log import record_of
from custos.audit.models import AuditCheckpoint, AuditEntry
from custos.audit.note import (
    NoteError,
    Verifier,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify,
)


@dataclass(frozen=True)
class Report:
    """What a verification found."""

    entries: int
    checkpoints: int
    problem: str | None

    @property
    def ok(self) -> bool:
        """Whether nothing was wrong."""
        return self.problem is None


class _Bad(Exception):
    pass


def verify_log(session: Session, verifier: Verifier, batch: int = 20_000) -> Report:
    """Recompute the tree from the entries and check every node and checkpoint."""
    size = log.size(session)
    checkpoints = list(session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
    try:
        _check_tree(session, size, batch)
        for checkpoint in checkpoints:
            _check_checkpoint(session, checkpoint, verifier, size)
    except _Bad as bad:
        return Report(size, len(checkpoints), str(bad))
    return Report(size, len(checkpoints), None)


# The columns in canonical order, the arguments of `canonical.line`.
_ENTRIES_IN_ORDER = (
    f"SELECT seq, at, {', '.join(ENTRY_FIELDS)} "  # noqa: S608 - fixed names
    "FROM audit_entries ORDER BY seq"
)
_LEVEL_IN_ORDER = "SELECT idx, hash FROM audit_nodes WHERE level = {level} ORDER BY idx"


def _raw_rows(session: Session, sql: str, batch: int) -> Iterator[Any]:
    """Rows as plain tuples straight from the driver, in batches, inside the session's transaction.

    On PostgreSQL a named (server-side) cursor keeps memory flat over millions of rows.
    """
    driver = session.connection().connection.dbapi_connection
    assert driver is not None
    if session.get_bind().dialect.name == "postgresql":
        cursor = driver.cursor(name=f"custos_verify_{uuid.uuid4().hex[:8]}")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def _check_tree(session: Session, size: int, batch: int) -> None:
    """One pass over the entries in order, rebuilding the tree and comparing every stored node.

    Each level of stored nodes is read as its own ordered stream; a node is compared the moment
    the rebuilt tree completes it, so the first discrepancy found is the first in log order.
    Rows are read raw from the driver (no ORM, no type conversion): this is the path that must
    keep up with hundreds of thousands of entries a second.
    """
    entries = _raw_rows(session, _ENTRIES_IN_ORDER, batch)
    levels: dict[int, Iterator[Any]] = {}

    def stored(level: int) -> Iterator[Any]:
        if level not in levels:
            levels[level] = _raw_rows(session, _LEVEL_IN_ORDER.format(level=int(level)), batch)
        return levels[level]

    tree = merkle.CompactRange()
    sha256 = hashlib.sha256
    expected = 0
    for row in entries:
        seq = row[0]
        if seq >= size:
            raise _Bad(f"entry {seq} is not in the log of {size} (inserted behind its back?)")
        if seq != expected:
            raise _Bad(f"entry {expected} is missing (deleted?)")
        at = row[1]
        when = f"{at[:10]}T{at[11:]}Z" if isinstance(at, str) else at.strftime(_TIME)
        leaf = sha256(b"\x00" + line(seq, when, *row[2:])).digest()
        for level, index, digest in tree.append(leaf):
            found = next(stored(level), None)
            if found is None or found[0] != index:
                where = (
                    f"entry {index} has no leaf in the tree"
                    if level == 0
                    else (f"tree node level {level} index {index} is missing")
                )
                raise _Bad(where)
            if bytes(found[1]) != digest:
                raise _Bad(
                    f"entry {index} does not match its leaf hash (altered or moved)"
                    if level == 0
                    else f"tree node level {level} index {index} does not match its children"
                )
        expected += 1
    if expected != size:
        raise _Bad(f"entry {expected} is missing (deleted?): the log holds {size}")
    for level in range(size.bit_length()):
        extra = next(stored(level), None)
        if extra is not None:
            raise _Bad(f"tree node level {level} index {extra[0]} stands beyond the log")


_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def _check_checkpoint(
    session: Session, checkpoint: AuditCheckpoint, verifier: Verifier, size: int
) -> None:
    where = f"checkpoint #{checkpoint.id} (size {checkpoint.tree_size})"
    try:
        note = parse_note(checkpoint.note)
        head = parse_checkpoint(note.text)
    except NoteError as error:
        raise _Bad(f"{where} is malformed: {error}") from None
    if not verify(note, verifier):
        raise _Bad(f"{where}: the log's signature does not verify")
    if (head.size, head.root) != (checkpoint.tree_size, bytes(checkpoint.root_hash)):
        raise _Bad(f"{where}: the signed note and the stored row disagree")
    if head.size > size:
        raise _Bad(f"{where} is larger than the log of {size}: entries were removed")
    if log.root_at(session, head.size) != head.root:
        raise _Bad(f"{where} no longer matches the log: an entry below {head.size} was changed")


# --- bundles -----------------------------------------------------------------------------------

ENTRIES_FILE = "entries.jsonl"
CHECKPOINT_FILE = "checkpoint.note"
KEY_FILE = "log.vkey"


def export_bundle(session: Session, verifier: Verifier, target: Path) -> int:
    """Write the entries up to the latest checkpoint, that checkpoint and the key; returns size."""
    checkpoint = session.scalar(
        sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    )
    if checkpoint is None:
        raise ValueError("the log has no checkpoint yet: run `custos audit checkpoint`")
    target.mkdir(parents=True, exist_ok=True)
    partial = target / (ENTRIES_FILE + ".partial")
    with partial.open("wb") as out:
        entries = session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.seq < checkpoint.tree_size)
            .order_by(AuditEntry.seq)
            .execution_options(yield_per=5000)
        )
        for entry in entries:
            out.write(canonical_bytes(record_of(entry)) + b"\n")
    partial.replace(target / ENTRIES_FILE)
    (target / CHECKPOINT_FILE).write_text(published_note(session, checkpoint))
    (target / KEY_FILE).write_text(verifier.vkey() + "\n")
    (target / "README.txt").write_text(
        "Custos audit log bundle.\n"
        f"{ENTRIES_FILE}: one entry per line in canonical form; leaf = SHA-256(0x00 || line).\n"
        f"{CHECKPOINT_FILE}: the signed checkpoint (C2SP signed note) over these entries.\n"
        f"{KEY_FILE}: the log's public key (C2SP verifier key).\n"
        "Check it with: custos audit verify --bundle <this folder>\n"
    )
    return checkpoint.tree_size


def verify_bundle(folder: Path) -> Report:
    """Check a bundle offline: signature, canonical entries, and the root they hash to."""
    try:
        verifier = parse_vkey((folder / KEY_FILE).read_text())
        note = parse_note((folder / CHECKPOINT_FILE).read_text())
        head = parse_checkpoint(note.text)
    except (OSError, NoteError) as error:
        return Report(0, 0, f"the bundle cannot be read: {error}")
    if not verify(note, verifier):
        return Report(0, 1, "the checkpoint's signature does not verify with the bundled key")
    if head.origin != verifier.name:
        return Report(0, 1, f"the checkpoint is for {head.origin}, the key for {verifier.name}")
    tree = merkle.CompactRange()
    with (folder / ENTRIES_FILE).open("rb") as lines:
        for number, line in enumerate(lines):
            raw = line.rstrip(b"\n")
            try:
                record = parse(raw)
            except (ValueError, KeyError, json.JSONDecodeError) as error:
                return Report(number, 1, f"entry {number} is not a canonical entry: {error}")
            if record.seq != number:
                return Report(number, 1, f"entry {number} carries position {record.seq}")
            tree.append(merkle.leaf_hash(raw))
    if tree.size != head.size:
        return Report(
            tree.size, 1, f"the bundle holds {tree.size} entries, the checkpoint {head.size}"
        )
    if tree.root() != head.root:
        return Report(tree.size, 1, "the entries do not hash to the checkpoint's root")
    return Report(tree.size, 1, None)
