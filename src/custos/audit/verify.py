"""Verifying the whole log from scratch, in the database or from an exported bundle.

`verify_log` rebuilds the tree from the stored entries and checks, in one pass per level,
that every stored node is what its children hash to, and that every signed checkpoint still
matches. The first discrepancy is reported with its place: the entry, the node or the
checkpoint. A bundle carries the canonical entries, the checkpoint and the log's public key,
and is checked with no database at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import log, merkle
from custos.audit.canonical import canonical_bytes, parse
from custos.audit.checkpoint import published_note
from custos.audit.log import record_of
from custos.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from custos.audit.note import (
    NoteError,
    Verifier,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify,
)

_nodes = cast(sa.Table, AuditNode.__table__)


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


def verify_log(session: Session, verifier: Verifier, batch: int = 5000) -> Report:
    """Recompute the tree from the entries and check every node and checkpoint."""
    size = log.size(session)
    checkpoints = list(session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.id)))
    try:
        _check_entries(session, size, batch)
        _check_levels(session, size)
        for checkpoint in checkpoints:
            _check_checkpoint(session, checkpoint, verifier, size)
    except _Bad as bad:
        return Report(size, len(checkpoints), str(bad))
    return Report(size, len(checkpoints), None)


def _check_entries(session: Session, size: int, batch: int) -> None:
    entries = session.scalars(
        sa.select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    )
    leaves = session.execute(
        sa.select(_nodes.c.idx, _nodes.c.hash)
        .where(_nodes.c.level == 0)
        .order_by(_nodes.c.idx)
        .execution_options(yield_per=batch)
    )
    expected = 0
    leaf_row = next(leaves, None)
    for entry in entries:
        if entry.seq >= size:
            raise _Bad(f"entry {entry.seq} is not in the log of {size} (inserted behind its back?)")
        if entry.seq != expected:
            raise _Bad(f"entry {expected} is missing (deleted?)")
        if leaf_row is None or leaf_row[0] != expected:
            raise _Bad(f"entry {expected} has no leaf in the tree")
        if merkle.leaf_hash(canonical_bytes(record_of(entry))) != bytes(leaf_row[1]):
            raise _Bad(f"entry {expected} does not match its leaf hash (altered or moved)")
        expected += 1
        leaf_row = next(leaves, None)
    if expected != size:
        raise _Bad(f"entry {expected} is missing (deleted?): the log holds {size}")
    if leaf_row is not None:
        raise _Bad(f"tree leaf {leaf_row[0]} has no entry")


def _check_levels(session: Session, size: int) -> None:
    level = 0
    while (size >> level) > 1:
        below = session.execute(
            sa.select(_nodes.c.hash).where(_nodes.c.level == level).order_by(_nodes.c.idx)
        ).scalars()
        above = session.execute(
            sa.select(_nodes.c.idx, _nodes.c.hash)
            .where(_nodes.c.level == level + 1)
            .order_by(_nodes.c.idx)
        )
        count = 0
        for index, stored in above:
            left, right = next(below, None), next(below, None)
            if index != count or left is None or right is None:
                raise _Bad(f"tree node level {level + 1} index {count} is missing")
            if merkle.node_hash(bytes(left), bytes(right)) != bytes(stored):
                raise _Bad(f"tree node level {level + 1} index {index} does not match its children")
            count += 1
        if count != size >> (level + 1):
            raise _Bad(f"tree node level {level + 1} index {count} is missing")
        level += 1


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
