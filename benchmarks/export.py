"""Export: how long an evidence package of --minutes of 1280x720 footage takes to make from
prepared tracks, against bare ffmpeg re-encoding the same footage, and how long checking it
offline takes.

The 60 s clip of benchmarks/review.py (the shared face video, padded to 16:9) is cut into its
10 s segments and sealed again and again into a fresh data folder until --minutes of footage
lie on one camera's time line; a case, a request that seeks export and another person's
approval grant it, and the tracks of every segment are prepared first (not timed). Then:

- `export_s`: the export as `custos export create` makes it, from recording the disclosure to
  the sealed folder (render from prepared tracks, remux with the index first, C2PA signing,
  manifest, custody report, proofs, seal);
- `ffmpeg_s`: bare ffmpeg decoding the same footage (the decrypted segments, concatenated)
  and re-encoding it with the same x264 settings (`veryfast`, CRF 20) into a fast-start MP4;
- `ratio`: export_s / ffmpeg_s (target: at most 1.5);
- `verify_s`: `custos verify` on the package (every hash, the manifest signature, the
  checkpoint, the proofs and the video's content credentials).

Prints one JSON line.

    .venv/bin/python benchmarks/export.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from review import make_clip, segments_of

from custos.access import service as access
from custos.access.policy import Window
from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.cases import service as cases
from custos.config import Settings
from custos.context import Actor, Call
from custos.exports import making, service, verifier
from custos.exports.credentials import read_credentials
from custos.exports.policy import RecipientRole, Span
from custos.jobs import prepare_once
from custos.recording import service as recording
from custos.recording.media import SegmentFile
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.setup import initialise, open_runtime

X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]


def granted(
    runtime: Runtime, pieces: list[SegmentFile], minutes: int
) -> tuple[int, int, list[str]]:
    """Seal `minutes` of footage and grant it for export: (grant, window, segment ids)."""
    with runtime.sessions() as session:
        shell = Call(session, runtime.clock, Actor("admin"), runtime.policy.profile)
        camera = cameras.register_camera(
            shell,
            CameraCreate.model_validate(
                {
                    "name": "hall",
                    "source_url": "rtsp://hall.example/live",
                    "category": "public_safety",
                    "region": "Almaty",
                    "status": "draft",  # its footage is there; nothing records meanwhile
                }
            ),
        )
        feed = CameraFeed(camera.id, "hall", "rtsp://x/y", False, 10, "Almaty")
    writer = SegmentWriter(
        runtime.sessions,
        runtime.clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )
    filmed = runtime.clock.now().replace(microsecond=0) - timedelta(hours=2)
    at, stored = filmed, []
    for _ in range(minutes):
        for piece in pieces:
            stored.append(writer.store(feed, piece, at).id)
            at += timedelta(seconds=piece.duration)
    ivan, anna = Actor("ivan", "investigator"), Actor("anna", "approver")
    with runtime.sessions() as session:
        call = Call(session, runtime.clock, ivan, runtime.policy.profile)
        case = cases.open_case(call, "1/2026-2", "cpc-kz-199", "benchmark")
        cases.add_person(call, case.reference, "P1")
        request = access.file_request(
            call,
            case_id=case.id,
            windows=[Window("hall", filmed, at)],
            persons=["P1"],
            purpose="benchmark",
            justification="benchmark",
            identification=False,
            export=True,
        )
        approving = Call(session, runtime.clock, anna, runtime.policy.profile)
        grant = access.approve(approving, request.id)
        return grant.id, grant.windows[0].id, stored


def bare_ffmpeg(runtime: Runtime, segments: list[str], work: Path) -> float:
    """Seconds for ffmpeg to decode the decrypted segments and re-encode them, fast-start."""
    listing = work / "segments.txt"
    with runtime.sessions() as session, listing.open("w") as names:
        for number, segment_id in enumerate(segments):
            segment, _ = recording.get_segment(session, segment_id)
            path = work / f"{number:05d}.mp4"
            path.write_bytes(recording.open_segment(runtime.sealer, runtime.blobs, segment))
            names.write(f"file '{path}'\n")
    command = ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
    began = time.perf_counter()
    subprocess.run(
        [*command, "-an", *X264, "-movflags", "+faststart", str(work / "ffmpeg.mp4")], check=True
    )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        settings = Settings(data_dir=work / "data")
        initialise(settings)
        runtime = open_runtime(settings)
        clip = work / "clip.mp4"
        make_clip(clip)
        grant, window, segments = granted(runtime, segments_of(clip), args.minutes)
        began = time.perf_counter()
        while prepare_once(runtime, "benchmark"):
            pass
        prepare_s = time.perf_counter() - began
        ivan = Actor("ivan", "investigator")
        with runtime.sessions() as session:
            court = service.add_recipient(
                Call(session, runtime.clock, Actor("dora", "dpo"), runtime.policy.profile),
                name="Judge A",
                organisation="Court",
                role=RecipientRole.COURT,
            ).id

        began = time.perf_counter()
        with runtime.sessions() as session:
            call = Call(session, runtime.clock, ivan, runtime.policy.profile)
            key_id = making.export_key(session, runtime).verifier.key_id.hex()
            export, plans = service.start_export(
                call,
                runtime.sealer,
                grant_id=grant,
                spans=[Span(window, None, None)],
                recipient_id=court,
                export_key_id=key_id,
            )
        package = work / "package"
        making.make_package(runtime, ivan, export.id, plans, package)
        export_s = time.perf_counter() - began

        ffmpeg_s = bare_ffmpeg(runtime, segments, work)

        began = time.perf_counter()
        problems = verifier.verify_package(package)
        root = (package / "keys" / "content-root.pem").read_bytes()
        states = [read_credentials(v, root).state for v in (package / "video").glob("*.mp4")]
        verify_s = time.perf_counter() - began
        assert problems == [], problems
        assert states == ["Trusted"], states
        package_mb = sum(p.stat().st_size for p in package.rglob("*") if p.is_file()) / 1e6
        runtime.close()
    print(
        json.dumps(
            {
                "benchmark": "export",
                "footage": f"{args.minutes} min 1280x720 25 fps in {len(segments)} segments",
                "export_s": round(export_s, 2),
                "ffmpeg_s": round(ffmpeg_s, 2),
                "ratio": round(export_s / ffmpeg_s, 2),
                "verify_s": round(verify_s, 2),
                "prepare_s": round(prepare_s, 1),
                "package_mb": round(package_mb, 1),
                "cpu_count": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
