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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest import beside_ffmpeg, custos_cpu

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


def recorder_cpu(variant: str) -> Callable[[Path, Path], float]:
    """CPU seconds of recording the source through the recorder with `variant`'s parts off."""

    def measure(source: Path, out: Path) -> float:
        with switched_off(variant):
            user, system, _, _ = custos_cpu(source, out)
        return user + system

    return measure


def main() -> None:
    beside_ffmpeg(
        "ingest_parts",
        __doc__.split("\n")[0],
        {variant: recorder_cpu(variant) for variant in VARIANTS},
        default_repeat=4,
    )


if __name__ == "__main__":
    main()
