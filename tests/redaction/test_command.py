"""`custos redact`: results on standard output, progress and errors on standard error."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import time

import av
import cv2
import numpy as np
import pytest

from custos import cli
from custos.recording.media import make_clip
from helpers import png_declaring, with_unreadable_metadata, write_detector

FRAMES = 30


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "clip.mp4"
    make_clip(path, FRAMES / 15, fps=15, width=320, height=240)
    return path


def custos(capsys, *argv):
    code = cli.run([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listing(folder):
    return sorted(path.name for path in folder.iterdir())


def result_lines(out, target):
    """The two lines the command prints; returns (frames, tracks masked, rest of the line)."""
    lines = out.splitlines()
    assert len(lines) == 2, out
    summary = re.fullmatch(
        re.escape(str(target)) + r": (\d+) frames?, (\d+) tracks? masked(.*)", lines[0]
    )
    assert summary, lines[0]
    assert lines[1] == f"record: {target.with_name(target.name + '.redaction.json')}"
    return int(summary[1]), int(summary[2]), summary[3]


def decoded_frames(path):
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_redacts_a_video(tmp_path, video, capsys):
    target = tmp_path / "out.mp4"
    code, out, err = custos(capsys, "redact", video, target)
    assert code == 0, err
    frames, masked, rest = result_lines(out, target)
    assert frames == FRAMES == decoded_frames(target)
    record = json.loads(target.with_name("out.mp4.redaction.json").read_text("utf-8"))
    assert masked == len(record["tracks"])
    assert rest == ""
    assert record["masked_kinds"] == ["face"]
    assert record["frames"] == FRAMES


@pytest.mark.parametrize(("flags", "tiles"), [((), 2), (("--no-sweep",), 0)])
def test_the_sweep_for_small_faces_is_on_unless_turned_off(tmp_path, capsys, flags, tiles):
    wide = tmp_path / "wide.mp4"
    make_clip(wide, 1, fps=15, width=480, height=240)
    target = tmp_path / "out.mp4"
    # 480 pixels is over twice 160: the frame is swept in tiles cut from it at 320 x 160.
    code, _, err = custos(capsys, "redact", wide, target, "--detect-size", "160", *flags)
    assert code == 0, err
    record = json.loads(target.with_name("out.mp4.redaction.json").read_text("utf-8"))
    assert (record["detect_size"], record["sweep_tiles"]) == (160, tiles)


def test_redacts_a_picture(tmp_path, capsys):
    source = tmp_path / "in.png"
    picture = np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    assert cv2.imwrite(str(source), picture)
    target = tmp_path / "out.png"
    code, out, err = custos(capsys, "redact", source, target, "--plates", "--people")
    assert code == 0, err
    frames, masked, _ = result_lines(out, target)
    assert frames == 1
    record = json.loads(target.with_name("out.png.redaction.json").read_text("utf-8"))
    assert record["masked_kinds"] == ["face", "person", "plate"]
    assert masked == len(record["tracks"])
    assert cv2.imread(str(target)).shape == picture.shape


def test_user_detector_and_revealing_its_track(tmp_path, video, capsys):
    detector = write_detector(tmp_path)
    options = ["--no-faces", "--detector", detector, "--style", "solid", "--shape", "box"]
    target = tmp_path / "masked.mp4"
    code, out, err = custos(capsys, "redact", video, target, *options)
    assert code == 0, err
    _, masked, rest = result_lines(out, target)
    assert (masked, rest) == (1, "")
    record = json.loads(target.with_name("masked.mp4.redaction.json").read_text("utf-8"))
    assert record["masked_kinds"] == ["badge"]
    [track] = record["tracks"]
    assert (track["kind"], track["frames"], track["visible"]) == ("badge", FRAMES, False)

    revealed = tmp_path / "revealed.mp4"
    reveal = ["--reveal", str(track["track"]), "--reason", "court order 7/2026"]
    code, out, err = custos(capsys, "redact", video, revealed, *options, *reveal)
    assert code == 0, err
    _, masked, rest = result_lines(out, revealed)
    assert (masked, rest) == (0, f", tracks {track['track']} visible")
    record = json.loads(revealed.with_name("revealed.mp4.redaction.json").read_text("utf-8"))
    assert record["visible_tracks"] == [track["track"]]
    assert record["visible_reason"] == "court order 7/2026"


def prepare(tmp_path, video, case):
    """The arguments of one failing command line, with its input made in `tmp_path`."""
    text = tmp_path / "notes.txt"
    text.write_text("not a video\n")
    picture = tmp_path / "in.png"
    cv2.imwrite(str(picture), np.full((40, 60, 3), 90, dtype=np.uint8))
    out = tmp_path / "out.mp4"
    typo = write_detector(tmp_path, extra="treshold = 0.5\n")
    return {
        "missing input": [tmp_path / "absent.mp4", out],
        "text file": [text, out],
        "picture to video": [picture, out],
        "reveal without reason": [video, out, "--reveal", "1"],
        "reveal of no track": [video, out, "--reveal", "7", "--reason", "asked for it"],
        "nothing to mask": [video, out, "--no-faces"],
        "detector with a typo": [video, out, "--detector", typo],
        "missing detector file": [video, out, "--detector", tmp_path / "absent.toml"],
        "unknown style": [video, out, "--style", "sepia"],
        "detect every 0": [video, out, "--detect-every", "0"],
    }[case]


# case: (exit code, words stderr must hold)
FAILURES = {
    "missing input": (5, ["absent.mp4"]),
    "text file": (9, ["notes.txt"]),
    "picture to video": (9, ["in.png", ".mp4"]),
    "reveal without reason": (4, ["reason"]),
    "reveal of no track": (4, ["no track 7"]),
    "nothing to mask": (4, ["nothing to mask"]),
    "detector with a typo": (3, ["fixed.toml", "treshold"]),
    "missing detector file": (3, ["absent.toml"]),
    "unknown style": (2, ["sepia"]),
    "detect every 0": (2, ["--detect-every"]),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failures_exit_with_their_code_and_write_nothing(tmp_path, video, capsys, case):
    arguments = prepare(tmp_path, video, case)
    before = listing(tmp_path)
    code, out, err = custos(capsys, "redact", *arguments)
    expected, words = FAILURES[case]
    assert code == expected, err
    assert out == ""
    for word in words:
        assert word in err
    assert listing(tmp_path) == before


# docs/cli.md says an error is one line starting with `error:`; a progress bar stopped on a
# console that is not a terminal used to leave a blank line before it.
@pytest.mark.parametrize(
    "case",
    [
        case
        for case, (code, _) in FAILURES.items()
        if code != 2  # usage errors are click's own message, with the usage line
    ],
)
def test_an_error_is_one_line_starting_with_error(tmp_path, video, capsys, case):
    code, _, err = custos(capsys, "redact", *prepare(tmp_path, video, case))
    assert code == FAILURES[case][0]
    assert err.startswith("error: ")
    assert err.endswith("\n")
    assert len(err.splitlines()) == 1


def test_the_real_command_prints_results_on_stdout_and_progress_on_stderr(tmp_path, video):
    """One run of the installed command, as a separate process.

    Standard error is made to pass for a terminal so that the progress bar is drawn at all:
    it must be drawn there, and standard output must still hold only the two result lines.
    """
    target = tmp_path / "out.mp4"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    environment.update(TTY_COMPATIBLE="1", TTY_INTERACTIVE="1", NO_COLOR="1", TERM="xterm")
    run = subprocess.run(
        [sys.executable, "-m", "custos", "redact", str(video), str(target)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    frames, _, _ = result_lines(run.stdout, target)
    assert frames == FRAMES
    assert "redacting clip.mp4" in run.stderr
    assert f"{FRAMES}/{FRAMES}" in run.stderr
    assert target.with_name("out.mp4.redaction.json").is_file()


def test_a_video_cut_short_is_redacted_with_a_warning(tmp_path, video, capsys):
    # With its index first, the first 30 % of an MP4 still plays: what decodes is redacted,
    # and the command says that fewer frames came out than the file declares.
    whole = tmp_path / "whole.mp4"
    with (
        av.open(str(video)) as source,
        av.open(str(whole), "w", options={"movflags": "+faststart"}) as target,
    ):
        stream = target.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(video=0):
            if packet.dts is not None:
                packet.stream = stream
                target.mux(packet)
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) * 3 // 10])
    code, out, err = custos(capsys, "redact", cut, tmp_path / "out.mp4")
    assert "out.mp4" in out
    assert code == 0
    record = json.loads((tmp_path / "out.mp4.redaction.json").read_text())
    assert record["declared_frames"] == FRAMES
    assert 0 < record["frames"] < FRAMES
    assert f"declares {FRAMES} frames but {record['frames']} decoded" in err
    assert err.startswith("warning: cut.mp4")


# --- media that cannot be read, or is too large to decode ---------------------------------------


def jpeg_declaring(width, height):
    """A real small JPEG whose frame header is rewritten to declare `width` x `height`."""
    ok, data = cv2.imencode(".jpg", np.full((16, 16, 3), 128, dtype=np.uint8))
    assert ok
    data = bytearray(data.tobytes())
    at = data.find(b"\xff\xc0")
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(data)


UNREADABLE = {
    # case: (input name, how to make it, output name, words the one error line holds)
    "picture of 20000x20000": (
        "huge.png",
        lambda path, _: path.write_bytes(png_declaring(20000, 20000)),
        "out.png",
        ["the picture huge.png is 20000x20000 pixels", "over the limit"],
    ),
    "picture declaring 65500x65500": (
        "bomb.jpg",
        lambda path, _: path.write_bytes(jpeg_declaring(65500, 65500)),
        "out.jpg",
        ["the picture bomb.jpg is 65500x65500 pixels"],
    ),
    "empty picture": (
        "empty.jpg",
        lambda path, _: path.write_bytes(b""),
        "out.jpg",
        ["the picture empty.jpg is empty"],
    ),
    "empty video": (
        "empty.mp4",
        lambda path, _: path.write_bytes(b""),
        "out.mp4",
        ["the video empty.mp4 is empty"],
    ),
    "picture that does not decode": (
        "broken.png",
        lambda path, _: path.write_bytes(png_declaring(64, 48)),
        "out.png",
        ["the picture broken.png", "does not decode"],
    ),
    "metadata that is not text": (
        "meta.mp4",
        with_unreadable_metadata,
        "out.mp4",
        ["the video meta.mp4 is damaged", "metadata"],
    ),
    "video named as a picture": (
        "clip.jpg",
        lambda path, video: path.write_bytes(video.read_bytes()),
        "out.jpg",
        ["the video clip.jpg", ".mp4"],
    ),
    "garbage named as a video": (
        "noise.mp4",
        lambda path, _: path.write_bytes(bytes(range(256)) * 64),
        "out.mp4",
        ["the video noise.mp4 cannot be read"],
    ),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_unreadable_media_is_one_line_naming_it_and_one_exit_code(tmp_path, video, capsys, case):
    name, make, output, words = UNREADABLE[case]
    source = tmp_path / name
    make(source, video)
    before = listing(tmp_path)
    started = time.monotonic()
    code, out, err = custos(capsys, "redact", source, tmp_path / output)
    assert time.monotonic() - started < 5  # refused at once: nothing large is decoded
    assert code == 9, err
    assert out == ""
    assert err.startswith("error: "), err
    assert len(err.splitlines()) == 1, err
    for word in words:
        assert word in err
    assert "Traceback" not in err
    assert listing(tmp_path) == before


def test_the_pixel_limit_is_a_setting(tmp_path, video, capsys, monkeypatch):
    picture = tmp_path / "in.png"
    assert cv2.imwrite(str(picture), np.full((120, 160, 3), 90, dtype=np.uint8))
    monkeypatch.setenv("CUSTOS_MEDIA_MAX_SIDE", "100")
    code, _, err = custos(capsys, "redact", picture, tmp_path / "out.png")
    assert code == 9
    assert "the picture in.png is 160x120 pixels: over the limit of 100 pixels a side" in err
    code, _, err = custos(capsys, "redact", video, tmp_path / "out.mp4")
    assert code == 9
    assert "the video clip.mp4 is 320x240 pixels" in err
    monkeypatch.setenv("CUSTOS_MEDIA_MAX_SIDE", "8192")
    monkeypatch.setenv("CUSTOS_MEDIA_MAX_MEGAPIXELS", "0.01")
    code, _, err = custos(capsys, "redact", picture, tmp_path / "out.png")
    assert code == 9
    assert "0.01 megapixels" in err
    monkeypatch.setenv("CUSTOS_MEDIA_MAX_MEGAPIXELS", "0.02")
    code, _, err = custos(capsys, "redact", picture, tmp_path / "out.png")
    assert code == 0, err
    assert (tmp_path / "out.png").is_file()


def test_the_real_command_prints_no_traceback_for_unreadable_metadata(tmp_path, video):
    source = tmp_path / "meta.mp4"
    with_unreadable_metadata(source, video)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    run = subprocess.run(
        [sys.executable, "-m", "custos", "redact", str(source), str(tmp_path / "out.mp4")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 9
    assert run.stdout == ""
    assert run.stderr.startswith("error: the video meta.mp4 is damaged")
    assert len(run.stderr.splitlines()) == 1, run.stderr
