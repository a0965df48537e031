"""Audit entries: written with the action, append-only; no entry written means no action."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import log
from custos.audit import service as audit
from custos.audit.models import AuditEntry
from custos.audit.policy import Action, Outcome
from custos.cameras import service as cameras
from custos.cameras.models import Camera
from custos.cameras.policy import CameraCategory
from custos.cameras.schemas import CameraCreate
from custos.clock import FrozenClock
from custos.context import Context
from helpers import TESTER, audit_events, call_of


def _break_audit_writes(db: Session) -> None:
    """Make every audit insert fail in this test's transaction, as a broken log would."""
    if db.get_bind().dialect.name == "sqlite":
        db.execute(
            sa.text(
                "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
        )
    else:
        db.execute(
            sa.text(
                "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$"
            )
        )
        db.execute(
            sa.text(
                "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
                "FOR EACH ROW EXECUTE FUNCTION audit_down()"
            )
        )


def _camera(name: str) -> CameraCreate:
    return CameraCreate(
        name=name,
        source_url="rtsp://cam.example/stream",
        category=CameraCategory.PUBLIC_SAFETY,
        region="Almaty",
    )


def test_action_and_entry_are_written_together(db: Session, clock: FrozenClock) -> None:
    cameras.register_camera(call_of(db, clock), _camera("together"))
    [entry] = audit_events(db, event="camera.registered")
    assert (entry.actor, entry.action, entry.object_id, entry.outcome) == (
        "tester",
        "configure",
        "together",
        "success",
    )
    assert entry.at == clock.now()


def test_action_fails_when_its_audit_entry_cannot_be_written(
    db: Session, clock: FrozenClock
) -> None:
    _break_audit_writes(db)
    with pytest.raises(sa.exc.DBAPIError, match="audit log unavailable"):
        cameras.register_camera(call_of(db, clock), _camera("unaudited"))
    db.rollback()
    assert db.scalar(sa.select(Camera).where(Camera.name == "unaudited")) is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET actor = 'someone else'",
        "DELETE FROM audit_entries",
    ],
)
def test_database_refuses_to_rewrite_the_audit_log(
    db: Session, clock: FrozenClock, statement: str
) -> None:
    cameras.register_camera(call_of(db, clock), _camera("kept"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        db.execute(sa.text(statement))


def test_entries_are_numbered_in_order(db: Session, clock: FrozenClock) -> None:
    for name in ("one", "two", "three"):
        cameras.register_camera(call_of(db, clock), _camera(name))
    seqs = [e.seq for e in audit_events(db, event="camera.registered")]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) >= 3


def test_many_entries_are_recorded_in_one_append(
    db: Session, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    appends: list[int] = []
    real_append = log.append

    def counted(*args: Any) -> int:
        appends.append(len(args[2]))
        return real_append(*args)

    monkeypatch.setattr(log, "append", counted)
    context = Context(case_ref="CASE-4", legal_basis="CPC art. 199")
    first = audit.record_many(
        db,
        clock,
        TESTER,
        [
            audit.Entry(Action.ERASE, "test.erased", object_type="segment", object_id=i)
            for i in range(3)
        ]
        + [audit.Entry(Action.CONSULT, "test.read", outcome=Outcome.DENIED, context=context)],
    )
    assert appends == [4]
    entries = audit_events(db, actor=TESTER.name)
    assert [e.seq for e in entries] == [first, first + 1, first + 2, first + 3]
    assert [(e.action, e.event, e.object_id) for e in entries[:3]] == [
        ("erase", "test.erased", "0"),
        ("erase", "test.erased", "1"),
        ("erase", "test.erased", "2"),
    ]
    last = entries[3]
    assert (last.outcome, last.case_ref, last.legal_basis, last.details) == (
        "denied",
        "CASE-4",
        "CPC art. 199",
        {},
    )
    assert {e.at for e in entries} == {clock.now()}
