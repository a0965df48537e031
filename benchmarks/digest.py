"""Digesting sealed segments: Custos's BLAKE3 digest against SHA-256 (OpenSSL, SHA-NI where the
CPU has it), on the same bytes.

Hashes --segments buffers of --megabytes each (random bytes standing for ciphertext, which is
indistinguishable from them), --repeat times in turn, and prints one JSON line: CPU seconds and
GB/s of each (medians), and the ratio.

    .venv/bin/python benchmarks/digest.py [--segments 60] [--megabytes 4.4] [--repeat 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time
from collections.abc import Callable

from custos.storage.digest import digest


def cpu_of(hash_one: Callable[[bytes], object], buffers: list[bytes]) -> float:
    """CPU seconds to hash every buffer once."""
    started = time.process_time()
    for buffer in buffers:
        hash_one(buffer)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segments", type=int, default=60)
    parser.add_argument("--megabytes", type=float, default=4.4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    size = int(args.megabytes * 1e6)
    # A few distinct buffers, used in turn, so the caches hold no more than a recorder's would.
    distinct = [os.urandom(size) for _ in range(4)]
    buffers = [distinct[i % len(distinct)] for i in range(args.segments)]
    runs: dict[str, list[float]] = {"sha256": [], "custos_blake3": []}
    for _ in range(args.repeat):
        runs["sha256"].append(cpu_of(lambda b: hashlib.sha256(b).hexdigest(), buffers))
        runs["custos_blake3"].append(cpu_of(digest, buffers))
    total = size * args.segments
    medians = {name: statistics.median(values) for name, values in runs.items()}
    print(
        json.dumps(
            {
                "benchmark": "digest",
                "bytes": total,
                "sha256_cpu_s": round(medians["sha256"], 4),
                "custos_cpu_s": round(medians["custos_blake3"], 4),
                "sha256_gb_per_s": round(total / medians["sha256"] / 1e9, 2),
                "custos_gb_per_s": round(total / medians["custos_blake3"] / 1e9, 2),
                "ratio": round(medians["custos_blake3"] / medians["sha256"], 2),
                "runs": {name: [round(v, 4) for v in values] for name, values in runs.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
