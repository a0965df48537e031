"""Where ingest CPU goes: each stage of the recording path added in turn, beside the ffmpeg anchor.

Same input as benchmarks/ingest.py. Stages: demux only; + cut into MP4 segments in memory;
+ AES-256-GCM and the digest (BLAKE3) of every byte; + store each blob in the folder store as
the recorder does (page-aligned memory written past the page cache, fsync, rename, fsync of the
folder). What the full recorder adds beyond the last stage is the index in the database and the
hand-over between its two threads. CPU is user + system, median of --repeat runs, each after
`settle`. Prints one JSON line.

    .venv/bin/python benchmarks/ingest_stages.py [--minutes 10] [--repeat 5]
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import av
from ingest import beside_ffmpeg

from custos.recording.media import Segmenter, SegmentFile
from custos.storage.blobs import FolderBlobStore
from custos.storage.crypto import SealBuffer, Sealer

STAGES = ("demux", "segment", "seal", "store")


def run_stage(source: Path, stage: int, out: Path) -> float:
    """CPU seconds of the recording path up to and including STAGES[stage]."""
    out.mkdir(parents=True)
    sealer, buffer, store = Sealer(os.urandom(32)), SealBuffer(), FolderBlobStore(out)
    written = 0

    def handle(segment: SegmentFile) -> None:
        nonlocal written
        if stage < 2:
            return
        sealed = sealer.seal(segment.data, b"custos-segment-v1", into=buffer)
        if stage < 3:
            return
        store.put(f"segments/{written:04d}", sealed.ciphertext)
        written += 1

    before = resource.getrusage(resource.RUSAGE_SELF)
    with av.open(str(source)) as container:
        video = container.streams.video[0]
        segmenter = Segmenter(video, None, 10) if stage >= 1 else None
        for packet in container.demux(video):
            if segmenter is not None:
                finished = segmenter.push(packet)
                if finished is not None:
                    handle(finished)
        if segmenter is not None:
            last = segmenter.flush()
            if last is not None:
                handle(last)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    beside_ffmpeg(
        "ingest_stages",
        __doc__.split("\n")[0],
        {
            name: lambda source, out, index=index: run_stage(source, index, out)
            for index, name in enumerate(STAGES)
        },
        default_repeat=5,
    )


if __name__ == "__main__":
    main()
