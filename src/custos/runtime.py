"""The long-lived parts the web app, the CLI and jobs share; `setup.open_runtime` builds them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from custos.clock import Clock, SystemClock
from custos.config import Settings
from custos.db import reading_sessions
from custos.passwords import Passwords
from custos.profile import LoadedProfile, Rules
from custos.redaction.cache import DetectorCache
from custos.storage.blobs import BlobStore
from custos.storage.crypto import Sealer
from custos.taps import PacketTaps


@dataclass
class Runtime:
    """Settings plus the database, the blob store, the sealer and the clock services need."""

    settings: Settings
    sessions: sessionmaker[Session]
    blobs: BlobStore
    sealer: Sealer
    log_key: bytes
    policy: LoadedProfile
    clock: Clock = field(default_factory=SystemClock)
    engine: Engine | None = None
    detectors: DetectorCache = field(default_factory=DetectorCache)
    passwords: Passwords = field(default_factory=Passwords)
    # The recorders' camera connections, shared with live viewers in the same process.
    taps: PacketTaps = field(default_factory=PacketTaps)

    def reading(self) -> Session:
        """A session for a long read that holds no writer up (`db.reading_sessions`)."""
        return self.sessions() if self.engine is None else reading_sessions(self.engine)()

    @property
    def rules(self) -> Rules:
        """The retention rules of the loaded policy."""
        return self.policy.profile.retention_rules

    def close(self) -> None:
        """Release database connections."""
        if self.engine is not None:
            self.engine.dispose()
