"""Retention checks shared by its tests."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.recording.models import DataKey, Segment
from custos.runtime import Runtime
from custos.storage.blobs import MemoryBlobStore


def check_consistent(db: Session, runtime: Runtime) -> dict[str, int]:
    """The end state the sweeper promises; returns counts of erased and live segments."""
    blobs = runtime.blobs
    assert isinstance(blobs, MemoryBlobStore)
    assert db.scalar(sa.text("SELECT count(*) FROM erasure_intents")) == 0
    keys = set(db.scalars(sa.select(DataKey.id)))
    erased = live = 0
    for segment in db.scalars(sa.select(Segment)):
        if segment.erased_at is not None:
            erased += 1
            assert segment.key_id is None, segment.id
            assert segment.id not in keys, segment.id
            assert segment.blob_key not in blobs.blobs, segment.id
            assert segment.expires_at is None
        else:
            live += 1
            assert segment.key_id in keys, segment.id
            assert segment.blob_key in blobs.blobs, segment.id
    return {"erased": erased, "live": live}
