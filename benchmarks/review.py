"""Review latency: how long an investigator waits for one masked 10 s segment, against ffmpeg.

A 10 s 1280x720 25 fps clip is made from the shared test video (a person talking, padded to
16:9), cut by the recorder's segmenter into one segment, sealed into a fresh data folder and
granted to an investigator through a real case, request and approval. `view_s` is the best of
--repeat calls of `access.view` (grant checks, decryption, face and plate masking with track
labels, H.264 encoding into fragmented MP4, the audit entry and its commit); `view_first_s` is
the first call, which loads the detectors. The anchor `ffmpeg_s` is bare ffmpeg re-encoding the
same decrypted segment with the same x264 settings into fragmented MP4, no detection (best of
--repeat). `realtime` = clip seconds / `view_s`. Prints one JSON line.

    .venv/bin/python benchmarks/review.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import av

from custos.access import service as access
from custos.access.policy import Window
from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.cases import service as cases
from custos.config import Settings
from custos.context import Actor, Call
from custos.recording import service as recording
from custos.recording.media import Segmenter, SegmentFile
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.setup import initialise, open_runtime

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT.parent / "shared" / "testdata" / "video" / "gen1_test_video.mp4"
SECONDS = 10
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20"]
FRAGMENTED = ["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"]


def make_clip(target: Path) -> None:
    """The 1280x720 clip a camera would have sent, keyframe every second."""
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(VIDEO),
            "-t",
            str(SECONDS),
            "-an",
            "-vf",
            "scale=-2:720,pad=1280:720:(ow-iw)/2:0,fps=25",
            *X264,
            "-g",
            "25",
            str(target),
        ],
        check=True,
    )


def one_segment(clip: Path) -> SegmentFile:
    """The clip as the recorder cuts it: all of it in one segment."""
    with av.open(str(clip)) as container:
        segmenter = Segmenter(container.streams.video[0], None, SECONDS + 5)
        for packet in container.demux(video=0):
            assert segmenter.push(packet) is None
        last = segmenter.flush()
    assert last is not None
    return SegmentFile(**{**last.__dict__, "data": memoryview(bytes(last.data))})


def granted(runtime: Runtime, segment: SegmentFile) -> tuple[int, int, str]:
    """Store the segment and grant it to an investigator: (grant, window, segment id)."""
    admin, investigator, approver = (Actor(n, None) for n in ("admin", "ivan", "anna"))
    clock = runtime.clock
    with runtime.sessions() as session:
        camera = cameras.register_camera(
            Call(session, clock, admin, runtime.policy.profile),
            CameraCreate.model_validate(
                {
                    "name": "hall",
                    "source_url": "rtsp://hall.example/live",
                    "category": "public_safety",
                    "region": "Almaty",
                }
            ),
        )
        feed = CameraFeed(camera.id, "hall", "rtsp://x/y", False, SECONDS, "Almaty")
    filmed = clock.now() - timedelta(hours=1)
    writer = SegmentWriter(
        runtime.sessions,
        clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )
    stored = writer.store(feed, segment, filmed)
    with runtime.sessions() as session:
        investigating = Call(session, clock, investigator, runtime.policy.profile)
        case = cases.open_case(investigating, "1/2026-1", "cpc-kz-199", "b")
        cases.add_person(investigating, case.reference, "P1")
        request = access.file_request(
            investigating,
            case_id=case.id,
            windows=[Window("hall", filmed, filmed + timedelta(seconds=SECONDS))],
            persons=["P1"],
            purpose="benchmark",
            justification="benchmark",
            identification=False,
        )
        grant = access.approve(Call(session, clock, approver, runtime.policy.profile), request.id)
        return grant.id, grant.windows[0].id, stored.id


def main() -> None:
    """Run both and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="custos-review-") as folder:
        clip = Path(folder) / "clip.mp4"
        make_clip(clip)
        settings = Settings(data_dir=Path(folder) / "data")
        initialise(settings)
        runtime = open_runtime(settings)
        grant_id, window_id, segment_id = granted(runtime, one_segment(clip))
        investigator = Actor("ivan", None)
        times = []
        for _ in range(args.repeat + 1):
            with runtime.sessions() as session:
                started = time.perf_counter()
                rendered = access.view(
                    Call(session, runtime.clock, investigator, runtime.policy.profile),
                    runtime.sealer,
                    runtime.blobs,
                    detectors=runtime.detectors,
                    grant_id=grant_id,
                    window_id=window_id,
                    segment_id=segment_id,
                )
                times.append(time.perf_counter() - started)
        with runtime.sessions() as session:
            segment, _ = recording.get_segment(session, segment_id)
            plain = Path(folder) / "segment.mp4"
            plain.write_bytes(recording.open_segment(runtime.sealer, runtime.blobs, segment))
            frames = segment.frames
        anchor = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-i",
                    str(plain),
                    "-an",
                    *X264,
                    *FRAGMENTED,
                    str(Path(folder) / "anchor.mp4"),
                ],
                check=True,
            )
            anchor.append(time.perf_counter() - started)
        runtime.close()
    view = min(times[1:])
    print(
        json.dumps(
            {
                "benchmark": "review",
                "clip": f"{SECONDS} s 1280x720 25 fps, {frames} frames",
                "view_s": round(view, 3),
                "view_first_s": round(times[0], 3),
                "ffmpeg_s": round(min(anchor), 3),
                "ratio_to_ffmpeg": round(view / min(anchor), 2),
                "realtime": round(SECONDS / view, 2),
                "masked_tracks": len(rendered.record["tracks"]),
                "bytes": len(rendered.data),
            }
        )
    )


if __name__ == "__main__":
    main()
