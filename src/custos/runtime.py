"""The long-lived parts built once from the settings and handed to the web app, the CLI and jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from custos.clock import Clock, SystemClock
from custos.config import Settings
from custos.db import create_engine, require_current_schema, session_factory
from custos.storage.blobs import BlobStore, open_blob_store
from custos.storage.crypto import Sealer
from custos.storage.keys import load_kek


@dataclass
class Runtime:
    """Settings plus the database, the blob store, the sealer and the clock services need."""

    settings: Settings
    sessions: sessionmaker[Session]
    blobs: BlobStore
    sealer: Sealer
    clock: Clock = field(default_factory=SystemClock)
    engine: Engine | None = None

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        """Connect to the configured database (which must be initialised) and blob store."""
        sealer = Sealer(load_kek(settings.kek_path))
        blobs = open_blob_store(settings)
        engine = create_engine(settings.database)
        try:
            require_current_schema(engine)
        except Exception:
            engine.dispose()
            raise
        return cls(
            settings=settings,
            sessions=session_factory(engine),
            blobs=blobs,
            sealer=sealer,
            clock=clock or SystemClock(),
            engine=engine,
        )

    def close(self) -> None:
        """Release database connections."""
        if self.engine is not None:
            self.engine.dispose()
