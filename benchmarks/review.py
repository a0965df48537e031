"""Review over real HTTP: how soon a granted window starts playing, how fast it is served, and
how fast its tracks are prepared, against bare ffmpeg in the same run.

A 60 s 1280x720 25 fps clip is made from the shared test video (a person talking, padded to
16:9, looped), cut by the recorder's segmenter into 10 s segments, sealed into a fresh data
folder and granted to an investigator through a real case, request and approval (which queues
the preparation of its tracks). Then, over HTTP with the investigator's API token:

1. `custos web` alone (no worker, so nothing is prepared): `inline_first_frame_s` is the time
   from asking for the window's stream to holding its first decodable fragment (the init
   segment and one whole `moof` + `mdat`), with the tracks detected as it plays. The first
   request of the process loads the detectors (`inline_first_frame_cold_s`); the figure is
   the best of --repeat requests after it, each at another moment of the window.
2. `custos worker` prepares the window: `prepare_fps` is its frames over the seconds from its
   start until the footage page reports every piece prepared.
3. `first_frame_s`: the same, with every track prepared (best of --repeat).
4. `render_ratio`: serving the whole 60 s window from prepared tracks (request to last byte),
   over bare ffmpeg decoding the same 60 s and re-encoding it with the same x264 settings
   (`veryfast`, CRF 20) into fragmented MP4, best of --repeat each.

5. Live: a test RTSP camera (1280x720, 25 fps) shows the wall clock as blocks in each picture;
   an operator watches its masked live video (`/api/cameras/door/live.mjpeg`, asking for the
   most the server gives, 15 a second) for --live-seconds. `live_first_picture_s` is the time
   from asking to the first picture, `live_fps` the pictures a second after the first two
   seconds, and `live_latency_s` the median age of a picture when it reaches the viewer (its
   clock read back against the wall clock: the camera's encoding, RTSP, decoding, masking,
   JPEG and HTTP together).

Prints one JSON line.

    .venv/bin/python benchmarks/review.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import av
import cv2
import httpx2 as httpx
import numpy as np
from numpy.typing import NDArray

from custos.access import service as access
from custos.access.policy import Window
from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.cases import service as cases
from custos.config import Settings
from custos.context import Actor, Call
from custos.permissions import Role
from custos.recording.media import Segmenter, SegmentFile
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.setup import initialise, open_runtime
from custos.users import service as users

ROOT = Path(__file__).resolve().parents[1]
CAMERA = ROOT / "tests" / "support" / "rtsp_camera.py"
CUSTOS = ROOT / ".venv" / "bin" / "custos"
VIDEO = ROOT.parent / "shared" / "testdata" / "video" / "gen1_test_video.mp4"
SECONDS = 60
SEGMENT_SECONDS = 10
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20"]
FRAGMENTED = ["-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"]


def make_clip(target: Path) -> None:
    """The 1280x720 clip a camera would have sent, keyframe every second."""
    command = ["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(VIDEO)]
    command += ["-t", str(SECONDS), "-an", "-vf", "scale=-2:720,pad=1280:720:(ow-iw)/2:0,fps=25"]
    subprocess.run([*command, *X264, "-g", "25", str(target)], check=True)


def segments_of(clip: Path) -> list[SegmentFile]:
    """The clip as the recorder cuts it: 10 s segments."""
    pieces = []
    with av.open(str(clip)) as container:
        segmenter = Segmenter(container.streams.video[0], None, SEGMENT_SECONDS)
        for packet in container.demux(video=0):
            cut = segmenter.push(packet)
            if cut is not None:
                pieces.append(cut)
        last = segmenter.flush()
    if last is not None:
        pieces.append(last)
    return [SegmentFile(**{**p.__dict__, "data": memoryview(bytes(p.data))}) for p in pieces]


def watching(runtime: Runtime, url: str) -> str:
    """Register the clock camera as "door": the token of the operator who watches it."""
    with runtime.sessions() as session:
        shell = Call(session, runtime.clock, Actor("admin"), runtime.policy.profile)
        cameras.register_camera(
            shell,
            CameraCreate.model_validate(
                {"name": "door", "source_url": url, "category": "other", "region": "Almaty"}
            ),
        )
        token, _ = users.issue_token(shell, "olga", label="benchmark")
        return token


def clock_camera(port: int) -> subprocess.Popen[str]:
    """The RTSP camera that shows the wall clock, once it listens."""
    command = ["/usr/bin/python3", str(CAMERA), str(port), "--path", "/door", "--clock"]
    command += ["--size", "1280x720", "--fps", "25", "--gop", "25"]
    camera = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert camera.stdout is not None
    if not camera.stdout.readline().startswith("ready"):
        camera.kill()
        raise RuntimeError("the clock camera did not start")
    return camera


BITS = 32  # as the camera draws them: 32 blocks across the top 40 rows


def clock_of(picture: NDArray[np.uint8]) -> int:
    """The milliseconds (modulo 2**32) the camera wrote into the picture's top band."""
    grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    block = picture.shape[1] // BITS
    value = 0
    for bit in range(BITS):
        middle = grey[10:30, bit * block + block // 4 : (bit + 1) * block - block // 4]
        value = value << 1 | int(middle.mean() > 128)
    return value


class Watch:
    """Pictures as they reach a viewer: when each arrived and how old it was then."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.arrived: list[float] = []
        self.ages: list[float] = []

    def seen(self, jpeg: bytes) -> None:
        now = time.perf_counter()
        wall = int(time.time() * 1000) % (1 << BITS)
        self.arrived.append(now - self.started)
        picture = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        age = (wall - clock_of(np.asarray(picture, np.uint8))) % (1 << BITS)
        self.ages.append(age / 1000)

    def figures(self, prefix: str) -> dict[str, float]:
        """First picture, pictures a second after the first two seconds, median age."""
        steady = [at for at in self.arrived if at >= self.arrived[0] + 2]
        return {
            f"{prefix}_first_picture_s": round(self.arrived[0], 3),
            f"{prefix}_fps": round((len(steady) - 1) / (steady[-1] - steady[0]), 1),
            f"{prefix}_latency_s": round(float(np.median(self.ages)), 3),
        }


def live(base: str, token: str, seconds: float) -> dict[str, float]:
    """Watch the clock camera's masked live video from Custos, as the live page does."""
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/cameras/door/live.mjpeg?fps=15&for={seconds}"
    watch, received, marker = Watch(), b"", b"--custos-live\r\n"
    with httpx.stream("GET", url, headers=headers, timeout=60) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            received += chunk
            while received.startswith(marker) and (head_end := received.find(b"\r\n\r\n")) > 0:
                head = received[len(marker) : head_end].decode()
                length = int(head.split("Content-Length: ")[1].split("\r\n")[0])
                body_end = head_end + 4 + length
                if len(received) < body_end + 2:
                    break
                watch.seen(received[head_end + 4 : body_end])
                received = received[body_end + 2 :]
    return watch.figures("live")


def bare_live(url: str, seconds: float) -> dict[str, float]:
    """The anchor: ffmpeg reading the camera itself, 15 JPEG pictures a second, nothing masked."""
    command = ["ffmpeg", "-v", "error", "-fflags", "nobuffer", "-rtsp_transport", "tcp"]
    command += ["-i", url, "-t", str(seconds), "-an", "-vf", "fps=15", "-c:v", "mjpeg"]
    command += ["-f", "image2pipe", "-"]
    watch, received = Watch(), b""
    with subprocess.Popen(command, stdout=subprocess.PIPE) as ffmpeg:
        assert ffmpeg.stdout is not None
        while chunk := os.read(ffmpeg.stdout.fileno(), 1 << 16):
            received += chunk
            while (end := received.find(b"\xff\xd9")) >= 0:  # a JPEG's last marker
                watch.seen(received[: end + 2])
                received = received[end + 2 :]
    return watch.figures("ffmpeg_live")


def granted(runtime: Runtime, pieces: list[SegmentFile]) -> tuple[int, int, str]:
    """Store the segments and grant them to an investigator: (grant, window, their token)."""
    admin = Actor("admin")  # the server's shell
    investigator, approver = Actor("ivan", "investigator"), Actor("anna", "approver")
    clock = runtime.clock
    with runtime.sessions() as session:
        shell = Call(session, clock, admin, runtime.policy.profile)
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
        users.create_user(
            shell,
            name="ivan",
            role=Role.INVESTIGATOR,
            with_password=False,
            passwords=runtime.passwords,
        )
        token, _ = users.issue_token(shell, "ivan", label="benchmark")
        users.create_user(
            shell,
            name="olga",
            role=Role.OPERATOR,
            with_password=False,
            passwords=runtime.passwords,
        )
        feed = CameraFeed(camera.id, "hall", "rtsp://x/y", False, SEGMENT_SECONDS, "Almaty")
    filmed = clock.now() - timedelta(hours=1)
    writer = SegmentWriter(
        runtime.sessions,
        clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )
    at = filmed
    for piece in pieces:
        writer.store(feed, piece, at)
        at += timedelta(seconds=piece.duration)
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
        return grant.id, grant.windows[0].id, token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(argv: list[str], data: Path, port: int | None = None) -> subprocess.Popen[bytes]:
    """A Custos process over the data folder; for the web, once it answers."""
    env = {**os.environ, "CUSTOS_DATA_DIR": str(data)}
    process = subprocess.Popen(
        [str(CUSTOS), *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if port is not None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                return process
            except httpx.TransportError:
                time.sleep(0.1)
        process.kill()
        raise RuntimeError("custos web did not start")
    return process


def first_fragment(data: bytes) -> bool:
    """Whether `data` holds the init segment and one whole fragment (moof + mdat)."""
    offset, seen = 0, []
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size < 8 or offset + size > len(data):
            return False
        seen.append(kind)
        if kind == b"mdat" and b"moof" in seen and b"moov" in seen:
            return True
        offset += size
    return False


def stream(url: str, token: str, whole: bool) -> float:
    """Seconds from asking for `url` to its first decodable fragment (or its last byte)."""
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    received = b""
    with httpx.stream("GET", url, headers=headers, timeout=300) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            received += chunk
            if not whole and first_fragment(received):
                return time.perf_counter() - started
    return time.perf_counter() - started


def prepared(base: str, grant: int, token: str) -> tuple[int, int]:
    """How many pieces of the grant's first window are prepared, of how many."""
    headers = {"Authorization": f"Bearer {token}"}
    answer = httpx.get(f"{base}/api/grants/{grant}/footage", headers=headers, timeout=30)
    window = answer.raise_for_status().json()["windows"][0]
    return window["prepared"]["done"], window["prepared"]["total"]


def main() -> None:
    """Run every measurement and print one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--live-seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="custos-review-") as folder:
        clip = Path(folder) / "clip.mp4"
        make_clip(clip)
        data = Path(folder) / "data"
        settings = Settings(data_dir=data)
        initialise(settings)
        runtime = open_runtime(settings)
        pieces = segments_of(clip)
        grant, window, token = granted(runtime, pieces)
        frames = sum(p.frames for p in pieces)
        camera_port = free_port()  # the camera starts only for the live figures
        olga = watching(runtime, f"rtsp://127.0.0.1:{camera_port}/door")
        runtime.close()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/api/grants/{grant}/windows/{window}/stream"
        web = start(["web", "--port", str(port)], data, port)
        camera = None
        try:
            cold = stream(url, token, whole=False)
            inline = [
                stream(f"{url}?from={5 + 10 * i}", token, whole=False) for i in range(args.repeat)
            ]
            worker = start(["worker"], data)
            began = time.perf_counter()
            while prepared(base, grant, token)[0] < len(pieces):
                time.sleep(0.2)
            prepare_s = time.perf_counter() - began
            worker.terminate()
            worker.wait(timeout=30)
            first = [
                stream(f"{url}?from={2 + 10 * i}", token, whole=False) for i in range(args.repeat)
            ]
            whole = [stream(url, token, whole=True) for _ in range(args.repeat)]
            camera = clock_camera(camera_port)
            watched = live(base, olga, args.live_seconds)
            watched |= bare_live(f"rtsp://127.0.0.1:{camera_port}/door", args.live_seconds)
        finally:
            web.terminate()
            web.wait(timeout=30)
            if camera is not None:
                camera.terminate()
                camera.wait(timeout=30)
        anchor = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            command = ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-an", *X264, *FRAGMENTED]
            subprocess.run([*command, str(Path(folder) / "anchor.mp4")], check=True)
            anchor.append(time.perf_counter() - began)
    print(
        json.dumps(
            {
                "benchmark": "review",
                "window": f"{SECONDS} s 1280x720 25 fps in {len(pieces)} segments, {frames} frames",
                "first_frame_s": round(min(first), 3),
                "inline_first_frame_s": round(min(inline), 3),
                "inline_first_frame_cold_s": round(cold, 3),
                "render_s": round(min(whole), 3),
                "ffmpeg_s": round(min(anchor), 3),
                "render_ratio": round(min(whole) / min(anchor), 2),
                "prepare_fps": round(frames / prepare_s, 1),
                "prepare_s": round(prepare_s, 1),
                **watched,
                "cpu_count": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
