"""`custos redact` against 200 corrupt and hostile files made from the shared test data.

Truncations, flipped bytes, empty files, wrong names, garbage, and files that declare far more
pixels than they hold (decompression bombs): each one goes through the real command, in
process, and a few as a separate process. Every one must end with either a correct output or
one clean line on standard error and the media exit code — never a traceback, never a hang,
and never a file left behind in the output folder.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from custos import cli
from custos.redaction.inputs import IMAGE_SUFFIXES, PICTURE, VIDEO, sniff
from helpers import SHARED_TESTDATA, png_declaring, with_unreadable_metadata, write_detector

MEDIA_EXIT = 9  # docs/cli.md: media Custos will not read
PER_FILE_SECONDS = 20
COUNT = 200


@dataclass(frozen=True)
class Hostile:
    """One file to redact: its name, its bytes, and the output's name."""

    name: str
    data: bytes
    output: str


def _first_frames(source: Path, target: Path, frames: int) -> None:
    """The first `frames` packets of `source`'s video, stream-copied into `target`."""
    with av.open(str(source)) as given, av.open(str(target), "w") as written:
        stream = written.add_stream_from_template(given.streams.video[0])
        copied = 0
        for packet in given.demux(video=0):
            if packet.dts is None:
                continue
            packet.stream = stream
            written.mux(packet)
            copied += 1
            if copied == frames:
                break


def _encoded(frames: list[np.ndarray], codec: str, path: Path) -> None:
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as written:
        stream = written.add_stream(codec, rate=10)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p" if codec == "libx264" else "yuvj420p"
        for index, picture in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
            frame.pts = index
            written.mux(stream.encode(frame))
        written.mux(stream.encode(None))


def _with_metadata_not_text(video: bytes, folder: Path) -> bytes:
    source, target = folder / "meta-in.mp4", folder / "meta-out.mp4"
    source.write_bytes(video)
    with_unreadable_metadata(target, source)
    return target.read_bytes()


def _jpeg_frame_size(data: bytes, width: int, height: int) -> bytes:
    """`data` (a JPEG, or a file holding JPEG frames) with every frame header declaring a size."""
    changed = bytearray(data)
    found = 0
    for marker in (b"\xff\xc0", b"\xff\xc2"):  # baseline and progressive frames
        at = changed.find(marker)
        while at >= 0:
            changed[at + 5 : at + 9] = struct.pack(">HH", min(height, 65535), min(width, 65535))
            found += 1
            at = changed.find(marker, at + 9)
    assert found, "no JPEG frame header"
    return bytes(changed)


def _flipped(data: bytes, rng: np.random.Generator, count: int, within: int | None) -> bytes:
    changed = bytearray(data)
    span = min(len(data), within or len(data))
    for at in rng.integers(0, span, count):
        changed[at] ^= int(rng.integers(1, 256))
    return bytes(changed)


def hostile_files(folder: Path) -> list[Hostile]:
    """Exactly COUNT files, made reproducibly from the shared test data."""
    if not SHARED_TESTDATA.is_dir():
        pytest.fail(f"the shared test data is missing: {SHARED_TESTDATA}")
    rng = np.random.default_rng(15)
    clip = folder / "clip.mp4"
    _first_frames(SHARED_TESTDATA / "video" / "gen1_test_video.mp4", clip, 4)
    matroska = folder / "clip.mkv"
    _first_frames(clip, matroska, 4)
    photos = [
        sorted((SHARED_TESTDATA / "faces").glob("*.jpg"))[0],
        sorted((SHARED_TESTDATA / "plates").glob("*.jpg"))[0],
        SHARED_TESTDATA / "video" / "gen1_test_image.jpg",
    ]
    face = cv2.imread(str(photos[0]))
    ok, png = cv2.imencode(".png", face)
    assert ok
    small = cv2.resize(face, (64, 48))
    seeds = {
        "clip.mp4": clip.read_bytes(),
        "clip.mkv": matroska.read_bytes(),
        **{f"photo{i}.jpg": path.read_bytes() for i, path in enumerate(photos)},
        "face.png": png.tobytes(),
    }
    files: list[Hostile] = []

    def add(name: str, data: bytes, output: str | None = None) -> None:
        suffix = Path(name).suffix.lower()
        default = ".jpg" if suffix in IMAGE_SUFFIXES else ".mp4"
        files.append(Hostile(f"{len(files):03d}-{name}", data, output or f"out{default}"))

    # Empty, and cut short at every scale: 6 seeds x 10 = 60.
    for name, data in seeds.items():
        add(f"empty-{name}", b"")
        for cut in (1, 3, 8, 17, 100, 1000):
            add(f"first{cut}-{name}", data[:cut])
        for share in (0.3, 0.7, 0.999):
            add(f"share{share}-{name}", data[: int(len(data) * share)])
    # Flipped bytes, in the header and anywhere: 6 seeds x 10 = 60.
    for name, data in seeds.items():
        for count in (1, 4, 16, 64, 256):
            add(f"flip{count}-head-{name}", _flipped(data, rng, count, within=700))
            add(f"flip{count}-{name}", _flipped(data, rng, count, within=None))
    # Wrong names: 14.
    for output in (".jpg", ".png"):
        add("clip-named.jpg", seeds["clip.mp4"], f"out{output}")
        add("clip-named.png", seeds["clip.mkv"], f"out{output}")
    for output in (".mp4", ".mkv"):
        add("photo-named.mp4", seeds["photo0.jpg"], f"out{output}")
        add("png-named.mkv", seeds["face.png"], f"out{output}")
    add("png-named.jpg", seeds["face.png"], "out.jpg")
    add("jpeg-named.png", seeds["photo1.jpg"], "out.png")
    add("picture-to-video.jpg", seeds["photo2.jpg"], "out.mp4")
    add("video-to-picture.mp4", seeds["clip.mp4"], "out.png")
    add("no-suffix", seeds["photo0.jpg"], "out")
    add("clip-no-suffix", seeds["clip.mp4"], "out")
    # Pictures that declare far more than they hold: 16.
    for width, height in (
        (65500, 65500),
        (20000, 20000),
        (8193, 1),
        (1, 8193),
        (7000, 7000),
        (0, 100),
        (100, 0),
        (2**31 - 1, 2**31 - 1),
    ):
        add(f"bomb-{width}x{height}.png", png_declaring(width, height))
        add(f"bomb-{width}x{height}.jpg", _jpeg_frame_size(seeds["photo0.jpg"], width, height))
    # Videos that declare far more than they hold, or decode to a size they do not declare: 8.
    wide = folder / "wide.mp4"
    _encoded([np.zeros((16, 8200, 3), np.uint8)], "libx264", wide)
    add("video-8200x16.mp4", wide.read_bytes())
    mjpeg = folder / "mjpeg.mkv"
    _encoded([small, small, small], "mjpeg", mjpeg)
    for width, height in ((65500, 65500), (9000, 9000), (16, 16), (0, 0)):
        add(f"mjpeg-{width}x{height}.mkv", _jpeg_frame_size(mjpeg.read_bytes(), width, height))
    add("mjpeg.mkv", mjpeg.read_bytes())
    add("metadata-not-text.mp4", _with_metadata_not_text(seeds["clip.mp4"], folder))
    add("metadata-not-text.mkv", _with_metadata_not_text(seeds["clip.mp4"], folder), "out.mkv")
    # Garbage, with and without a plausible start: 22.
    for suffix in (".mp4", ".mkv", ".jpg", ".png", ".txt"):
        add(f"noise{suffix}", rng.bytes(4096))
        add(f"zeros{suffix}", bytes(2048))
    for start, suffix in (
        (b"\xff\xd8\xff", ".jpg"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", ".jpg"),
        (b"\x89PNG\r\n\x1a\n", ".png"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", ".png"),
        (b"\x00\x00\x00\x18ftypisom", ".mp4"),
        (b"\x1a\x45\xdf\xa3", ".mkv"),
        (b"RIFF\x00\x10\x00\x00AVI LIST", ".mp4"),
    ):
        add(f"magic-then-noise{suffix}", start + rng.bytes(3000))
    add("text.mp4", b"not a video at all\n" * 50)
    add("html.jpg", b"<html><body>a page, not a picture</body></html>\n")
    add("one-byte.png", b"\x89")
    add("svg.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="99999" height="99999"/>')
    add("gzip-bomb.mp4", b"\x1f\x8b\x08\x00" + bytes(4000))
    # Glued together, and with something after the end: 8.
    add("jpeg-then-video.jpg", seeds["photo0.jpg"] + seeds["clip.mp4"])
    add("video-then-jpeg.mp4", seeds["clip.mp4"] + seeds["photo0.jpg"])
    add("png-then-noise.png", seeds["face.png"] + rng.bytes(2000))
    add("jpeg-then-noise.jpg", seeds["photo1.jpg"] + rng.bytes(2000))
    add("two-pngs.png", seeds["face.png"] * 2)
    add("video-then-noise.mp4", seeds["clip.mp4"] + rng.bytes(5000))
    add("mkv-then-noise.mkv", seeds["clip.mkv"] + rng.bytes(5000))
    add("jpeg-twice.jpg", seeds["photo2.jpg"] * 2)
    # Good files among them, which must come out right: 12.
    for name, data in seeds.items():
        add(f"good-{name}", data)
        add(f"good-upper-{Path(name).stem}{Path(name).suffix.upper()}", data)
    assert len(files) == COUNT, len(files)
    return files


class _TooLong(Exception):
    pass


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise _TooLong in the main thread once `seconds` have passed."""

    def _expired(_signal: int, _frame: object) -> None:
        raise _TooLong

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _kind_words(hostile: Hostile) -> str | None:
    """The kind an error may call the file by, when its bytes or its name say one."""
    kind = sniff(hostile.data[:16])
    if kind is None:
        suffix = Path(hostile.name).suffix.lower()
        kind = PICTURE if suffix in IMAGE_SUFFIXES else VIDEO if suffix else None
    return kind


def _check_output(target: Path, code_out: str) -> None:
    record = json.loads(target.with_name(target.name + ".redaction.json").read_text("utf-8"))
    lines = code_out.splitlines()
    assert len(lines) == 2, code_out
    assert lines[0].startswith(f"{target}: {record['frames']} frame")
    if record["media"] == "image":
        picture = cv2.imread(str(target))
        assert picture is not None
        assert picture.shape[:2] == (record["height"], record["width"])
    else:
        with av.open(str(target)) as written:
            assert sum(1 for _ in written.decode(video=0)) == record["frames"] > 0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Hostile], Path]:
    folder = tmp_path_factory.mktemp("hostile")
    made = folder / "made"
    made.mkdir()
    files = hostile_files(made)
    inputs = folder / "in"
    inputs.mkdir()
    for hostile in files:
        (inputs / hostile.name).write_bytes(hostile.data)
    return inputs, files, write_detector(folder)


def test_every_hostile_file_ends_cleanly(
    corpus: tuple[Path, list[Hostile], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inputs, files, detector = corpus
    outcomes: dict[str, int] = {}
    slowest = 0.0
    for index, hostile in enumerate(files):
        source = inputs / hostile.name
        folder = tmp_path / f"{index:03d}"
        folder.mkdir()
        target = folder / hostile.output
        # Most runs use a detector that costs nothing; every tenth the real face detector.
        choice = [] if index % 10 == 0 else ["--no-faces", "--detector", str(detector)]
        started = time.monotonic()
        try:
            with _deadline(PER_FILE_SECONDS):
                code = cli.run(["redact", str(source), str(target), *choice])
        except _TooLong:
            pytest.fail(f"{hostile.name}: still running after {PER_FILE_SECONDS} s")
        slowest = max(slowest, time.monotonic() - started)
        out, err = capsys.readouterr()
        where = f"{hostile.name} -> {hostile.output}: exit {code}\n{out}{err}"
        assert "Traceback" not in err, where
        assert source.read_bytes() == hostile.data, where  # the input is never touched
        outcomes[hostile.name] = code
        if code == 0:
            _check_output(target, out)
            assert sorted(p.name for p in folder.iterdir()) == sorted(
                [target.name, target.name + ".redaction.json"]
            ), where
            assert err == "" or (err.startswith("warning: ") and len(err.splitlines()) == 1), where
            continue
        assert code == MEDIA_EXIT, where
        assert out == "", where
        assert err.startswith("error: "), where
        assert len(err.splitlines()) == 1, where
        assert hostile.name in err, where
        kind = _kind_words(hostile)
        other = {PICTURE: "the video ", VIDEO: "the picture "}.get(kind or "")
        assert other is None or other not in err, where
        assert list(folder.iterdir()) == [], where  # nothing left behind, not even a partial
    assert len(outcomes) == COUNT
    print(  # the figures, for whoever reads the run
        f"{COUNT} hostile files: {sum(c == 0 for c in outcomes.values())} redacted, "
        f"{sum(c == MEDIA_EXIT for c in outcomes.values())} refused; slowest {slowest:.1f} s"
    )
    assert all(outcomes[f"{hostile.name}"] == 0 for hostile in files if "-good-" in hostile.name)
    refused = sum(1 for code in outcomes.values() if code == MEDIA_EXIT)
    assert refused > COUNT // 2, outcomes
    assert slowest < PER_FILE_SECONDS


# What libjpeg, libpng and FFmpeg write on the process's own standard error is only seen by a
# separate process: the damaged files whose decoders talk are among these.
SEPARATE = {
    "bomb-65500x65500.png": MEDIA_EXIT,
    "bomb-20000x20000.jpg": MEDIA_EXIT,
    "metadata-not-text.mp4": MEDIA_EXIT,
    "empty-photo0.jpg": MEDIA_EXIT,
    "flip1-face.png": MEDIA_EXIT,
    "flip64-clip.mp4": MEDIA_EXIT,
    "flip4-photo0.jpg": 0,
    "flip16-clip.mkv": 0,
}


@pytest.mark.parametrize("name_part", list(SEPARATE))
def test_the_real_command_prints_one_line_and_no_traceback(
    corpus: tuple[Path, list[Hostile], Path], tmp_path: Path, name_part: str
) -> None:
    inputs, files, detector = corpus
    [hostile] = [h for h in files if h.name.endswith(f"-{name_part}")]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    target = tmp_path / hostile.output
    command = [sys.executable, "-m", "custos", "redact", str(inputs / hostile.name), str(target)]
    run = subprocess.run(
        [*command, "--no-faces", "--detector", str(detector)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == SEPARATE[name_part], run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) <= 1, run.stderr
    if run.returncode == 0:
        _check_output(target, run.stdout)
        assert run.stderr == "" or run.stderr.startswith(f"warning: {hostile.name}"), run.stderr
        return
    assert run.stdout == ""
    assert run.stderr.startswith(f"error: the {_kind_words(hostile)} {hostile.name}"), run.stderr
    assert list(tmp_path.iterdir()) == []
