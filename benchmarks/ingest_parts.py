"""What storing costs inside the recorder: benchmarks/ingest.py's run with parts switched off.

Records the same file as benchmarks/ingest.py through the real recorder four ways, in turn:
whole; without writing blobs; without the index transactions (and collection); with neither.
The parts are switched off by replacing `SegmentWriter.put_blob`, `index` and `collect` with
no-ops for the run, so every other step (demux, cut, seal, spool hand-over) stays as it is.
ffmpeg's `-c copy -f segment` runs beside them as the anchor. Medians of --repeat runs, each
after `settle`; prints one JSON line.

    .venv/bin/python benchmarks/ingest_parts.py [--minutes 10] [--repeat 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest import custos_cpu, ffmpeg_cpu, make_input, settle

from custos.recording.service import SegmentWriter

VARIANTS = ("whole", "without_blobs", "without_index", "without_either")


@contextmanager
def switched_off(variant: str) -> Iterator[None]:
    """Replace the parts `variant` leaves out with no-ops while the block runs."""
    saved = {name: getattr(SegmentWriter, name) for name in ("put_blob", "index", "collect")}
    off: dict[str, object] = {}
    if variant in ("without_blobs", "without_either"):
        off["put_blob"] = lambda self, pending: None
    if variant in ("without_index", "without_either"):
        off["index"] = lambda self, pending, again=False: None
        off["collect"] = lambda self, feed, before: 0
    for name, replacement in off.items():
        setattr(SegmentWriter, name, replacement)
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(SegmentWriter, name, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "custos-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    source = make_input(args.work, args.minutes)
    samples: dict[str, list[float]] = {name: [] for name in ("ffmpeg", *VARIANTS)}
    for attempt in range(args.repeat):
        run = args.work / f"parts-{os.getpid()}-{attempt}"
        settle(source)
        samples["ffmpeg"].append(ffmpeg_cpu(source, run / "ffmpeg"))
        for variant in VARIANTS:
            settle(source)
            with switched_off(variant):
                user, system, _, _ = custos_cpu(source, run / variant)
            samples[variant].append(user + system)
        shutil.rmtree(run)
    medians = {name: round(statistics.median(values), 3) for name, values in samples.items()}
    print(
        json.dumps(
            {
                "benchmark": "ingest_parts",
                "cpu_s_median": medians,
                "ratio_to_ffmpeg": {
                    k: round(v / medians["ffmpeg"], 2) for k, v in medians.items() if k != "ffmpeg"
                },
                "runs": {k: [round(x, 3) for x in v] for k, v in samples.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
