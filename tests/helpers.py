"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import socket
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit.models import AuditEntry
from custos.audit.service import Actor

# The server the PostgreSQL half of the suite runs on; `make test` starts it if it is down.
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

CHROMIUM = "/usr/bin/chromium"

TESTER = Actor(name="tester", role="admin", client_address="127.0.0.1")


def bearer(token: str) -> dict[str, str]:
    """Headers that present API token `token`."""
    return {"Authorization": f"Bearer {token}"}


def audit_events(db: Session, **where: Any) -> list[AuditEntry]:
    """Audit entries in order, filtered by column values."""
    query = sa.select(AuditEntry).order_by(AuditEntry.seq)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list(db.scalars(query))


def create_postgres_database(name: str) -> str:
    """Create an empty PostgreSQL database (dropping any old one); returns its URL."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    """Drop a database made by create_postgres_database."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
