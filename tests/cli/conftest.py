"""Fixtures of the command-line tests: a fresh data folder on each kind of database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def data_dir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh data folder, and with PostgreSQL a fresh database too."""
    data = tmp_path / "data"
    monkeypatch.setenv("CUSTOS_DATA_DIR", str(data))
    if request.param == "sqlite":
        yield data
        return
    name = f"custos_cli_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("CUSTOS_DATABASE_URL", create_postgres_database(name))
    yield data
    drop_postgres_database(name)
