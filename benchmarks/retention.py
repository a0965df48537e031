"""Retention sweep speed: erasures per second, and whether cost follows what expires.

Builds an archive of --segments index rows, each with a wrapped key and a small blob file in
the local store, of which --expired are past their expiry; sweeps it with the real sweeper
(intent, key destruction with the tombstone and an erasure audit entry in one transaction,
blob deletion, intent cleared); then does the same with twice as many segments and the same
number expired. Prints one JSON line: `erasures_per_s` (first archive) and `scaling_ratio`
(sweep time at 2N over sweep time at N; 1.0 means the size of the archive costs nothing).

    .venv/bin/python benchmarks/retention.py [--segments 1000000] [--expired 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.config import Settings
from custos.context import Call, Principal
from custos.permissions import Role
from custos.recording.policy import blob_key
from custos.recording.policy import segment_id as new_segment_id
from custos.retention.sweeper import Sweeper
from custos.runtime import Runtime
from custos.setup import initialise, open_runtime

CAMERAS = 100
BLOB = os.urandom(64)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def build(folder: Path, total: int, expired: int) -> tuple[Runtime, float]:
    """An archive of `total` segments, the oldest `expired` of them due; returns setup seconds."""
    started = time.perf_counter()
    settings = Settings(data_dir=folder)
    initialise(settings)
    runtime = open_runtime(settings)
    actor = Principal(0, "bench", Role.ADMIN, "cli").actor()
    with runtime.sessions() as session:
        ids = [
            cameras.register_camera(
                Call(session, runtime.clock, actor, runtime.policy.profile),
                CameraCreate.model_validate(
                    {
                        "name": f"cam-{n}",
                        "source_url": f"rtsp://c{n}.example/live",
                        "category": "public_safety",
                        "region": "Almaty",
                    }
                ),
            ).id
            for n in range(CAMERAS)
        ]
        connection = session.connection()
        now = runtime.clock.now()
        due_by = now - timedelta(hours=1)
        keys, rows = [], []
        for n in range(total):
            camera = ids[n % CAMERAS]
            start = T0 + timedelta(seconds=10 * (n // CAMERAS))
            segment_id = new_segment_id(start, os.urandom(10))
            key = blob_key(camera, start, segment_id)
            path = runtime.settings.blob_location.path / key  # type: ignore[union-attr]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(BLOB)
            keys.append((segment_id, os.urandom(40), os.urandom(12), "bench", now))
            # Distinct expiries, as in life: the oldest `expired` are due, one millisecond apart.
            expires = (
                due_by - timedelta(milliseconds=expired - n)
                if n < expired
                else now + timedelta(days=30, milliseconds=n)
            )
            rows.append(
                (
                    segment_id,
                    camera,
                    start,
                    start + timedelta(seconds=10),
                    10.0,
                    300,
                    64,
                    "h264",
                    1920,
                    1080,
                    False,
                    "0" * 64,
                    key,
                    segment_id,
                    now,
                    "Almaty",
                    expires,
                    "default",
                    "",
                )
            )
            if len(rows) == 20_000 or n == total - 1:
                connection.exec_driver_sql(
                    "INSERT INTO data_keys (id, wrapped_key, nonce, kek_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [_sqlite(r) for r in keys],
                )
                connection.exec_driver_sql(
                    "INSERT INTO segments (id, camera_id, started_at, ended_at, duration_s, frames,"
                    " bytes, codec, width, height, has_audio, digest, blob_key, key_id, sealed_at,"
                    " region, expires_at, retention_reason, retention_detail) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_sqlite(r) for r in rows],
                )
                keys, rows = [], []
        session.commit()
    return runtime, time.perf_counter() - started


def _sqlite(row: tuple[object, ...]) -> tuple[object, ...]:
    """Times in the text form SQLAlchemy stores in SQLite."""
    return tuple(
        v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
        for v in row
    )


def sweep(runtime: Runtime) -> tuple[float, int]:
    """Seconds for one full sweep, and how many segments it erased."""
    sweeper = Sweeper(runtime.sessions, runtime.clock, runtime.blobs, runtime.rules, batch=1000)
    started = time.perf_counter()
    result = sweeper.run()
    return time.perf_counter() - started, result.erased


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segments", type=int, default=1_000_000)
    parser.add_argument("--expired", type=int, default=100_000)
    args = parser.parse_args()
    runs = []
    for total in (args.segments, 2 * args.segments):
        with tempfile.TemporaryDirectory(prefix="custos-retention-bench-") as folder:
            runtime, setup = build(Path(folder), total, args.expired)
            seconds, erased = sweep(runtime)
            runtime.close()
            assert erased == args.expired, (erased, args.expired)
            runs.append(
                {
                    "segments": total,
                    "expired": erased,
                    "sweep_s": round(seconds, 2),
                    "setup_s": round(setup, 1),
                }
            )
    print(
        json.dumps(
            {
                "benchmark": "retention",
                "erasures_per_s": round(args.expired / runs[0]["sweep_s"]),  # type: ignore[operator]
                "scaling_ratio": round(runs[1]["sweep_s"] / runs[0]["sweep_s"], 2),  # type: ignore[operator]
                "store": "local folder, SQLite (WAL, synchronous=FULL)",
                "runs": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
