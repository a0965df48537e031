"""How many live cameras one recorder process keeps up with: `custos record` against bare
`ffmpeg -c copy -f segment`, on the same N loopback RTSP streams.

GStreamer's RTSP server sends N cameras (720p, 25 fps, 2 Mbit/s H.264, a keyframe a second)
from one file, without encoding them again, so that what is measured is the recorder's work.
For N stepped up (1, 2, 4, ...), one `custos record` process records all N for --seconds into a
fresh data folder (SQLite, blobs in files), then N ffmpeg processes cut the same streams into
10 s segments for as long. A camera falls behind when less than --keep (0.9) of its time was
stored. CPU is the processes' user + system time; the figure per camera is the slope between
the fewest and the most cameras kept up with (a recorder's start-up is paid once). Prints one
JSON line.

    .venv/bin/python benchmarks/recorders.py [--seconds 60] [--most 16] [--work /tmp/custos-rec]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.config import Settings
from custos.context import Actor, Call
from custos.dpia import service as dpia
from custos.dpia.policy import Content
from custos.permissions import Role
from custos.runtime import Runtime
from custos.setup import initialise, open_runtime

ROOT = Path(__file__).resolve().parents[1]
CAMERA = ROOT / "tests" / "support" / "rtsp_camera.py"
CUSTOS = ROOT / ".venv" / "bin" / "custos"
VIDEO = ROOT.parent / "shared" / "testdata" / "video" / "gen1_test_video.mp4"
SEGMENT_SECONDS = 10


def make_clip(target: Path, seconds: float, height: int = 720, bitrate: int = 2) -> None:
    """The stream a camera sends: 16:9 at `height`, 25 fps, `bitrate` Mbit/s, no B-frames, a
    keyframe a second."""
    if target.exists():
        return
    width = height * 16 // 9
    scale = f"scale=-2:{height},pad={width}:{height}:(ow-iw)/2:0,fps=25"
    command = ["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(VIDEO)]
    command += ["-t", f"{seconds:g}", "-an", "-vf", scale]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-b:v", f"{bitrate}M"]
    command += ["-maxrate", f"{bitrate}M", "-bufsize", f"{2 * bitrate}M", "-g", "25"]
    command += ["-keyint_min", "25"]
    command += ["-sc_threshold", "0", "-pix_fmt", "yuv420p", str(target)]
    subprocess.run(command, check=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rtsp_cameras(clip: Path, count: int) -> tuple[subprocess.Popen[str], list[str]]:
    """The RTSP server sending `count` cameras, and their URLs, once it listens."""
    port = free_port()
    command = ["/usr/bin/python3", str(CAMERA), str(port), "--file", str(clip)]
    command += ["--mounts", str(count), "--transport", "tcp"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    if not server.stdout.readline().startswith("ready"):
        server.kill()
        raise RuntimeError("the RTSP server did not start")
    return server, [f"rtsp://127.0.0.1:{port}/cam{n}" for n in range(1, count + 1)]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def approve_assessment(session: Session, runtime: Runtime) -> None:
    """An impact assessment of every camera, drafted and approved by two DPOs: the gate lets
    a benchmark's cameras record."""
    now, profile = runtime.clock.now(), runtime.policy.profile
    said = "Loopback cameras of a benchmark: a recorded clip, no one is filmed."
    content = Content(
        title="Benchmark", description=said, purposes=said, necessity=said, risks=said,
        vulnerable_groups=said, measures=said, consultation=(), dpo_opinion=said,
        scope=("all",), analytics=(), review_by=now + timedelta(days=30),
        public_summary=said,
    )  # fmt: skip
    author = Call(session, runtime.clock, Actor("bench-dpo-a", Role.DPO.value), profile)
    version = dpia.draft(author, content, None)
    approver = Call(session, runtime.clock, Actor("bench-dpo-b", Role.DPO.value), profile)
    dpia.approve(approver, dpia.reference_of(session, version), version.version)


def register(data: Path, urls: list[str]) -> None:
    """A data folder with the cameras, under an assessment two DPOs drafted and approved."""
    settings = Settings(data_dir=data)
    initialise(settings)
    runtime = open_runtime(settings)
    try:
        with runtime.sessions() as session:
            approve_assessment(session, runtime)
            profile = runtime.policy.profile
            admin = Call(session, runtime.clock, Actor("bench", Role.ADMIN.value), profile)
            for number, url in enumerate(urls, start=1):
                cameras.register_camera(
                    admin,
                    CameraCreate.model_validate(
                        {"name": f"cam{number}", "source_url": url, "category": "other",
                         "region": "bench", "segment_seconds": SEGMENT_SECONDS}
                    ),
                )  # fmt: skip
    finally:
        runtime.close()


def custos(urls: list[str], seconds: float, data: Path) -> tuple[float, list[float]]:
    """CPU seconds of one `custos record` of every camera, and each camera's stored seconds."""
    env = {**os.environ, "CUSTOS_DATA_DIR": str(data)}
    run = [str(CUSTOS)]
    register(data, urls)
    before = children_cpu()
    subprocess.run(
        [*run, "record", "--for", f"{seconds:g}"], env=env, check=True, capture_output=True
    )
    cpu = children_cpu() - before
    listed = subprocess.run(
        [*run, "segments", "list", "--json"], env=env, check=True, capture_output=True, text=True
    ).stdout
    stored = {f"cam{n}": 0.0 for n in range(1, len(urls) + 1)}
    for segment in json.loads(listed):
        stored[segment["camera"]] += float(segment["duration_s"])
    return cpu, list(stored.values())


def ffmpeg(urls: list[str], seconds: float, out: Path) -> float:
    """CPU seconds of N bare ffmpeg processes cutting the same streams into segments."""
    before = children_cpu()
    processes = []
    for number, url in enumerate(urls, start=1):
        folder = out / f"cam{number}"
        folder.mkdir(parents=True)
        command = ["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-t"]
        command += [f"{seconds:g}", "-c", "copy", "-f", "segment", "-segment_time"]
        command += [str(SEGMENT_SECONDS), "-reset_timestamps", "1", str(folder / "%04d.mp4")]
        processes.append(subprocess.Popen(command))
    for process in processes:
        process.wait()
    return children_cpu() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--most", type=int, default=16, help="the most cameras to try")
    parser.add_argument("--keep", type=float, default=0.9, help="stored share not to fall behind")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "custos-rec")
    parser.add_argument("--height", type=int, default=720, help="picture height (16:9)")
    parser.add_argument("--bitrate", type=int, default=2, help="Mbit/s")
    args = parser.parse_args()
    if not CUSTOS.exists():
        sys.exit(f"{CUSTOS} is missing: run `make` first")
    args.work.mkdir(parents=True, exist_ok=True)
    clip = args.work / f"camera-{args.height}p-{args.bitrate}M-{args.seconds + 30:g}s.mp4"
    make_clip(clip, args.seconds + 30, args.height, args.bitrate)
    steps = []
    count = 1
    while count <= args.most:
        run = args.work / f"run-{os.getpid()}-{count}"
        server, urls = rtsp_cameras(clip, count)
        try:
            ours, stored = custos(urls, args.seconds, run / "custos")
        finally:
            server.terminate()
            server.wait(10)
        server, urls = rtsp_cameras(clip, count)
        try:
            anchor = ffmpeg(urls, args.seconds, run / "ffmpeg")
        finally:
            server.terminate()
            server.wait(10)
        shutil.rmtree(run)
        behind = sum(1 for s in stored if s < args.keep * args.seconds)
        steps.append(
            {
                "cameras": count,
                "custos_cpu_s": round(ours, 2),
                "ffmpeg_cpu_s": round(anchor, 2),
                "custos_cpu_per_camera": round(ours / count / args.seconds, 4),
                "ffmpeg_cpu_per_camera": round(anchor / count / args.seconds, 4),
                "least_stored_s": round(min(stored), 1),
                "behind": behind,
            }
        )
        if behind:
            break
        count *= 2
    kept_up = [s for s in steps if not s["behind"]]
    last = kept_up[-1] if kept_up else steps[0]
    # What one more camera costs a running recorder: start-up (imports, the first
    # connection) is paid once, so the figure is the slope between the fewest and the most.
    first = steps[0]
    more = last["cameras"] - first["cameras"]
    marginal = (
        (last["custos_cpu_s"] - first["custos_cpu_s"]) / more / args.seconds
        if more
        else last["custos_cpu_per_camera"]
    )
    anchor_marginal = (
        (last["ffmpeg_cpu_s"] - first["ffmpeg_cpu_s"]) / more / args.seconds
        if more
        else last["ffmpeg_cpu_per_camera"]
    )
    print(
        json.dumps(
            {
                "benchmark": "recorders",
                "stream": f"{args.height * 16 // 9}x{args.height} H.264, 25 fps, "
                f"{args.bitrate} Mbit/s, RTSP over TCP on loopback",
                "seconds": args.seconds,
                "cameras_kept_up": last["cameras"] if kept_up else 0,
                "cpu_per_camera": round(marginal, 4),
                "cameras_per_core": round(1 / marginal, 1),
                "ffmpeg_cpu_per_camera": round(anchor_marginal, 4),
                "ratio": round(marginal / anchor_marginal, 2),
                "steps": steps,
                "cpu_count": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
