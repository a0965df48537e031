"""The crypto-shredding sweeper: carries out the retention plan, step by resumable step.

For a batch of segments that are due:

1. record the intent (one row each), and commit;
2. in one transaction: tombstone the index rows, delete their wrapped data keys (SQLite runs
   with secure_delete, so the key bytes do not linger in free pages) and append an erasure
   entry to the audit log for each — from this commit on the segments are unreadable;
3. delete the blobs (already noise without their keys);
4. clear the intents.

Killed anywhere and run again, it first finishes every intent it finds, so it always ends with
no intent left, no key for an erased segment, and no blob for one. Step 2 re-checks the plan
inside its own transaction: a segment that a hold caught in the meantime is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from custos.audit import service as audit
from custos.audit.policy import Action
from custos.cameras import service as cameras
from custos.clock import Clock
from custos.context import Actor
from custos.profile import Rules
from custos.recording import service as recording
from custos.retention.models import ErasureIntent
from custos.retention.policy import Reason
from custos.retention.service import PlanItem, due
from custos.storage.blobs import BlobStore

log = logging.getLogger(__name__)

SWEEPER = Actor(name="retention-sweeper", role="system")

_intents = cast(sa.Table, ErasureIntent.__table__)


@dataclass
class SweepResult:
    """What a sweep did."""

    erased: int = 0
    resumed: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class Sweeper:
    """Erases what the plan says is due, in batches."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        blobs: BlobStore,
        rules: Rules,
        batch: int = 500,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._blobs = blobs
        self._rules = rules
        self._batch = batch

    def run(self) -> SweepResult:
        """Finish any interrupted erasure, then erase everything due now."""
        result = SweepResult(resumed=self.finish_pending())
        while True:
            with self._sessions() as session:
                items = due(session, self._rules, self._clock.now(), limit=self._batch)
            if not items:
                return result
            erased = self.erase(items)
            result.erased += len(erased)
            for item in items:
                if item.segment_id in erased:
                    result.by_reason[item.reason.value] = (
                        result.by_reason.get(item.reason.value, 0) + 1
                    )
            if not erased:
                return result  # all of the batch was caught by a hold meanwhile

    def erase(self, items: Sequence[PlanItem]) -> set[str]:
        """Carry out all four steps for these planned erasures; returns the ids erased."""
        self.record_intents(items)
        erased = self.shred([i.segment_id for i in items])
        self.delete_blobs([i.segment_id for i in items])
        self.clear_intents([i.segment_id for i in items])
        return erased

    # --- the steps ------------------------------------------------------------------------------

    def record_intents(self, items: Sequence[PlanItem]) -> None:
        """Step 1: write down what is about to be erased and why."""
        now = self._clock.now()
        with self._sessions() as session:
            existing = set(
                session.scalars(
                    sa.select(ErasureIntent.segment_id).where(
                        ErasureIntent.segment_id.in_([i.segment_id for i in items])
                    )
                )
            )
            fresh = [
                {
                    "segment_id": i.segment_id,
                    "reason": i.reason.value,
                    "detail": i.detail[:128],
                    "planned_at": now,
                }
                for i in items
                if i.segment_id not in existing
            ]
            if fresh:
                session.execute(sa.insert(_intents), fresh)
            session.commit()

    def shred(self, segment_ids: Sequence[str]) -> set[str]:
        """Step 2: tombstone, destroy the keys and audit, in one transaction; returns ids erased."""
        now = self._clock.now()
        with self._sessions() as session:
            intents = {
                row.segment_id: row
                for row in session.execute(
                    sa.select(
                        ErasureIntent.segment_id, ErasureIntent.reason, ErasureIntent.detail
                    ).where(ErasureIntent.segment_id.in_(list(segment_ids)))
                )
            }
            expiries = recording.planned_expiries(session, intents)
            # The plan is checked again here: a hold placed since planning wins.
            doomed = {
                segment_id: intents[segment_id].reason
                for segment_id, expires_at in expiries.items()
                if intents[segment_id].reason == Reason.STORAGE_PRESSURE.value
                or (expires_at is not None and expires_at <= now)
            }
            if not doomed:
                return set()
            erased = recording.erase_segments(session, now, doomed)
            names = cameras.camera_names(session)
            batches: dict[tuple[int, str, str], list[recording.ErasedRow]] = {}
            for row in erased:
                key = (row.camera_id, intents[row.id].reason, intents[row.id].detail)
                batches.setdefault(key, []).append(row)
            audit.record_many(
                session,
                self._clock,
                SWEEPER,
                [
                    _erasure_entry(rows, names[camera_id], reason, rule, expiries)
                    for (camera_id, reason, rule), rows in batches.items()
                ],
            )
            session.commit()
            return {row.id for row in erased}

    def delete_blobs(self, segment_ids: Sequence[str]) -> None:
        """Step 3: delete the blobs of segments that are erased (their keys are gone already)."""
        with self._sessions() as session:
            keys = recording.erased_blob_keys(session, segment_ids)
        self._blobs.delete_many(keys)

    def clear_intents(self, segment_ids: Sequence[str]) -> None:
        """Step 4: forget the intents; erased or spared, there is nothing left to do for them."""
        with self._sessions() as session:
            session.execute(sa.delete(_intents).where(_intents.c.segment_id.in_(list(segment_ids))))
            session.commit()

    def finish_pending(self) -> int:
        """Complete every intent an interrupted run left behind; returns how many."""
        with self._sessions() as session:
            pending = list(session.scalars(sa.select(ErasureIntent.segment_id)))
        for start in range(0, len(pending), self._batch):
            chunk = pending[start : start + self._batch]
            self.shred(chunk)
            self.delete_blobs(chunk)
            self.clear_intents(chunk)
        if pending:
            log.warning("finished %d erasures an interrupted sweep had begun", len(pending))
        return len(pending)


def _erasure_entry(
    rows: list[recording.ErasedRow],
    camera: str,
    reason: str,
    rule: str,
    due: dict[str, datetime | None],
) -> audit.Entry:
    """One entry for the segments of one camera erased together for one reason: each named
    with its ciphertext digest, so the erasure of every one stays provable."""
    early = reason == Reason.STORAGE_PRESSURE.value
    return audit.Entry(
        Action.ERASE,
        "retention.segments_erased_early" if early else "retention.segments_erased",
        object_type="camera",
        object_id=camera,
        # Metadata only: what was erased, when it was filmed, why, and the proof of its content.
        details={
            "reason": reason,
            "rule": rule,
            "segments": [
                {
                    "id": row.id,
                    "started_at": row.started_at.isoformat(),
                    "ended_at": row.ended_at.isoformat(),
                    "bytes": row.bytes,
                    "ciphertext_digest": row.digest,
                    "key_destroyed": row.key_id is not None,
                    # When it was due: the transparency figures tell erasures on time from
                    # late ones.
                    "due_at": due[row.id].isoformat() if due[row.id] is not None else None,  # type: ignore[union-attr]
                }
                for row in rows
            ],
        },
    )
