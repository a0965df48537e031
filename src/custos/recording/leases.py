"""Camera leases: recorders claim cameras, keep them by renewing, and stale writers are fenced.

Every recorder process has a name, a capacity and a row in `recorders` that it renews with its
leases each round. A camera's lease names its holder, when the lease runs out and its epoch;
the epoch grows with every claim. A claim is a compare-and-set on the epoch the claimant saw,
so of two recorders claiming one camera at the same moment exactly one wins. Each write of a
holder (segment, gap, status) checks, in its own transaction, that the lease still carries the
holder's epoch; on PostgreSQL it locks the lease row for that, so a claim waits for a write in
flight and every later write of the old holder is refused.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from custos.audit import service as audit
from custos.audit.policy import Action
from custos.clock import Clock
from custos.context import Actor
from custos.errors import Conflict
from custos.recording.models import CameraLease, Recorder
from custos.recording.policy import (
    GapReason,
    LeaseState,
    claim_order,
    claimable,
    fair_shares,
    takeover_reason,
    to_claim,
)

_FORGOTTEN = timedelta(days=1)


class LeaseLost(Conflict):
    """A write under an epoch that is no longer the camera's: another recorder holds it now."""


def recorder_name() -> str:
    """A name no other recorder process has: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


# Built once: every write of every recorder is fenced.
_FENCE = (
    sa.select(CameraLease.holder, CameraLease.epoch)
    .where(CameraLease.camera_id == sa.bindparam("camera_id"))
    .with_for_update()
)


def fence(session: Session, camera_id: int, holder: str | None, epoch: int | None) -> None:
    """Refuse the write in `session` unless `holder` still holds `camera_id` under `epoch`.

    A writer without a lease (epoch None: a tool importing footage) is not fenced. The lease
    row stays locked until the transaction ends, so no claim can slip in between.
    """
    if epoch is None:
        return
    current = session.connection().execute(_FENCE, {"camera_id": camera_id}).first()
    if current is None or tuple(current) != (holder, epoch):
        now = "no lease" if current is None else f"epoch {current[1]}"
        raise LeaseLost(
            f"camera {camera_id}: lease epoch {epoch} of {holder} is stale ({now}); "
            "another recorder records it"
        )


@dataclass(frozen=True)
class Candidate:
    """An active camera a recorder may claim."""

    id: int
    name: str
    priority: int


@dataclass(frozen=True)
class Offer:
    """A free camera as a recorder found it: claiming it is a compare-and-set on `epoch`."""

    camera: Candidate
    epoch: int  # 0: no lease yet
    state: LeaseState | None


@dataclass(frozen=True)
class Claim:
    """A camera won: the epoch to write under, and why its time line has a hole (if known)."""

    camera_id: int
    epoch: int
    reason: GapReason | None


class Leases:
    """One recorder process's side of the leases: renew, claim, release."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        actor: Actor,
        *,
        name: str,
        capacity: int,
        ttl: timedelta,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._actor = actor
        self.name = name
        self.capacity = capacity
        self.ttl = ttl
        self._started_at = clock.now()

    def renew(self) -> dict[int, int]:
        """Say this recorder is alive, extend every lease it holds; the cameras held (epochs)."""
        now = self._clock.now()
        with self._sessions() as session:
            row = session.get(Recorder, self.name)
            if row is None:
                session.add(
                    Recorder(
                        name=self.name,
                        capacity=self.capacity,
                        started_at=self._started_at,
                        heartbeat_at=now,
                        stopped_at=None,
                    )
                )
            else:
                row.heartbeat_at, row.stopped_at = now, None
            # Recorders silent for a day are gone for good: they are no longer listed.
            session.execute(sa.delete(Recorder).where(Recorder.heartbeat_at < now - _FORGOTTEN))
            session.execute(
                sa.update(CameraLease)
                .where(CameraLease.holder == self.name)
                .values(expires_at=now + self.ttl)
            )
            held = held_by(session, self.name)
            session.commit()
        return held

    def claim(self, candidates: Sequence[Candidate], held: int, share: int) -> list[Claim]:
        """Claim free cameras, higher priority first, up to `share` (see `share`)."""
        wanted = to_claim(held, share, self.capacity)
        claims: list[Claim] = []
        for offer in self.offers(candidates) if wanted else []:
            if len(claims) == wanted:
                break
            claim = self.take(offer)
            if claim is not None:
                claims.append(claim)
        return claims

    def share(self, cameras: int) -> int:
        """How many of `cameras` active cameras this recorder should hold, among the live."""
        live = self.live()
        live[self.name] = self.capacity
        return fair_shares(cameras, live)[self.name]

    def live(self) -> dict[str, int]:
        """The recorders that renewed within the lease time and did not stop: their capacity."""
        now = self._clock.now()
        with self._sessions() as session:
            live = dict(
                session.execute(
                    sa.select(Recorder.name, Recorder.capacity).where(
                        Recorder.stopped_at.is_(None), Recorder.heartbeat_at > now - self.ttl
                    )
                ).all()
            )
            session.rollback()
        return live

    def offers(self, candidates: Sequence[Candidate]) -> list[Offer]:
        """The free cameras among `candidates`, in the order they are claimed."""
        now = self._clock.now()
        with self._sessions() as session:
            rows = {
                lease.camera_id: lease
                for lease in session.scalars(
                    sa.select(CameraLease).where(
                        CameraLease.camera_id.in_([c.id for c in candidates])
                    )
                )
            }
            seen = {camera_id: (lease.epoch, _state(lease)) for camera_id, lease in rows.items()}
            session.rollback()
        by_id = {c.id: c for c in candidates}
        free = [
            (c.id, c.priority)
            for c in candidates
            if c.id not in seen or claimable(seen[c.id][1], now)
        ]
        offers = []
        for camera_id in claim_order(free):
            epoch, state = seen.get(camera_id, (0, None))
            offers.append(Offer(by_id[camera_id], epoch, state))
        return offers

    def take(self, offer: Offer) -> Claim | None:
        """Claim `offer`'s camera if its lease is still as seen; None when another was first."""
        camera, epoch, state = offer.camera, offer.epoch, offer.state
        now = self._clock.now()
        reason = takeover_reason(state)
        values = {
            "holder": self.name,
            "epoch": epoch + 1,
            "expires_at": now + self.ttl,
            "claimed_at": now,
            "released_at": None,
        }
        with self._sessions() as session:
            try:
                if state is None:
                    session.execute(sa.insert(CameraLease).values(camera_id=camera.id, **values))
                else:
                    won = session.execute(
                        sa.update(CameraLease)
                        .where(
                            CameraLease.camera_id == camera.id,
                            CameraLease.epoch == epoch,
                            sa.or_(CameraLease.holder.is_(None), CameraLease.expires_at <= now),
                        )
                        .values(**values)
                    )
                    if won.rowcount != 1:  # type: ignore[attr-defined]
                        session.rollback()
                        return None
            except IntegrityError:
                session.rollback()  # another recorder inserted the lease first
                return None
            audit.record(
                session,
                self._clock,
                self._actor,
                Action.COLLECT,
                "recording.camera_claimed",
                object_type="camera",
                object_id=camera.name,
                details={
                    "recorder": self.name,
                    "epoch": epoch + 1,
                    "from": state.holder if state is not None else None,
                    "reason": str(reason) if reason is not None else None,
                },
            )
            session.commit()
        return Claim(camera.id, epoch + 1, reason)

    def release(self, cameras: Iterable[tuple[int, str]]) -> None:
        """Let cameras go at once, for another recorder to claim in its next round."""
        named = dict(cameras)
        if not named:
            return
        now = self._clock.now()
        with self._sessions() as session:
            released = list(
                session.scalars(
                    sa.update(CameraLease)
                    .where(CameraLease.holder == self.name, CameraLease.camera_id.in_(named))
                    .values(holder=None, released_at=now, expires_at=now)
                    .returning(CameraLease.camera_id)
                )
            )
            if released:
                audit.record(
                    session,
                    self._clock,
                    self._actor,
                    Action.COLLECT,
                    "recording.cameras_released",
                    details={
                        "recorder": self.name,
                        "cameras": sorted(named[camera_id] for camera_id in released),
                    },
                )
            session.commit()

    def retire(self) -> None:
        """This recorder stops: it takes no more cameras."""
        with self._sessions() as session:
            row = session.get(Recorder, self.name)
            if row is not None:
                row.stopped_at = self._clock.now()
            session.commit()


def _state(lease: CameraLease) -> LeaseState:
    return LeaseState(lease.holder, lease.expires_at)


def held_by(session: Session, holder: str) -> dict[int, int]:
    """The cameras `holder` holds the lease of, with their epochs."""
    return dict(
        session.execute(
            sa.select(CameraLease.camera_id, CameraLease.epoch).where(CameraLease.holder == holder)
        ).all()
    )
