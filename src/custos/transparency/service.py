"""The transparency figures of this system: recomputed from the audit log after it is
verified, over the entries up to its latest checkpoint, which the page names; the same
figures an outside body computes from an audit export (`from_bundle`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit.canonical import EntryRecord, parse
from custos.audit.log import record_of
from custos.audit.models import AuditEntry
from custos.audit.note import Verifier, parse_checkpoint, parse_note
from custos.audit.verify import CHECKPOINT_FILE, ENTRIES_FILE, verify_bundle, verify_log
from custos.errors import Conflict, TamperDetected
from custos.transparency.policy import figures


@dataclass(frozen=True)
class Computed:
    """Figures per month, and the checkpoint they were computed at."""

    size: int
    root: str
    figures: dict[str, dict[str, float]]

    def as_dict(self) -> dict[str, object]:
        return {"checkpoint": {"size": self.size, "root": self.root}, "figures": self.figures}


def from_log(session: Session, verifier: Verifier) -> Computed:
    """The figures, after verifying the whole log; over the entries its latest checkpoint
    covers."""
    checked = verify_log(session, verifier)
    if not checked.ok:
        raise TamperDetected(f"the audit log does not verify: {checked.problem}")
    latest = checkpoints.latest_checkpoint(session)
    if latest is None:
        raise Conflict("the audit log has no checkpoint yet: the figures wait for one")
    return Computed(
        latest.tree_size,
        bytes(latest.root_hash).hex(),
        figures(_entries(session, latest.tree_size)),
    )


def _entries(session: Session, size: int) -> Iterator[EntryRecord]:
    rows = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.seq < size)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=5000)
    )
    for entry in rows:
        yield record_of(entry)


_latest: dict[tuple[int, str], Computed] = {}
_computing = threading.Lock()


def at_latest_checkpoint(session: Session, verifier: Verifier) -> Computed:
    """`from_log`, computed once per checkpoint in this process.

    The figures are a function of the entries the checkpoint's root commits to, so they are
    kept under (size, root) until a newer checkpoint appears; the lock makes concurrent
    requests wait for one computation instead of each verifying the whole log. A change to
    the log behind its back is then found by the next checkpoint's signing, by `custos audit
    verify` and by the witnesses, not by every page view.
    """
    latest = checkpoints.latest_checkpoint(session)
    if latest is None:
        raise Conflict("the audit log has no checkpoint yet: the figures wait for one")
    key = (latest.tree_size, bytes(latest.root_hash).hex())
    with _computing:
        if key not in _latest:
            found = from_log(session, verifier)
            _latest.clear()
            _latest[(found.size, found.root)] = found
            if (found.size, found.root) != key:  # a newer checkpoint landed meanwhile
                return found
        return _latest[key]


def from_bundle(folder: Path) -> Computed:
    """The figures from an audit export, offline: the bundle is verified first, and nothing
    is computed from one that does not verify."""
    checked = verify_bundle(folder)
    if not checked.ok:
        raise TamperDetected(f"the audit export does not verify: {checked.problem}")
    head = parse_checkpoint(parse_note((folder / CHECKPOINT_FILE).read_text()).text)
    with (folder / ENTRIES_FILE).open("rb") as lines:
        found = figures(parse(line.rstrip(b"\n")) for line in lines)
    return Computed(head.size, head.root.hex(), found)
