"""Audit fixtures: a log with entries and a signer, and a way to tamper behind the log's back."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.audit.log import NewEntry
from custos.audit.note import NoteSigner
from custos.clock import FrozenClock
from custos.runtime import Runtime


@pytest.fixture
def signer(db: Session, runtime: Runtime) -> NoteSigner:
    """The log's signer, as `custos serve` builds it."""
    return checkpoints.log_signer(db, runtime.log_key)


@pytest.fixture
def filled(db: Session, clock: FrozenClock) -> int:
    """Append 25 entries; returns the log size."""
    log.append(
        db,
        clock,
        [
            NewEntry(
                actor=f"user{i % 3}",
                action="configure",
                event=f"test.{i}",
                outcome="success",
                object_type="camera",
                object_id=f"cam-{i}",
                details={"i": i},
            )
            for i in range(25)
        ],
    )
    db.commit()
    return log.size(db)


@pytest.fixture
def tamper(db: Session) -> Callable[[str], None]:
    """Run SQL with the append-only triggers out of the way, as anyone with the database could."""
    sqlite = db.get_bind().dialect.name == "sqlite"
    tables = ("audit_entries", "audit_nodes", "audit_checkpoints")
    if sqlite:
        for table in tables:
            for verb in ("update", "delete"):
                db.execute(sa.text(f"DROP TRIGGER {table}_no_{verb}"))
    else:
        for table in tables:
            db.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))

    def _run(statement: str) -> None:
        db.execute(sa.text(statement))
        db.commit()

    return _run


@pytest.fixture
def random_key() -> bytes:
    return os.urandom(32)
