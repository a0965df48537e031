"""Alembic environment: runs on a connection handed in by `custos.db.migrate`, or on a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from custos.db import create_engine
from custos.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection if given, else the URL from alembic.ini or the settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from custos.config import load_settings

        url = load_settings().database
    engine = create_engine(url)
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Custos migrations run online only: use `custos init`.")
run_migrations_online()
