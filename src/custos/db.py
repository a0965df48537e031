"""Database: engine and session factory, SQLite pragmas, naming convention, migrations.

SQLite (WAL) is the embedded default; PostgreSQL (psycopg 3) is the server choice. The same
models and the same Alembic migrations serve both.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from custos.errors import NotFound, NotInitialised, StorageError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned timezone-aware, identically on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC without the zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass a timezone-aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what was stored."""
        return None if value is None else value.replace(tzinfo=UTC)


def string_enum(enum: type[StrEnum], name: str, length: int) -> sa.Enum:
    """An enum column stored as its string values, with a CHECK constraint on every backend."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        length=length,
        create_constraint=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


def create_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, secure delete and real transactions."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, **kwargs)


def create_private_file(path: Path) -> None:
    """Create `path` empty and readable by its owner only (0600), unless it exists already.

    SQLite gives the `-wal` and `-shm` files it makes beside a database the database file's own
    mode, so a database created this way keeps all three to its owner, whatever the umask.
    """
    if not path.parent.is_dir():
        return  # SQLite's own error says that the folder is missing
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def sqlite_path(url: sa.URL) -> Path | None:
    """The file an SQLite URL names, or None for a database in memory."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database)


def _configure_sqlite(engine: Engine) -> None:
    path = sqlite_path(engine.url)
    if path is not None:

        @event.listens_for(engine, "do_connect")
        def _create_private(*_: Any) -> None:
            create_private_file(path)  # before SQLite would create it with the umask's mode

    # pysqlite defers BEGIN until the first write and breaks SAVEPOINT; taking over the
    # transaction boundaries (the documented SQLAlchemy recipe) gives real transactions.
    # IMMEDIATE takes the write lock at the start: a transaction that reads and then writes
    # would otherwise fail at once (SQLITE_BUSY_SNAPSHOT) whenever another writer got in
    # between, instead of waiting its turn. Readers are not blocked (WAL).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: the index stays in memory
        cursor.close()

    # A reading session (`reading_sessions`) begins deferred: it holds no lock at all, and
    # WAL gives it a snapshot at its first read, so a long read never holds writers up.
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        reading = connection.get_execution_options().get(READING, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


READING = "custos_reading"
"""The execution option that marks a connection as only reading (see `reading_sessions`)."""


def reading_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for long reads (verifying the log, computing figures) that must not hold up
    writers: on SQLite they take no write lock. They are not meant to write."""
    return session_factory(engine.execution_options(**{READING: True}))


def session_factory(engine: Engine | Connection) -> sessionmaker[Session]:
    """A session factory whose sessions keep loaded objects usable after commit."""
    return sessionmaker(
        bind=engine, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("custos") / "migrations"))
    return config


def migrate(connectable: Engine | Connection) -> None:
    """Bring the schema up to the newest migration."""
    config = alembic_config()
    if isinstance(connectable, Engine):
        with connectable.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    else:
        config.attributes["connection"] = connectable
        command.upgrade(config, "head")


def require_current_schema(engine: Engine) -> None:
    """Raise NotInitialised unless the database is at the newest migration."""
    shown = engine.url.render_as_string(hide_password=True)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and not Path(database).exists():
        raise NotInitialised(f"there is no database at {database}; run `custos init` first")
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except sa.exc.OperationalError as error:
        raise StorageError(f"cannot open the database {shown}: {error.orig}") from None
    if current is None:
        raise NotInitialised("the database has no Custos schema; run `custos init` first")
    if current != head:
        raise NotInitialised(
            f"the database schema is at {current}, this version needs {head}; "
            "run `custos init` to migrate"
        )


_Row = TypeVar("_Row", bound=Base)


def by_reference(
    session: Session, model: type[_Row], reference: str, prefix: str, missing: str
) -> _Row:
    """The row of `model` a reference such as BR-7 names (its id after `prefix`); NotFound with
    the message `missing` when there is none."""
    number = reference.removeprefix(prefix)
    found = session.get(model, int(number)) if number.isdigit() else None
    if found is None:
        raise NotFound(missing)
    return found
