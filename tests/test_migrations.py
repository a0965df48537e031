"""Upgrading a database that already holds data: the audit log becomes verifiable as it stands."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from custos.audit import log
from custos.audit.note import NoteSigner
from custos.audit.verify import verify_log
from custos.db import alembic_config, create_engine, session_factory
from helpers import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    name = f"custos_migrate_{uuid.uuid4().hex[:10]}"
    engine = create_engine(create_postgres_database(name))
    yield engine
    engine.dispose()
    drop_postgres_database(name)


def _upgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_entries_written_before_the_merkle_log_are_sequenced_and_verify(blank: Engine) -> None:
    _upgrade(blank, "0002")
    with blank.begin() as connection:
        for seq, event in ((1, "user.created"), (2, "login"), (7, "camera.registered")):
            connection.execute(
                sa.text(
                    "INSERT INTO audit_entries (seq, at, actor, action, event, outcome, details)"
                    " VALUES (:seq, :at, 'admin', 'configure', :event, 'success', :details)"
                ),
                {
                    "seq": seq,
                    "at": f"2026-11-01 10:00:0{seq}.123456",
                    "event": event,
                    "details": json.dumps({"n": seq, "name": "Öskemen"}),
                },
            )
    _upgrade(blank, "head")
    with session_factory(blank)() as session:
        assert log.size(session) == 3
        seqs = session.execute(sa.text("SELECT seq, event FROM audit_entries ORDER BY seq")).all()
        assert [tuple(row) for row in seqs] == [
            (0, "user.created"),
            (1, "login"),
            (2, "camera.registered"),
        ]
        report = verify_log(session, NoteSigner(log.origin(session), bytes(32)).verifier)
        assert report.ok, report.problem
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            session.execute(sa.text("DELETE FROM audit_entries"))
