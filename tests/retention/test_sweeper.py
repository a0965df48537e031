"""The sweeper on a real database: day 31 on kz-nvms, crypto-shredding, crash at every step."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.errors import NotFound, StorageError, TamperDetected
from custos.recording import service as recording
from custos.recording.models import DataKey, Segment
from custos.retention import holds, incidents
from custos.retention.service import due
from custos.retention.sweeper import Sweeper
from custos.runtime import Runtime
from custos.storage.blobs import MemoryBlobStore, Space
from helpers import audit_events, call_of, named_segments
from retention.conftest import check_consistent

DAY = timedelta(days=1)


@pytest.fixture
def day_zero(
    runtime: Runtime, archive: Callable[..., list[str]], clock: FrozenClock
) -> dict[str, list[str]]:
    """Three cameras recorded at day 0: plain, one with an offence incident, one under a hold."""
    start = clock.now()
    made = {
        "plain": archive("plain", start, 6),
        "evidence": archive("evidence", start, 6),
        "held": archive("held", start, 6),
    }
    clock.advance(timedelta(minutes=30))
    with runtime.sessions() as session:
        incidents.mark(
            call_of(session, clock),
            cameras=["evidence"],
            start=start + timedelta(seconds=20),
            end=start + timedelta(seconds=25),
            description="assault",
            reference="report 7",
            justification="evidence",
            offence=True,
        )
        holds.place_hold(
            call_of(session, clock),
            case_ref="CASE-3",
            reason="trial",
            scopes=[holds.Scope("held", start, start + timedelta(minutes=5))],
        )
    return made


def test_day_31_everything_ordinary_is_gone_and_unreadable(
    runtime: Runtime, db: Session, clock: FrozenClock, day_zero: dict[str, list[str]]
) -> None:
    blobs = runtime.blobs
    assert isinstance(blobs, MemoryBlobStore)
    taken = {sid: blobs.blobs[db.get(Segment, sid).blob_key] for sid in day_zero["plain"]}  # type: ignore[union-attr]
    wrapped = {k.id: (k.wrapped_key, k.nonce) for k in db.scalars(sa.select(DataKey))}
    clock.advance(31 * DAY)
    result = Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules).run()
    assert result.erased == 6
    assert result.by_reason == {"default": 6}
    db.expire_all()
    for sid in day_zero["plain"]:
        segment = db.get(Segment, sid)
        assert segment is not None
        assert (segment.erased_at, segment.erasure_reason, segment.key_id) == (
            clock.now(),
            "default",
            None,
        )
        assert db.get(DataKey, sid) is None
    kept = [*day_zero["evidence"], *day_zero["held"]]
    assert all(db.get(Segment, sid).erased_at is None for sid in kept)  # type: ignore[union-attr]
    erasures = audit_events(db, event="retention.segments_erased")
    named = named_segments(db, "retention.segments_erased")
    assert sorted(segment["id"] for segment in named) == sorted(day_zero["plain"])
    assert len(erasures) < len(named)  # in batches, one per camera and reason
    assert {e.action for e in erasures} == {"erase"}
    assert {(e.actor, e.actor_role) for e in erasures} == {("retention-sweeper", "system")}
    assert all(e.details["reason"] == "default" for e in erasures)
    by_id = {sid: db.get(Segment, sid) for sid in day_zero["plain"]}
    assert all(s["ciphertext_digest"] == by_id[s["id"]].digest for s in named)  # type: ignore[union-attr]
    # A copy of a blob taken before the sweep opens with nothing the system still holds.
    remaining = list(db.scalars(sa.select(DataKey)))
    for sid, ciphertext in taken.items():
        segment = db.get(Segment, sid)
        assert segment is not None
        with pytest.raises(NotFound, match="has no key: it has been erased"):
            recording.open_segment(runtime.sealer, blobs, segment)
        for key in remaining:
            with pytest.raises(TamperDetected):
                runtime.sealer.open(
                    ciphertext,
                    key.wrapped_key,
                    key.nonce,
                    f"custos-segment-v1\x00{sid}\x00{segment.camera_id}".encode(),
                )
        assert sid in wrapped  # it had a key before, which is gone now
    assert check_consistent(db, runtime) == {"erased": 6, "live": 12}


def test_a_hold_placed_between_planning_and_shredding_wins(
    runtime: Runtime, db: Session, clock: FrozenClock, day_zero: dict[str, list[str]]
) -> None:
    clock.advance(31 * DAY)
    sweeper = Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules)
    with runtime.sessions() as session:
        items = due(session, runtime.rules, clock.now())
    sweeper.record_intents(items)
    start = db.get(Segment, day_zero["plain"][0]).started_at  # type: ignore[union-attr]
    with runtime.sessions() as session:
        holds.place_hold(
            call_of(session, clock),
            case_ref="CASE-9",
            reason="late request",
            scopes=[holds.Scope("plain", start, start + timedelta(minutes=5))],
        )
    result = sweeper.run()
    assert result.resumed == 6
    assert check_consistent(db, runtime) == {"erased": 0, "live": 18}


class FailingBlobs:
    """A blob store whose deletions fail, as a store that is down would."""

    def __init__(self, inner: MemoryBlobStore) -> None:
        self.inner = inner

    def put(self, key: str, data: bytes | memoryview) -> None:
        self.inner.put(key, data)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def delete(self, key: str) -> None:
        raise StorageError("store unreachable")

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        return self.inner.keys(prefix)

    def delete_many(self, keys: Iterable[str]) -> None:
        raise StorageError("store unreachable")

    def space(self) -> Space | None:
        return None


def _break_key_deletion(db: Session) -> None:
    if db.get_bind().dialect.name == "sqlite":
        db.execute(
            sa.text(
                "CREATE TRIGGER no_shred BEFORE DELETE ON data_keys "
                "BEGIN SELECT RAISE(ABORT, 'disk went away'); END"
            )
        )
    else:
        db.execute(
            sa.text(
                "CREATE FUNCTION no_shred() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'disk went away'; END $$"
            )
        )
        db.execute(
            sa.text(
                "CREATE TRIGGER no_shred BEFORE DELETE ON data_keys "
                "FOR EACH ROW EXECUTE FUNCTION no_shred()"
            )
        )
    db.commit()


def _heal_key_deletion(db: Session) -> None:
    db.execute(
        sa.text(
            "DROP TRIGGER no_shred"
            + ("" if db.get_bind().dialect.name == "sqlite" else " ON data_keys")
        )
    )
    db.commit()


@pytest.mark.parametrize("stop_after", ["intents", "shred", "blobs"])
def test_killed_between_steps_then_rerun(
    runtime: Runtime,
    db: Session,
    clock: FrozenClock,
    day_zero: dict[str, list[str]],
    stop_after: str,
) -> None:
    clock.advance(31 * DAY)
    sweeper = Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules)
    with runtime.sessions() as session:
        ids = [i.segment_id for i in due(session, runtime.rules, clock.now())]
        items = due(session, runtime.rules, clock.now())
    sweeper.record_intents(items)
    if stop_after in ("shred", "blobs"):
        sweeper.shred(ids)
    if stop_after == "blobs":
        sweeper.delete_blobs(ids[:3])  # killed half way through the deletions
    result = sweeper.run()
    assert result.resumed == 6
    assert check_consistent(db, runtime) == {"erased": 6, "live": 12}
    named = named_segments(db, "retention.segments_erased")
    assert len(named) == len({segment["id"] for segment in named}) == 6  # each erased once


def test_a_failing_key_deletion_changes_nothing_then_a_rerun_finishes(
    runtime: Runtime, db: Session, clock: FrozenClock, day_zero: dict[str, list[str]]
) -> None:
    clock.advance(31 * DAY)
    _break_key_deletion(db)
    with pytest.raises(sa.exc.DBAPIError, match="disk went away"):
        Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules).run()
    db.rollback()
    assert (
        db.scalar(
            sa.select(sa.func.count()).select_from(Segment).where(Segment.erased_at.is_not(None))
        )
        == 0
    )
    assert audit_events(db, event="retention.segments_erased") == []
    _heal_key_deletion(db)
    Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules).run()
    assert check_consistent(db, runtime) == {"erased": 6, "live": 12}


def test_a_failing_blob_store_leaves_keys_destroyed_then_a_rerun_finishes(
    runtime: Runtime, db: Session, clock: FrozenClock, day_zero: dict[str, list[str]]
) -> None:
    clock.advance(31 * DAY)
    blobs = runtime.blobs
    assert isinstance(blobs, MemoryBlobStore)
    with pytest.raises(StorageError):
        Sweeper(runtime.sessions, clock, FailingBlobs(blobs), runtime.rules).run()
    # The keys are gone already: the blobs left behind are noise until the rerun removes them.
    assert db.scalar(sa.select(sa.func.count()).select_from(DataKey)) == 12
    Sweeper(runtime.sessions, clock, blobs, runtime.rules).run()
    assert check_consistent(db, runtime) == {"erased": 6, "live": 12}


def test_sweeping_twice_erases_nothing_more(
    runtime: Runtime, db: Session, clock: FrozenClock, day_zero: dict[str, list[str]]
) -> None:
    clock.advance(31 * DAY)
    assert Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules).run().erased == 6
    assert Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules).run().erased == 0


def test_releasing_the_hold_returns_footage_to_its_plan(
    runtime: Runtime, db: Session, clock: FrozenClock, day_zero: dict[str, list[str]]
) -> None:
    clock.advance(31 * DAY)
    with runtime.sessions() as session:
        released = holds.release_holds_for_case(
            call_of(session, clock), "CASE-3", "suspicion refuted"
        )
        session.commit()  # the caller's change commits the releases with it
    assert len(released) == 1
    result = Sweeper(runtime.sessions, clock, runtime.blobs, runtime.rules).run()
    assert result.erased == 12  # plain and, now, the formerly held
    assert audit_events(db, event="hold.released")[0].case_ref == "CASE-3"
