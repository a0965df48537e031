"""The database layer: migrations match the models, timestamps round-trip, schema checks."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from custos.db import (
    create_engine,
    migrate,
    reading_sessions,
    require_current_schema,
    session_factory,
)
from custos.errors import NotInitialised
from custos.permissions import Role
from custos.tables import metadata
from custos.users.models import User


def test_models_and_migrations_do_not_drift(connection: Connection) -> None:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = compare_metadata(context, metadata)
    assert differences == [], f"models and migrations differ: {differences}"


def test_drift_check_notices_a_missing_column(connection: Connection) -> None:
    # The drift check is only worth something if it fails when the schema lags the models.
    extended = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(extended)
    sa.Table("cameras", extended, sa.Column("pan_tilt_zoom", sa.Boolean()), extend_existing=True)
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert any(diff[0] == "add_column" for diff in compare_metadata(context, extended))


def _user(at: datetime) -> User:
    return User(
        name=f"u{at.microsecond}",
        display_name="",
        role=Role.AUDITOR,
        active=True,
        created_at=at,
        must_change_password=False,
    )


def test_timestamps_come_back_aware_and_equal(db: Session) -> None:
    almaty = timezone(timedelta(hours=5))
    at = datetime(2026, 1, 5, 17, 30, 12, 345678, tzinfo=almaty)
    user = _user(at)
    db.add(user)
    db.flush()
    db.expire_all()
    loaded = db.get(User, user.id)
    assert loaded is not None
    assert loaded.created_at == at
    assert loaded.created_at.tzinfo == UTC


def test_naive_timestamps_are_refused(db: Session) -> None:
    db.add(_user(datetime(2026, 1, 1)))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.flush()


def test_empty_database_is_reported_as_not_initialised(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(NotInitialised, match="run `custos init`"):
        require_current_schema(engine)
    migrate(engine)
    require_current_schema(engine)
    engine.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_secure_delete(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_sqlite_database_and_its_wal_files_are_the_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    with umask(0o022):  # the usual one: files 0644 unless made otherwise
        engine = create_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        engine.dispose()
    assert files == {"private.db": 0o600, "private.db-wal": 0o600, "private.db-shm": 0o600}


def test_an_existing_database_keeps_its_mode_and_a_missing_folder_stays_an_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    missing = create_engine(f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}")
    with pytest.raises(sa.exc.OperationalError), missing.connect():
        pass
    assert not (tmp_path / "nowhere").exists()


def test_sqlite_transactions_roll_back_savepoints(tmp_path: Path) -> None:
    # pysqlite alone would have auto-committed the first insert; the recipe in db.py must not.
    engine = create_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.commit()
        with connection.begin():
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
            nested = connection.begin_nested()
            connection.exec_driver_sql("INSERT INTO t VALUES (2)")
            nested.rollback()
        assert connection.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
    engine.dispose()


def test_a_reading_session_on_sqlite_holds_no_writer_up(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'custos.db'}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        with reading_sessions(engine)() as reader:
            assert reader.execute(sa.text("SELECT count(*) FROM t")).scalar() == 1
            with engine.connect() as writer:
                _impatient(writer)
                with writer.begin():
                    writer.exec_driver_sql("INSERT INTO t VALUES (2)")
            # the reader keeps the snapshot it began with
            assert reader.execute(sa.text("SELECT count(*) FROM t")).scalar() == 1
        with session_factory(engine)() as ordinary:
            ordinary.execute(sa.text("SELECT 1"))
            with engine.connect() as writer:
                _impatient(writer)
                with pytest.raises(sa.exc.OperationalError, match="locked"), writer.begin():
                    writer.exec_driver_sql("INSERT INTO t VALUES (3)")
    finally:
        engine.dispose()


def _impatient(connection: Connection) -> None:
    """Wait 0.1 s rather than 30 for a lock (set on the driver, outside any transaction)."""
    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.execute("PRAGMA busy_timeout=100")
