"""Retention fixtures: a frozen archive of sealed segments on a few cameras."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.recording.media import SegmentFile
from custos.recording.models import DataKey, Segment
from custos.recording.service import CameraFeed, SegmentWriter
from custos.runtime import Runtime
from custos.storage.blobs import MemoryBlobStore
from helpers import register_camera, segments_of


@pytest.fixture(scope="session")
def piece(clip: Path) -> SegmentFile:
    """One real 2-second segment to store many times over."""
    return segments_of(clip, 2)[0]


@pytest.fixture
def archive(runtime: Runtime, piece: SegmentFile) -> Callable[..., list[str]]:
    """Store `count` segments of a camera (registered on first use), `spacing` apart."""
    feeds: dict[str, CameraFeed] = {}
    writer = SegmentWriter(
        runtime.sessions, runtime.clock, runtime.sealer, runtime.blobs, runtime.rules
    )

    def _store(
        camera: str,
        start: datetime,
        count: int,
        region: str = "Almaty",
        spacing: timedelta = timedelta(seconds=10),
    ) -> list[str]:
        if camera not in feeds:
            camera_id = register_camera(
                runtime, camera, f"rtsp://{camera}.example/live", region=region
            )
            feeds[camera] = CameraFeed(camera_id, camera, "rtsp://x/y", False, 10, region)
        return [writer.store(feeds[camera], piece, start + i * spacing).id for i in range(count)]

    return _store


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
