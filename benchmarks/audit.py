"""Audit log speed on SQLite: durable appends, proofs at a million entries, full verification.

Builds a log in a fresh data folder (SQLite, WAL, synchronous=FULL): --single appends each in
its own committed transaction, then --entries appends in committed batches of --batch. At that
size it times inclusion proofs read from the database plus their verification, and a full
`verify_log` (every entry re-serialised and re-hashed, every node and checkpoint checked) and
the offline check of an exported bundle, both with --workers processes (one per core by
default, as `custos audit verify` runs).
Trillian (about 500 writes/s) and Tessera (about 10,000 writes/s on local NVMe) are published
figures quoted for comparison, not run here. Prints one JSON line.

    .venv/bin/python benchmarks/audit.py [--entries 1000000] [--batch 1000] [--single 2000]
                                         [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from custos.audit import checkpoint as checkpoints
from custos.audit import log, merkle
from custos.audit.log import NewEntry
from custos.audit.verify import export_bundle, verify_bundle, verify_log
from custos.config import Settings
from custos.setup import initialise, open_runtime

PUBLISHED = {"trillian_writes_per_s": 500, "tessera_writes_per_s": 10_000}


def entry(i: int) -> NewEntry:
    """A realistic entry: a sealed segment with its metadata."""
    return NewEntry(
        actor="recorder@cam-host-3",
        actor_role="system",
        action="collect",
        event="recording.segment_sealed",
        outcome="success",
        object_type="segment",
        object_id=f"{i:032x}",
        details={
            "camera": "plaza-north",
            "duration_s": 10.0,
            "bytes": 4_412_345 + i,
            "sha256": f"{i:064x}",
            "started_at": "2026-11-30T12:00:00+00:00",
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--proofs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="custos-audit-bench-") as folder:
        settings = Settings(data_dir=Path(folder))
        initialise(settings)
        runtime = open_runtime(settings)
        clock = runtime.clock
        with runtime.sessions() as session:
            started = time.perf_counter()
            for i in range(args.single):
                log.append(session, clock, [entry(i)])
                session.commit()
            single = args.single / (time.perf_counter() - started)

            started = time.perf_counter()
            done = 0
            while done < args.entries:
                count = min(args.batch, args.entries - done)
                log.append(session, clock, [entry(done + i) for i in range(count)])
                session.commit()
                done += count
            batched = args.entries / (time.perf_counter() - started)

            signer = checkpoints.log_signer(session, runtime.log_key)
            checkpoints.sign_checkpoint(session, clock, signer)
            size = log.size(session)
            root = log.root_at(session, size)
            picks = random.Random(7).sample(range(size), min(args.proofs, size))  # noqa: S311
            started = time.perf_counter()
            for index in picks:
                proof = log.inclusion(session, index, size)
                assert merkle.verify_inclusion(
                    index, size, log.leaf_at(session, index), proof, root
                )
            proof_ms = (time.perf_counter() - started) / len(picks) * 1000

            started = time.perf_counter()
            report = verify_log(session, signer.verifier, workers=args.workers)
            verify_rate = report.entries / (time.perf_counter() - started)
            assert report.ok, report.problem

            bundle = Path(folder) / "bundle"
            export_bundle(session, signer.verifier, bundle)
            started = time.perf_counter()
            offline = verify_bundle(bundle, workers=args.workers)
            bundle_rate = offline.entries / (time.perf_counter() - started)
            assert offline.ok, offline.problem
        runtime.close()
    print(
        json.dumps(
            {
                "benchmark": "audit",
                "entries": size,
                "appends_per_s_batched": round(batched),
                "appends_per_s_single": round(single),
                "proof_ms_at_1m": round(proof_ms, 3),
                "verify_entries_per_s": round(verify_rate),
                "verify_bundle_entries_per_s": round(bundle_rate),
                "workers": args.workers,
                "batch": args.batch,
                "published_anchors": PUBLISHED,
            }
        )
    )


if __name__ == "__main__":
    main()
