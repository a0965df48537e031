"""Ingest speed: Custos's recorder and sealer against bare `ffmpeg -c copy -f segment`, same file.

Makes a 1080p H.264 file of --minutes (a generated clip looped by stream copy), then, --repeat
times and alternating, (a) cuts it into 10 s segments with ffmpeg, and (b) records it at full
speed through the real recorder: segmenting in memory, sealing every segment under a fresh
AES-256-GCM key, writing the blob, and indexing it with its audit entry in SQLite. CPU times are
user + system; Custos's is measured around the recording itself, after start-up and imports.
Prints one JSON line: medians (and the best run of each, the least disturbed by the machine).

    .venv/bin/python benchmarks/ingest.py [--minutes 10] [--repeat 3] [--segment-seconds 10]
        [--work /tmp/custos-bench]

--segment-seconds sets both sides' segment length: comparing lengths shows what each segment
costs apart from its bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import av
from recorders import approve_assessment

from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.config import Settings
from custos.context import Call, Principal
from custos.permissions import Role
from custos.recording.media import make_clip
from custos.recording.recorder import CameraRecorder
from custos.recording.service import SegmentWriter, active_feeds
from custos.retention.pressure import RECORDER_GATE_SECONDS, ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.setup import initialise, open_runtime


def make_input(work: Path, minutes: float) -> Path:
    """A 1080p30 H.264 file of `minutes`, about 4 Mbit/s, keyframe every 2 s (made once)."""
    target = work / f"input-1080p-{minutes:g}min.mp4"
    if target.exists():
        return target
    clip = work / "clip-1080p-20s.mp4"
    if not clip.exists():
        make_clip(clip, 20, fps=30, width=1920, height=1080, bit_rate=4_000_000, gop=60)
    loops = max(1, round(minutes * 60 / 20))
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-stream_loop",
            str(loops - 1),
            "-i",
            str(clip),
            "-c",
            "copy",
            str(target),
        ],
        check=True,
    )
    return target


def settle(source: Path) -> None:
    """Give each measured run the same start: dirty pages written, caches dropped, input cached.

    On virtual machines that hand freed memory back to the host, whichever run happens to get
    fresh pages pays for faulting them in; without this the figures swing by a factor of two.
    """
    os.sync()
    with contextlib.suppress(OSError):  # not root: the caches stay as they are
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    with source.open("rb") as handle:
        while handle.read(1 << 22):
            pass


def ffmpeg_cpu(source: Path, out: Path, segment_seconds: int = 10) -> float:
    """CPU seconds of ffmpeg cutting `source` into 10 s segments by stream copy."""
    out.mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(source),
            "-c",
            "copy",
            "-f",
            "segment",
            "-segment_time",
            str(segment_seconds),
            "-reset_timestamps",
            "1",
            str(out / "%04d.mp4"),
        ],
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def custos_cpu(
    source: Path, data: Path, segment_seconds: int = 10
) -> tuple[float, float, int, int]:
    """User and system CPU seconds of recording `source` once: recorder, sealer, blobs, index."""
    settings = Settings(data_dir=data)
    initialise(settings)
    runtime = open_runtime(settings)
    actor = Principal(0, "bench", Role.ADMIN, "cli").actor()
    with runtime.sessions() as session:
        approve_assessment(session, runtime)
        cameras.register_camera(
            Call(session, runtime.clock, actor, runtime.policy.profile),
            CameraCreate.model_validate(
                {
                    "name": "bench",
                    "source_url": str(source),
                    "category": "other",
                    "region": "bench",
                    "segment_seconds": segment_seconds,
                }
            ),
        )
        [feed] = active_feeds(session)
    writer = SegmentWriter(
        runtime.sessions,
        runtime.clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(keep_for=RECORDER_GATE_SECONDS),  # as `custos record` has it
    )
    recorder = CameraRecorder(
        feed, writer, runtime.clock, threading.Event(), realtime_files=False, loop_files=False
    )
    before = resource.getrusage(resource.RUSAGE_SELF)
    recorder.run()
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    stored = sum(p.stat().st_size for p in (data / "blobs").rglob("*") if p.is_file())
    runtime.close()
    return user, system, recorder.segments_stored, stored


def beside_ffmpeg(
    benchmark: str,
    description: str,
    variants: Mapping[str, Callable[[Path, Path], float]],
    default_repeat: int,
) -> None:
    """Run each of `variants` (source, out folder -> CPU s) and ffmpeg, --repeat times in
    turn, each after `settle`, on the input of --minutes; print one JSON line of medians."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=default_repeat)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "custos-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    source = make_input(args.work, args.minutes)
    samples: dict[str, list[float]] = {name: [] for name in ("ffmpeg", *variants)}
    for attempt in range(args.repeat):
        run = args.work / f"{benchmark}-{os.getpid()}-{attempt}"
        settle(source)
        samples["ffmpeg"].append(ffmpeg_cpu(source, run / "ffmpeg"))
        for name, measure in variants.items():
            settle(source)
            samples[name].append(measure(source, run / name))
        shutil.rmtree(run)
    medians = {name: round(statistics.median(values), 3) for name, values in samples.items()}
    print(
        json.dumps(
            {
                "benchmark": benchmark,
                "cpu_s_median": medians,
                "ratio_to_ffmpeg": {
                    k: round(v / medians["ffmpeg"], 2) for k, v in medians.items() if k != "ffmpeg"
                },
                "runs": {k: [round(x, 3) for x in v] for k, v in samples.items()},
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--segment-seconds", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "custos-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    source = make_input(args.work, args.minutes)
    with av.open(str(source)) as container:
        duration = float(container.duration or 0) / av.time_base
        video = container.streams.video[0]
        width, height = video.codec_context.width, video.codec_context.height
    ffmpeg_runs: list[float] = []
    custos_runs: list[float] = []
    custos_user: list[float] = []
    for attempt in range(args.repeat):
        run = args.work / f"run-{os.getpid()}-{attempt}"
        settle(source)
        ffmpeg_runs.append(ffmpeg_cpu(source, run / "ffmpeg", args.segment_seconds))
        settle(source)
        user, system, segments, stored_bytes = custos_cpu(
            source, run / "custos", args.segment_seconds
        )
        custos_runs.append(user + system)
        custos_user.append(user)
        shutil.rmtree(run)
    size = source.stat().st_size
    ours, anchor = statistics.median(custos_runs), statistics.median(ffmpeg_runs)
    best_ours, best_anchor = min(custos_runs), min(ffmpeg_runs)
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "input": f"{width}x{height} H.264, {duration:.0f} s, {size / 1e6:.0f} MB, "
                f"{size * 8 / duration / 1e6:.2f} Mbit/s",
                "custos_cpu_s": round(ours, 3),
                "ffmpeg_cpu_s": round(anchor, 3),
                "ratio": round(ours / anchor, 2),
                "stream_seconds_per_cpu_second": round(duration / ours, 1),
                "custos_user_s": round(statistics.median(custos_user), 3),
                "best_custos_cpu_s": round(best_ours, 3),
                "best_ffmpeg_cpu_s": round(best_anchor, 3),
                "best_ratio": round(best_ours / best_anchor, 2),
                "segment_seconds": args.segment_seconds,
                "segments": segments,
                "sealed_bytes": stored_bytes,
                "custos_runs": [round(x, 3) for x in custos_runs],
                "ffmpeg_runs": [round(x, 3) for x in ffmpeg_runs],
            }
        )
    )


if __name__ == "__main__":
    main()
