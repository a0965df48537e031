"""`custos redact`: results on standard output, progress and errors on standard error."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import av
import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from custos import cli
from custos.recording.media import make_clip

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


def write_detector(folder, box=(0.25, 0.5, 0.5, 0.75), score=0.9, extra=""):
    """A user detector: a tiny ONNX model that finds `box` (normalised xyxy) in every frame."""
    rows = np.asarray([[[*box, score]]], dtype=np.float32)
    nodes = [
        helper.make_node("Constant", [], ["rows"], value=numpy_helper.from_array(rows, "rows")),
        helper.make_node("ReduceMean", ["image"], ["level"], keepdims=0),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.float32(0))),
        helper.make_node("Mul", ["level", "zero"], ["nothing"]),
        helper.make_node("Add", ["rows", "nothing"], ["boxes"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fixed-box",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 64])],
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 1, 5])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, folder / "fixed.onnx")
    config = folder / "fixed.toml"
    config.write_text(
        'kind = "badge"\nmodel = "fixed.onnx"\ninput_width = 64\ninput_height = 32\n' + extra,
        encoding="utf-8",
    )
    return config


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
