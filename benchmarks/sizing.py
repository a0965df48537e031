"""What the database holds per recorded segment, measured on PostgreSQL.

Stores N segments of M cameras through the real writer (sealed, indexed, keyed, audited: each
blob is a few bytes, since the blob store is not what is measured), then reads PostgreSQL's own
sizes of the tables and their indexes. Prints one JSON line: bytes per segment in the index
(segments and data_keys), audit entries per segment and bytes per entry (entries and Merkle
nodes), so docs/sizing.md can scale them to a camera network.

    .venv/bin/python benchmarks/sizing.py --segments 20000 --cameras 20
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from custos.clock import FrozenClock  # noqa: E402
from custos.config import Settings  # noqa: E402
from custos.db import create_engine, migrate, session_factory  # noqa: E402
from custos.profile import load_profile  # noqa: E402
from custos.recording.media import SegmentFile  # noqa: E402
from custos.recording.service import CameraFeed, SegmentWriter  # noqa: E402
from custos.retention.pressure import ExhaustionGate  # noqa: E402
from custos.retention.service import SegmentPlanner  # noqa: E402
from custos.retention.sweeper import Sweeper  # noqa: E402
from custos.runtime import Runtime  # noqa: E402
from custos.storage.blobs import MemoryBlobStore  # noqa: E402
from custos.storage.crypto import Sealer  # noqa: E402
from helpers import (  # noqa: E402
    CHEAP_PASSWORDS,
    create_postgres_database,
    drop_postgres_database,
    register_camera,
    standing_assessment,
)

INDEX_TABLES = ("segments", "data_keys")
AUDIT_TABLES = ("audit_entries", "audit_nodes")


def table_bytes(session: Session, table: str) -> int:
    """The table with its indexes and TOAST, as PostgreSQL counts it."""
    return int(session.scalar(sa.text("SELECT pg_total_relation_size(:t)"), {"t": table}) or 0)


def vacuum(engine: sa.Engine) -> None:
    """VACUUM ANALYZE, so the sizes read are those of the rows kept."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segments", type=int, default=20000)
    parser.add_argument("--cameras", type=int, default=20)
    parser.add_argument("--segment-seconds", type=float, default=10.0)
    args = parser.parse_args()

    name = f"custos_sizing_{os.getpid()}"
    engine = create_engine(create_postgres_database(name))
    try:
        migrate(engine)
        with Session(engine) as session:
            standing_assessment(session)
        sessions = session_factory(engine)
        start = datetime(2026, 12, 1, tzinfo=UTC)
        clock = FrozenClock(start)
        runtime = Runtime(
            settings=Settings(data_dir=Path("/nonexistent")),
            sessions=sessions,
            blobs=MemoryBlobStore(),
            sealer=Sealer(os.urandom(32)),
            log_key=os.urandom(32),
            policy=load_profile("kz-nvms"),
            clock=clock,
            passwords=CHEAP_PASSWORDS,
        )
        feeds = []
        for number in range(args.cameras):
            camera = f"cam{number:05d}"
            camera_id = register_camera(
                runtime, camera, f"rtsp://10.0.{number // 250}.{number % 250}/live"
            )
            feeds.append(CameraFeed(camera_id, camera, "rtsp://camera/live", False, 10))
        with sessions() as session:
            before = {t: table_bytes(session, t) for t in (*INDEX_TABLES, *AUDIT_TABLES)}
            entries_before = session.scalar(sa.text("SELECT count(*) FROM audit_entries"))
        writer = SegmentWriter(
            sessions,
            clock,
            runtime.sealer,
            runtime.blobs,
            SegmentPlanner(runtime.rules),
            ExhaustionGate(),
        )
        data = memoryview(b"\0" * 64)
        began = time.monotonic()
        per_camera = args.segments // args.cameras
        for index in range(per_camera):
            at = start + timedelta(seconds=index * args.segment_seconds)
            clock.set(at)
            for feed in feeds:
                segment = SegmentFile(
                    data, 0.0, args.segment_seconds, 250, "h264", 1920, 1080, False
                )
                writer.store(feed, segment, at)
        # The recorders name them in the log as their 10-minute periods close.
        for feed in feeds:
            writer.collect(feed, clock.now() + timedelta(days=1))
        elapsed = time.monotonic() - began
        stored = per_camera * len(feeds)
        vacuum(engine)
        with sessions() as session:
            after = {t: table_bytes(session, t) for t in before}
            entries = int(session.scalar(sa.text("SELECT count(*) FROM audit_entries")) or 0)
        # Thirty-one days on, the sweeper erases them all: keys deleted, rows kept as proof.
        clock.set(clock.now() + timedelta(days=31))
        Sweeper(sessions, clock, runtime.blobs, runtime.rules).run()
        vacuum(engine)
        with sessions() as session:
            erased = {t: table_bytes(session, t) for t in before}
            erasures = int(session.scalar(sa.text("SELECT count(*) FROM audit_entries")) or 0)
        index_bytes = sum(after[t] - before[t] for t in INDEX_TABLES)
        audit_bytes = sum(after[t] - before[t] for t in AUDIT_TABLES)
        new_entries = entries - int(entries_before or 0)
        print(
            json.dumps(
                {
                    "benchmark": "sizing",
                    "database": "PostgreSQL "
                    + str(
                        engine.dialect.server_version_info[0]
                        if engine.dialect.server_version_info
                        else ""
                    ),
                    "segments": stored,
                    "cameras": len(feeds),
                    "index_bytes_per_segment": round(index_bytes / stored, 1),
                    "audit_entries_per_segment": round(new_entries / stored, 4),
                    "audit_bytes_per_entry": round(audit_bytes / max(new_entries, 1), 1),
                    "audit_bytes_per_segment": round(audit_bytes / stored, 1),
                    "segments_stored_per_s": round(stored / elapsed, 1),
                    "erasure_entries_per_segment": round((erasures - entries) / stored, 4),
                    "erasure_audit_bytes_per_segment": round(
                        sum(erased[t] - after[t] for t in AUDIT_TABLES) / stored, 1
                    ),
                    "tombstone_bytes_per_segment": round(
                        sum(erased[t] - before[t] for t in INDEX_TABLES) / stored, 1
                    ),
                    "tables": {t: after[t] - before[t] for t in after},
                }
            )
        )
    finally:
        engine.dispose()
        drop_postgres_database(name)


if __name__ == "__main__":
    main()
