"""Storage pressure: below the policy's free-space threshold, erase the oldest ordinary footage.

Only segments on the default plan may go early (audited as early erasures). Held, incident,
extended and sunset footage is never touched: when nothing else is left, an alert is raised
and recording stops instead — the recorders refuse to store, and the stretch becomes a gap.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from custos.cameras import service as cameras
from custos.clock import Clock
from custos.db import READING
from custos.recording import service as recording
from custos.retention.models import Alert
from custos.retention.policy import Decision, Reason, storage_pressure_victims
from custos.retention.service import PlanItem
from custos.retention.sweeper import Sweeper
from custos.storage.blobs import BlobStore

log = logging.getLogger(__name__)

STORAGE_EXHAUSTED = "storage_exhausted"
_CANDIDATES = 5000


@dataclass(frozen=True)
class PressureResult:
    """What relieving storage pressure did."""

    free_percent: float | None
    erased: int
    exhausted: bool


def relieve(
    sessions: sessionmaker[Session],
    clock: Clock,
    blobs: BlobStore,
    sweeper: Sweeper,
    threshold_percent: float,
) -> PressureResult:
    """Erase default-class footage, oldest first, until free space is back above the threshold."""
    space = blobs.space()
    if space is None:
        return PressureResult(None, 0, False)
    erased = 0
    while space.free_percent < threshold_percent:
        needed = int(space.total * threshold_percent / 100) - space.free
        with sessions() as session:
            rows = recording.oldest_planned(session, Reason.DEFAULT.value, _CANDIDATES)
            names = cameras.camera_names(session)
        candidates = [
            (s.id, s.started_at, s.bytes, Decision(s.expires_at, Reason.DEFAULT)) for s in rows
        ]
        chosen = set(storage_pressure_victims(candidates, needed))
        if not chosen:
            raise_alert(
                sessions,
                clock,
                STORAGE_EXHAUSTED,
                f"storage is {100 - space.free_percent:.1f}% full and holds only held, "
                "incident or extended footage: recording has stopped",
            )
            return PressureResult(space.free_percent, erased, True)
        items = [
            PlanItem(
                s.id,
                names[s.camera_id],
                s.started_at,
                s.ended_at,
                clock.now(),
                Reason.STORAGE_PRESSURE,
                "free space below the policy threshold",
                s.bytes,
            )
            for s in rows
            if s.id in chosen
        ]
        erased += len(sweeper.erase(items))
        new_space = blobs.space()
        assert new_space is not None
        space = new_space
    clear_alert(sessions, clock, STORAGE_EXHAUSTED)
    return PressureResult(space.free_percent, erased, False)


def raise_alert(sessions: sessionmaker[Session], clock: Clock, kind: str, message: str) -> None:
    """Raise an alert of `kind` unless one is already up."""
    with sessions() as session:
        if active_alert(session, kind) is None:
            session.add(Alert(kind=kind, message=message, raised_at=clock.now()))
            session.commit()
            log.critical(message)


def clear_alert(sessions: sessionmaker[Session], clock: Clock, kind: str) -> None:
    """Clear the live alert of `kind`, if any."""
    with sessions() as session:
        alert = active_alert(session, kind)
        if alert is not None:
            alert.cleared_at = clock.now()
            session.commit()


# Built once: recorders ask before every segment they store.
_ACTIVE_ALERT = (
    sa.select(Alert).where(Alert.kind == sa.bindparam("kind"), Alert.cleared_at.is_(None)).limit(1)
)


def active_alert(session: Session, kind: str) -> Alert | None:
    """The live alert of `kind`."""
    return session.scalar(_ACTIVE_ALERT, {"kind": kind})


def active_alerts(session: Session) -> list[Alert]:
    """Every live alert."""
    return list(session.scalars(sa.select(Alert).where(Alert.cleared_at.is_(None))))


def storage_refusal(session: Session) -> str | None:
    """Why no new footage may be stored now (storage holds only protected footage), or None."""
    if active_alert(session, STORAGE_EXHAUSTED) is None:
        return None
    return "recording stopped: storage holds only protected footage (see the alert)"


RECORDER_GATE_SECONDS = 2.0
"""How long the recorders of one process keep the gate's answer: they ask before every segment
of every camera, and the alert behind it changes seldom."""


class ExhaustionGate:
    """Recording's storage gate: closed while storage holds only protected footage.

    With `keep_for`, an answer is kept that many seconds, so one process asks the database at
    most once in that time however many cameras it records.
    """

    def __init__(self, keep_for: float = 0.0) -> None:
        self._keep_for = keep_for
        self._kept: tuple[float, str | None] | None = None  # (monotonic time, answer)

    def refusal(self, sessions: sessionmaker[Session]) -> str | None:
        """Why nothing may be stored now, or None when it may."""
        now = time.monotonic()
        kept = self._kept
        if kept is not None and now - kept[0] < self._keep_for:
            return kept[1]
        with sessions() as session:
            session.connection(execution_options={READING: True})  # it only reads: no lock
            answer = storage_refusal(session)
        self._kept = (now, answer)
        return answer
