"""The redaction pipeline on real files: what is masked, what is kept, what is recorded.

Detection is replaced by fake detectors (our own `Detector` protocol) so that the boxes are
known; decoding, tracking, masking, encoding and the record are the real ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import shutil
import struct
import threading
import time
import zlib
from dataclasses import replace

import av
import cv2
import numpy as np
import pytest

from custos.errors import InvalidInput, NotFound, UnsupportedMedia
from custos.recording.media import make_clip
from custos.redaction.detectors import Detection
from custos.redaction.pipeline import (
    MaskedStream,
    Options,
    Sweep,
    _merged,
    redact_file,
    redact_video,
    track_video,
)
from custos.redaction.render import Look, Shape, Style

WIDTH, HEIGHT, FPS = 320, 240, 15
FRAMES = 30  # make_clip(..., 2 s, 15 fps)
SOLID_BOX = Look(Style.SOLID, Shape.BOX, margin=0.0)
ENCODER_NOISE = 12  # luma levels two encodings of the same pictures may differ by
BLACK_LUMA = 16  # the solid fill of video, in limited-range luma
# make_clip's luma is at least 0.4 * 255 * y / height: from this row down it is far above 16,
# so "masked" and "left as it was" cannot be confused.
BRIGHT_ROWS = 100


# --- fakes and helpers ---------------------------------------------------------------------------


class FixedBoxes:
    """Finds the same boxes in every frame it is shown; counts its calls."""

    def __init__(self, *boxes, kind="thing"):
        self.kind = kind
        self.boxes = boxes
        self.calls = 0
        self.shapes = []

    def detect(self, frame):
        self.calls += 1
        self.shapes.append(frame.shape)
        return [Detection(self.kind, box, 0.9) for box in self.boxes]


class FailsOnCall(FixedBoxes):
    """Raises on its `fail_on`-th call."""

    def __init__(self, fail_on, *boxes):
        super().__init__(*boxes)
        self.fail_on = fail_on

    def detect(self, frame):
        if self.calls + 1 == self.fail_on:
            raise DetectorBroke("the detector broke")
        return super().detect(frame)


class DetectorBroke(RuntimeError):
    pass


def moving_box(index):
    """Where the moving object is in frame `index`: 6 pixels to the right per frame."""
    return (20.0 + 6 * index, 110.0, 70.0 + 6 * index, 190.0)


class MovingObject:
    """Finds one object whose box moves with the frame index.

    The fake is not told the index: it recognises the frame among the input's frames (every
    frame of make_clip differs from the others), so it also tells which frames it was shown.
    """

    kind = "thing"

    def __init__(self, references):
        self.references = [ref[::4, ::4].astype(np.int16) for ref in references]
        self.seen = []

    def detect(self, frame):
        small = frame[::4, ::4].astype(np.int16)
        distances = [np.abs(small - ref).mean() for ref in self.references]
        index = int(np.argmin(distances))
        self.seen.append(index)
        return [Detection(self.kind, moving_box(index), 0.9)]


def lumas(path):
    """The Y plane of every frame, as the decoder gives it (no range conversion)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        height = stream.codec_context.height
        return [frame.to_ndarray(format="yuv420p")[:height] for frame in container.decode(stream)]


def bgr_frames(path):
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_masked(luma, rect, what):
    """Every pixel of `rect` is the solid fill, up to encoding noise.

    The input is at least 26 levels above the fill in these rows, so a pixel left unmasked
    stands out even with the allowance for ringing at the mask's edges.
    """
    x0, y0, x1, y1 = rect
    assert y0 >= BRIGHT_ROWS
    inside = luma[y0:y1, x0:x1].astype(int)
    assert inside.size > 0
    assert abs(inside.mean() - BLACK_LUMA) < 2, f"{what}: mean {inside.mean():.1f}"
    deviation = np.abs(inside - BLACK_LUMA).max()
    assert deviation <= 20, f"{what}: a pixel {deviation} levels from the fill"


def assert_kept(out, src, mask, what, mean=2.0):
    """Where `mask` is true the output is the input again, up to re-encoding noise."""
    difference = np.abs(out.astype(int) - src.astype(int))[mask]
    assert difference.size > 0
    assert difference.mean() < mean, f"{what}: mean difference {difference.mean():.2f}"
    # Ringing at the edges of the mask and at the moving block is local; most pixels are exact.
    assert np.percentile(difference, 95) <= 6, f"{what}"


def outside(rect, grow=3):
    """A frame-sized mask of everything at least `grow` pixels away from `rect`."""
    x0, y0, x1, y1 = rect
    mask = np.ones((HEIGHT, WIDTH), dtype=bool)
    mask[max(0, y0 - grow) : y1 + grow, max(0, x0 - grow) : x1 + grow] = False
    return mask


def listing(folder):
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """2 s of make_clip at 320x240, with an AAC tone."""
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    make_clip(path, FRAMES / FPS, fps=FPS, width=WIDTH, height=HEIGHT, audio=True)
    return path


@pytest.fixture
def work(tmp_path, video):
    """A folder holding only a copy of the video."""
    source = tmp_path / "in.mp4"
    shutil.copyfile(video, source)
    return source


# --- video -------------------------------------------------------------------------------------


def test_video_is_masked_in_the_box_and_kept_elsewhere(work):
    box = (100.0, 120.0, 180.0, 200.0)
    look = Look(Style.SOLID, Shape.BOX, margin=0.25)
    masked = (80, 100, 200, 220)  # the box with a quarter of its 80 pixels added on each side
    fake = FixedBoxes(box)
    target = work.with_name("out.mp4")
    before = work.read_bytes()
    progress = []

    result = redact_file(
        work,
        target,
        Options(kinds=frozenset(), look=look, extra_detectors=(fake,)),
        lambda done, total: progress.append((done, total)),
    )

    assert work.read_bytes() == before
    with av.open(str(target)) as container:
        assert [stream.type for stream in container.streams] == ["video"]  # the tone is dropped
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (WIDTH, HEIGHT)
    src, out = lumas(work), lumas(target)
    assert len(out) == len(src) == FRAMES == result.frames
    for index, (before_frame, after_frame) in enumerate(zip(src, out, strict=True)):
        assert_masked(after_frame, masked, f"frame {index}")
        assert_kept(after_frame, before_frame, outside(masked), f"frame {index}")
    # Detection saw full-size frames (320 is under detect_size) and progress counted each frame.
    assert set(fake.shapes) == {(HEIGHT, WIDTH, 3)}
    assert progress == [(done, FRAMES) for done in range(1, FRAMES + 1)]

    record_path = work.with_name("out.mp4.redaction.json")
    assert listing(work.parent) == ["in.mp4", "out.mp4", "out.mp4.redaction.json"]
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["input"] == {"name": "in.mp4", "sha256": sha256(work)}
    assert record["output"] == {"name": "out.mp4", "sha256": sha256(target)}
    assert (record["media"], record["width"], record["height"], record["frames"]) == (
        "video",
        WIDTH,
        HEIGHT,
        FRAMES,
    )
    assert (record["style"], record["shape"], record["margin"]) == ("solid", "box", 0.25)
    assert record["masked_kinds"] == ["thing"]
    [track] = record["tracks"]
    assert track == {
        "track": track["track"],
        "kind": "thing",
        "first_frame": 0,
        "last_frame": FRAMES - 1,
        "frames": FRAMES,
        "detected_in_rounds": fake.calls,
        "visible": False,
    }
    assert record["visible_tracks"] == []
    assert record["visible_reason"] is None


@pytest.mark.parametrize("every", [1, 3, 4])
def test_detection_runs_every_kth_frame_and_frames_between_are_masked(tmp_path, every):
    frames = 31  # 30 is a multiple of 3: with every=3 the last frame is a detection frame
    source = tmp_path / "in.mp4"
    make_clip(source, frames / FPS, fps=FPS, width=WIDTH, height=HEIGHT)
    fake = MovingObject(bgr_frames(source))
    target = tmp_path / "out.mp4"

    result = redact_file(
        source,
        target,
        Options(kinds=frozenset(), look=SOLID_BOX, detect_every=every, extra_detectors=(fake,)),
    )

    # Rounds on frames 0, k, 2k, ...; and one more on the last frame when it is not one of them,
    # so that the tail is interpolated towards where the object ends rather than held.
    rounds = list(range(0, frames, every))
    if rounds[-1] != frames - 1:
        rounds.append(frames - 1)
    assert fake.seen == rounds
    assert len(result.tracks) == 1
    src, out = lumas(source), lumas(target)
    assert len(out) == frames
    # A moving object's mask is wider by half its speed per round (6 px a frame on a 50 x 80 px
    # box): beyond that, nothing is masked.
    spread = min(0.5, 6 * every / 50 / 2)
    dx, dy = math.ceil(spread * 50), math.ceil(spread * 80)
    for index, (before_frame, after_frame) in enumerate(zip(src, out, strict=True)):
        x0, y0, x1, y1 = (round(value) for value in moving_box(index))
        assert_masked(after_frame, (x0 + 1, y0 + 1, x1 - 1, y1 - 1), f"frame {index}")
        x0, y0, x1, y1 = x0 - dx, y0 - dy, x1 + dx, y1 + dy
        assert_kept(after_frame, before_frame, outside((x0, y0, x1, y1)), f"frame {index}")
        # Just beside the mask on both sides: where the object was a round before and will be a
        # round after. Masking there would mean the box was held rather than moved with it.
        strips = ((x0 - 10, y0, x0 - 3, y1), (x1 + 3, y0, x1 + 10, y1))
        for strip in (s for s in strips if s[0] >= 0 and s[2] <= WIDTH):
            beside = np.zeros((HEIGHT, WIDTH), dtype=bool)
            beside[strip[1] : strip[3], strip[0] : strip[2]] = True
            assert_kept(after_frame, before_frame, beside, f"frame {index} beside", mean=4.0)


def test_detection_at_a_smaller_size_is_scaled_back_to_the_frame(tmp_path):
    class ThirdOfTheFrame:
        kind = "thing"

        def __init__(self):
            self.shapes = []

        def detect(self, frame):
            height, width = frame.shape[:2]
            self.shapes.append(frame.shape)
            box = (width * 0.25, height * 0.5, width * 0.5, height * 0.75)
            return [Detection(self.kind, box, 0.9)]

    source = tmp_path / "in.mp4"
    make_clip(source, 1, fps=FPS, width=WIDTH, height=HEIGHT)
    fake = ThirdOfTheFrame()
    target = tmp_path / "out.mp4"
    redact_file(
        source,
        target,
        Options(kinds=frozenset(), look=SOLID_BOX, detect_size=160, extra_detectors=(fake,)),
    )
    assert set(fake.shapes) == {(120, 160, 3)}  # the longer side brought down to 160
    masked = (80, 120, 160, 180)  # the same fractions of the full 320x240 frame
    for index, (before_frame, after_frame) in enumerate(
        zip(lumas(source), lumas(target), strict=True)
    ):
        assert_masked(after_frame, masked, f"frame {index}")
        assert_kept(after_frame, before_frame, outside(masked), f"frame {index}")


LEFT = (20.0, 110.0, 90.0, 190.0)
RIGHT = (220.0, 110.0, 290.0, 190.0)


def track_of(result, box):
    """The id of the track masked at `box` in the first frame."""
    [track] = [tracked.track for tracked in result.boxes[0] if tracked.box == box]
    return track


def test_revealed_track_is_left_visible_and_recorded(work):
    first = redact_file(
        work,
        work.with_name("all.mp4"),
        Options(kinds=frozenset(), look=SOLID_BOX, extra_detectors=(FixedBoxes(LEFT, RIGHT),)),
    )
    assert len(first.tracks) == 2
    left = track_of(first, LEFT)
    right = track_of(first, RIGHT)
    reason = "the victim asked to see herself (case 12/2026)"

    target = work.with_name("revealed.mp4")
    result = redact_file(
        work,
        target,
        Options(
            kinds=frozenset(),
            look=SOLID_BOX,
            extra_detectors=(FixedBoxes(LEFT, RIGHT),),
            reveal=frozenset({left}),
            reveal_reason=reason,
        ),
    )

    assert result.tracks[left].visible
    assert not result.tracks[right].visible
    left_rect = tuple(round(v) for v in LEFT)
    right_rect = tuple(round(v) for v in RIGHT)
    kept = outside(right_rect)
    for index, (before_frame, after_frame) in enumerate(
        zip(lumas(work), lumas(target), strict=True)
    ):
        assert_masked(after_frame, right_rect, f"frame {index}")
        assert_kept(after_frame, before_frame, kept, f"frame {index}")
        left_only = np.zeros((HEIGHT, WIDTH), dtype=bool)
        left_only[left_rect[1] : left_rect[3], left_rect[0] : left_rect[2]] = True
        assert_kept(after_frame, before_frame, left_only, f"frame {index}, revealed track")
    record = json.loads(work.with_name("revealed.mp4.redaction.json").read_text("utf-8"))
    assert record["visible_tracks"] == [left]
    assert record["visible_reason"] == reason
    assert {track["track"]: track["visible"] for track in record["tracks"]} == {
        left: True,
        right: False,
    }
    # The per-frame boxes are what was masked: the revealed track is not among them.
    assert all({tracked.track for tracked in boxes} == {right} for boxes in result.boxes)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reveal_needs_a_reason(reason):
    with pytest.raises(InvalidInput) as raised:
        Options(
            kinds=frozenset(),
            extra_detectors=(FixedBoxes(LEFT),),
            reveal=frozenset({1}),
            reveal_reason=reason,
        )
    assert raised.value.field == "reveal_reason"


def test_revealing_a_track_that_never_appears_leaves_nothing(work):
    options = Options(
        kinds=frozenset(),
        extra_detectors=(FixedBoxes(LEFT, RIGHT),),
        reveal=frozenset({99}),
        reveal_reason="a reason",
    )
    with pytest.raises(InvalidInput) as raised:
        redact_file(work, work.with_name("out.mp4"), options)
    assert type(raised.value) is InvalidInput
    assert "99" in raised.value.message
    assert listing(work.parent) == ["in.mp4"]


def wait_for_threads(count):
    deadline = time.monotonic() + 1
    while threading.active_count() > count and time.monotonic() < deadline:
        time.sleep(0.01)
    return threading.active_count()


def test_a_failing_detector_leaves_nothing_and_stops_every_thread(work):
    threads = threading.active_count()
    fake = FailsOnCall(3, LEFT)
    with pytest.raises(DetectorBroke):
        redact_file(
            work, work.with_name("out.mp4"), Options(kinds=frozenset(), extra_detectors=(fake,))
        )
    assert fake.calls == 2
    assert listing(work.parent) == ["in.mp4"]
    assert wait_for_threads(threads) == threads


def test_an_interrupted_run_leaves_nothing_and_stops_every_thread(work):
    threads = threading.active_count()
    done = []

    def interrupt(frames, total):
        done.append(frames)
        if frames == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        redact_file(
            work,
            work.with_name("out.mp4"),
            Options(kinds=frozenset(), extra_detectors=(FixedBoxes(LEFT),)),
            interrupt,
        )
    assert done[-1] == 10
    assert listing(work.parent) == ["in.mp4"]
    assert wait_for_threads(threads) == threads


# --- bad input ---------------------------------------------------------------------------------


def write_tone(path, codec, rate=16_000):
    """Half a second of 440 Hz and nothing else (an audio-only file)."""
    with av.open(str(path), "w") as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        t = np.arange(rate // 2) / rate
        samples = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16).reshape(1, -1)
        if codec == "aac":  # the AAC encoder takes planar floats, 1024 samples at a time
            samples = (samples / 32768).astype(np.float32)
        step = 1024 if codec == "aac" else samples.shape[1]
        for start in range(0, samples.shape[1], step):
            chunk = np.ascontiguousarray(samples[:, start : start + step])
            frame = av.AudioFrame.from_ndarray(
                chunk, format="fltp" if codec == "aac" else "s16", layout="mono"
            )
            frame.sample_rate = rate
            frame.pts = start
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))


def truncated(path, video):
    """The first 30 % of the video's bytes."""
    data = video.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 10])


def a_picture(path, video):
    assert cv2.imwrite(str(path), np.full((48, 64, 3), 100, dtype=np.uint8))


BAD_INPUTS = {
    # case: (input, how to make it (None: missing), output, error, words the message holds)
    "missing": ("in.mp4", None, "out.mp4", NotFound, ["in.mp4"]),
    "text": (
        "notes.txt",
        lambda path, _: path.write_text("not a video\n" * 20),
        "out.mp4",
        UnsupportedMedia,
        ["notes.txt"],
    ),
    "empty": ("in.mp4", lambda path, _: path.write_bytes(b""), "out.mp4", UnsupportedMedia, []),
    "audio only (AAC)": (
        "tone.m4a",
        lambda path, _: write_tone(path, "aac"),
        "out.mp4",
        UnsupportedMedia,
        ["tone.m4a", "no video"],
    ),
    "audio only (WAV)": (
        "tone.wav",
        lambda path, _: write_tone(path, "pcm_s16le"),
        "out.mp4",
        UnsupportedMedia,
        ["tone.wav", "no video"],
    ),
    # make_clip writes the index (moov) after the media data: the first 30 % holds none, so
    # FFmpeg cannot open the file as a video at all, just as with any file it cannot read.
    "truncated": ("in.mp4", truncated, "out.mp4", UnsupportedMedia, ["in.mp4"]),
    "picture to video": ("in.png", a_picture, "out.mp4", UnsupportedMedia, ["in.png", ".mp4"]),
    "video to picture": (
        "in.mp4",
        lambda path, video: shutil.copyfile(video, path),
        "out.png",
        UnsupportedMedia,
        ["in.mp4", ".png"],
    ),
    "onto itself": (
        "in.mp4",
        lambda path, video: shutil.copyfile(video, path),
        "in.mp4",
        InvalidInput,
        ["overwrite"],
    ),
    "missing folder": (
        "in.mp4",
        lambda path, video: shutil.copyfile(video, path),
        "nowhere/out.mp4",
        NotFound,
        ["nowhere"],
    ),
    "JPEG magic, garbage after": (
        "in.jpg",
        lambda path, _: path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4),
        "out.jpg",
        UnsupportedMedia,
        ["the picture in.jpg", "damaged"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_and_changes_nothing(tmp_path, video, case):
    name, make, output, error, words = BAD_INPUTS[case]
    source = tmp_path / name
    if make is not None:
        make(source, video)
    before = source.read_bytes() if make is not None else None
    files = listing(tmp_path)
    options = Options(kinds=frozenset(), extra_detectors=(FixedBoxes(LEFT),))

    with pytest.raises(error) as raised:
        redact_file(source, tmp_path / output, options)

    # Exactly this class: UnsupportedMedia (exit 9) is also an InvalidInput (exit 4).
    assert type(raised.value) is error
    for word in words:
        assert word in raised.value.message
    assert listing(tmp_path) == files
    assert (source.read_bytes() if make is not None else None) == before


# --- pictures ----------------------------------------------------------------------------------


def synthetic_picture(height=180, width=240):
    """Gradients and noise: no two neighbouring pixels alike, and never black."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width]
    picture = np.stack([x * 200 // width, y * 200 // height, (x + y) % 200], axis=-1) + 40
    picture = picture + rng.integers(0, 16, picture.shape)
    return picture.astype(np.uint8)


def png_with_text_chunk(picture, text):
    """A PNG with a tEXt chunk (metadata) after its header chunk."""
    ok, encoded = cv2.imencode(".png", picture)
    assert ok
    data = encoded.tobytes()
    body = b"tEXt" + b"Comment\x00" + text
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    end_of_header = 8 + 4 + 4 + 13 + 4  # signature, then IHDR: length, type, data, CRC
    return data[:end_of_header] + chunk + data[end_of_header:]


def jpeg_with_metadata(picture, secret):
    """A JPEG with an EXIF (APP1) segment and a comment carrying `secret`."""
    ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    data = encoded.tobytes()
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 0) + struct.pack("<I", 0)
    exif = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    comment = b"\xff\xfe" + struct.pack(">H", len(secret) + 2) + secret
    assert data[:2] == b"\xff\xd8"
    return data[:2] + app1 + comment + data[2:]


def test_png_changes_in_the_box_only_and_loses_its_metadata(tmp_path):
    picture = synthetic_picture()
    source = tmp_path / "in.png"
    source.write_bytes(png_with_text_chunk(picture, b"secret-location"))
    assert np.array_equal(cv2.imread(str(source)), picture)
    fake = FixedBoxes((40.0, 50.0, 120.0, 130.0))
    target = tmp_path / "out.png"

    result = redact_file(
        source, target, Options(kinds=frozenset(), look=SOLID_BOX, extra_detectors=(fake,))
    )

    out = cv2.imread(str(target), cv2.IMREAD_UNCHANGED)
    assert out.shape == picture.shape
    inside = np.zeros(picture.shape[:2], dtype=bool)
    inside[50:130, 40:120] = True
    assert (out[inside] == 0).all()  # solid fill of a BGR picture is black
    assert np.array_equal(out[~inside], picture[~inside])
    assert fake.shapes == [picture.shape]  # pictures are searched at full size, once
    assert (result.media, result.frames, len(result.tracks)) == ("image", 1, 1)
    assert b"secret-location" not in target.read_bytes()
    record = json.loads((tmp_path / "out.png.redaction.json").read_text("utf-8"))
    assert record["input"]["sha256"] == sha256(source)
    assert record["output"]["sha256"] == sha256(target)
    assert (record["media"], record["detect_every"], record["detect_size"]) == ("image", 1, None)


def test_jpeg_output_carries_no_exif(tmp_path):
    picture = synthetic_picture()
    source = tmp_path / "in.jpg"
    source.write_bytes(jpeg_with_metadata(picture, b"GPS 43.25N 76.95E"))
    assert b"Exif\x00\x00" in source.read_bytes()
    decoded = cv2.imread(str(source))
    assert decoded is not None
    fake = FixedBoxes((40.0, 50.0, 120.0, 130.0))
    target = tmp_path / "out.jpeg"

    redact_file(source, target, Options(kinds=frozenset(), look=SOLID_BOX, extra_detectors=(fake,)))

    data = target.read_bytes()
    assert data.startswith(b"\xff\xd8\xff")
    assert b"Exif" not in data
    assert b"GPS 43.25N" not in data
    out = cv2.imread(str(target)).astype(int)
    assert out[52:128, 42:118].max() <= 12  # black, up to JPEG's rounding
    inside = np.zeros(picture.shape[:2], dtype=bool)
    inside[46:134, 36:124] = True  # the box and the 8x8 blocks its edges touch
    difference = np.abs(out - decoded.astype(int))[~inside]
    assert difference.mean() < 3


# --- options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"detect_every": 0}, "detect_every"),
        ({"detect_every": 26}, "detect_every"),
        ({"detect_size": 100}, "detect_size"),
        ({"detect_size": 7681}, "detect_size"),
        ({"kinds": frozenset({"face", "tattoo"})}, "kinds"),
        ({"kinds": frozenset(), "extra_detectors": ()}, "kinds"),
    ],
)
def test_options_refuse_what_cannot_be_done(changes, field):
    arguments = {"kinds": frozenset(), "extra_detectors": (FixedBoxes(LEFT),), **changes}
    with pytest.raises(InvalidInput) as raised:
        Options(**arguments)
    assert raised.value.field == field


@pytest.mark.parametrize(
    "changes",
    [{"detect_every": 1}, {"detect_every": 25}, {"detect_size": 160}, {"detect_size": None}],
)
def test_options_accept_the_limits(changes):
    Options(kinds=frozenset(), extra_detectors=(FixedBoxes(LEFT),), **changes)


# --- the sweep for small faces -------------------------------------------------------------------


class BrightSpots:
    """A face detector that sees a bright square only when it is at least `smallest` pixels wide
    in the picture it is shown, as a real detector misses a face too small at its scale."""

    kind = "face"

    def __init__(self, smallest):
        self.smallest = smallest
        self.shapes = []

    def detect(self, frame):
        self.shapes.append(frame.shape)
        ys, xs = np.nonzero(frame[:, :, 1] > 200)
        if xs.size == 0 or xs.max() - xs.min() + 1 < self.smallest:
            return []
        return [Detection(self.kind, (xs.min(), ys.min(), xs.max() + 1.0, ys.max() + 1.0), 0.9)]


SPOT = (600, 400, 616, 416)  # a 16-pixel square in the bottom right of a 704 x 480 frame


def spot_clip(path, frames=40):
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 704, 480, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "10"}
        for _ in range(frames):
            picture = np.full((480, 704, 3), 60, dtype=np.uint8)
            x0, y0, x1, y1 = SPOT
            picture[y0:y1, x0:x1] = 255
            output.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="bgr24")))
        output.mux(stream.encode(None))


@pytest.mark.parametrize("sweep", [True, False])
def test_the_sweep_finds_a_face_too_small_for_the_whole_frame_and_holds_it(tmp_path, sweep):
    source = tmp_path / "in.mp4"
    spot_clip(source)
    # At 160 the square is under 4 pixels wide, at the sweep's 320 over 7: only a tile finds it.
    finder = BrightSpots(smallest=6)
    options = Options(
        kinds=frozenset(), look=SOLID_BOX, detect_size=160, extra_detectors=(finder,), sweep=sweep
    )
    result = redact_file(source, tmp_path / "out.mp4", options)
    plan = Sweep.plan(704, 480, options)
    record = json.loads((tmp_path / "out.mp4.redaction.json").read_text())
    assert record["sweep_tiles"] == len(plan.tiles) == (4 if sweep else 0)
    x0, y0, x1, y1 = SPOT
    masked = [frame[y0:y1, x0:x1].mean() < 40 for frame in lumas(tmp_path / "out.mp4")]
    assert len(masked) == 40
    if not sweep:
        assert not any(masked)
        assert set(finder.shapes) == {(108, 160, 3)}
        return
    # The spot's tile is the last of four: searched first in round 3 (frame 6), then every 4th
    # round; the tracker holds it in between. Frame 5 lies between rounds 2 and 3 and is masked
    # where round 3 found it.
    assert plan.size == (320, 218)
    tiles = {(y1 - y0, x1 - x0, 3) for x0, y0, x1, y1 in plan.tiles}
    assert set(finder.shapes) == {(108, 160, 3)} | tiles
    assert masked == [False] * 5 + [True] * 35
    [track] = result.tracks.values()
    box = result.boxes[6][0].box
    assert box[0] <= x0 + 2
    assert box[1] <= y0 + 2
    assert box[2] >= x1 - 2
    assert box[3] >= y1 - 2
    assert box[2] - box[0] < 24  # mapped back to the frame's pixels, not the tile's
    assert track.detected == 5  # rounds 3, 7, 11, 15 and 19


@pytest.mark.parametrize(
    ("size", "options", "tiles"),
    [
        ((1280, 720), {}, 0),  # twice 640: the whole-frame search is fine enough
        ((1920, 1080), {}, 4),
        ((3840, 2160), {}, 4),
        ((1080, 1920), {}, 4),
        ((1920, 1080), {"sweep": False}, 0),
        ((1920, 1080), {"kinds": frozenset({"plate"})}, 0),  # only faces are swept
        ((1920, 1080), {"detect_size": None}, 0),
        ((3840, 2160), {"detect_size": 960}, 4),
        ((3840, 2160), {"detect_size": 320}, 4),
    ],
)
def test_sweep_plan(size, options, tiles):
    plan = Sweep.plan(*size, Options(**options))
    assert len(plan.tiles) == tiles
    if not tiles:
        return
    width, height = plan.size
    assert max(plan.size) == 2 * Options(**options).detect_size
    assert abs(width / height - size[0] / size[1]) < 0.01
    covered = np.zeros((height, width), dtype=int)
    for x0, y0, x1, y1 in plan.tiles:
        assert 0 <= x0 < x1 <= width
        assert 0 <= y0 < y1 <= height
        covered[y0:y1, x0:x1] += 1
    assert covered.min() >= 1  # every pixel in some tile
    assert covered.max() == 4  # neighbours overlap, at the corner where four meet
    assert plan.tile(0) == plan.tile(len(plan.tiles)) != plan.tile(1)


@pytest.mark.parametrize(
    ("tile_face", "added"),
    [
        ((10.0, 10.0, 30.0, 30.0), True),  # a small face the whole frame missed
        ((100.0, 100.0, 150.0, 200.0), False),  # a piece of the big face, cut by the tile's edge
        ((190.0, 190.0, 240.0, 240.0), True),  # overlapping the big face by 4 %: another face
        ((95.0, 95.0, 205.0, 205.0), False),  # the big face again, slightly larger
    ],
)
def test_a_tile_adds_only_faces_the_whole_frame_missed(tile_face, added):
    big = Detection("face", (100.0, 100.0, 200.0, 200.0), 0.6)
    plate = Detection("plate", (0.0, 300.0, 80.0, 320.0), 1.0)
    small = Detection("face", tile_face, 0.9)  # scored higher: the score must not decide
    merged = _merged([big, plate], [small])
    assert merged[:2] == [big, plate]  # the whole-frame search's boxes are always kept
    assert (small in merged) is added


# --- prepared ahead ----------------------------------------------------------------------------


def test_boxes_prepared_ahead_mask_exactly_as_detecting_inline(tmp_path):
    """`track_video` detects without encoding; masking with what it found detects nothing and
    gives the frames that detecting inline gives, for the same part of the video."""
    source = tmp_path / "in.mp4"
    make_clip(source, 31 / FPS, fps=FPS, width=WIDTH, height=HEIGHT)
    keep = (0.5, 1.8)
    ahead = MovingObject(bgr_frames(source))
    options = Options(kinds=frozenset(), look=SOLID_BOX, extra_detectors=(ahead,))
    tracked = track_video(source, options, keep=keep)
    assert len(tracked.frames) == 19  # frames 8 (0.53 s) to 26 (1.73 s)
    assert (tracked.shape.width, tracked.shape.height) == (WIDTH, HEIGHT)
    assert ahead.seen  # it did detect

    inline = MovingObject(bgr_frames(source))
    live_target, prepared_target = tmp_path / "inline.mp4", tmp_path / "prepared.mp4"
    live = redact_video(source, live_target, replace(options, extra_detectors=(inline,)), keep=keep)
    unused = MovingObject(bgr_frames(source))
    served = redact_video(
        source,
        prepared_target,
        replace(options, extra_detectors=(unused,)),
        keep=keep,
        prepared=tracked.frames,
    )
    assert unused.seen == []  # nothing was detected
    assert served.boxes == live.boxes == tracked.frames
    # The same pictures went to the encoder; x264's threads may still round a few pixels
    # differently on a busy machine (a level or a few), where a mask moved would differ by
    # the whole difference between the fill and the picture.
    for a, b in zip(lumas(live_target), lumas(prepared_target), strict=True):
        assert np.abs(a.astype(np.int16) - b).max() <= ENCODER_NOISE


def test_boxes_prepared_for_fewer_frames_are_refused(tmp_path):
    source = tmp_path / "in.mp4"
    make_clip(source, 1, fps=FPS, width=WIDTH, height=HEIGHT)
    with pytest.raises(UnsupportedMedia, match="more frames than were prepared"):
        redact_video(source, tmp_path / "out.mp4", Options(), prepared=[[]] * 3)


# --- one stream of many pieces -----------------------------------------------------------------


class _Collected:
    def __init__(self):
        self.data = bytearray()

    def write(self, data):
        self.data += data
        return len(data)


def test_a_stream_of_pieces_keeps_their_times_and_one_size(tmp_path):
    """Two pieces, the second filmed at another size (the camera's settings changed): one
    stream, every frame at the first piece's size, the second piece where the window has it."""
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    make_clip(first, 1, fps=FPS, width=WIDTH, height=HEIGHT)
    make_clip(second, 1, fps=FPS, width=2 * WIDTH, height=2 * HEIGHT)
    fake = FixedBoxes((100.0, 220.0, 180.0, 300.0))  # in the second piece's pixels
    options = Options(kinds=frozenset(), look=SOLID_BOX, extra_detectors=(fake,))
    sink = _Collected()
    stream = MaskedStream(sink, options, [fake])
    assert stream.add(first.read_bytes(), (0, 1), 0.0, None, "a") == FPS
    assert stream.add(second.read_bytes(), (0, 1), 5.0, None, "b") == FPS
    stream.close()
    with av.open(io.BytesIO(bytes(sink.data))) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 2 * FPS
    assert {(f.width, f.height) for f in frames} == {(WIDTH, HEIGHT)}
    assert float(frames[FPS].time) == pytest.approx(5.0, abs=0.001)
    # the box found in the larger picture is scaled with it: masked at the same place
    luma = frames[FPS].to_ndarray(format="yuv420p")[:HEIGHT]
    assert_masked(luma, (50, 110, 90, 150), "the second piece")
