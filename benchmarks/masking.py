"""Masking as an outsider measures it: faces left sharp, plates covered, pixels masked needlessly.

On every file of the shared test data (`video/`, `video-more/`, `faces/`, `plates/`,
`plates-br/`), Custos redacts with its defaults (faces; plates too in the plate folders) and
deface 1.5.0 with its own (faces only: it has no plates), in the same run. Then, for each
output:

- **Faces left.** CenterFace, run on the *input* at full size on every frame at threshold 0.5,
  finds the faces there. One counts as *left* when the sharpness of the output inside its box
  (variance of the Laplacian of the grey picture) has not dropped to a quarter of the input's.
  The residual rate is left / found over every frame of every file.
- **Plates covered.** The same test on each annotated plate box; beside it, how many plates the
  detector reports per picture that do not touch the annotated one (signs, lettering, grilles).
- **Over-masking.** The share of pixels changed by more than 40 grey levels outside the faces'
  (or plates') boxes grown by their own size on every side.
- **Frames.** Each output must have as many frames as its input.

Part of the data is held back from tuning (`HELD_BACK`) and reported apart. `fps_720` is the
speed of `custos redact` on the 720p clip of `benchmarks/redaction.py`. Prints one JSON line.

    .venv/bin/python benchmarks/masking.py [--only video-more] [--no-deface] [--no-speed]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))

from custos.redaction.detectors import FACE, PLATE, CenterFace, PlateFinder, iou
from custos.redaction.measure import Rect, clipped, compare
from custos.redaction.pipeline import Options, redact_file
from redaction import (
    CACHE,
    DEFACE,
    DEFACE_OPTIONS,
    TESTDATA,
    deface_ready,
    log,
    make_clips,
    timed,
)

FOLDERS = ("video", "video-more", "faces", "plates", "plates-br")
PLATE_FOLDERS = ("plates", "plates-br")
# Kept out of every choice of defaults: the figures on these say how the engine generalises.
HELD_BACK = {
    "video-more/head-pose-face-detection-male.mp4",
    "video-more/asl-eat.mkv",
    "video-more/worker-zone-detection.mp4",
}  # and the last third of plates-br, in sorted order
TRUTH_THRESHOLD = 0.5
WORK = CACHE.parent / "masking"

Image = NDArray[np.uint8]
Box = Rect


COUNTS = (
    "found",
    "left",
    "plates",
    "plates_covered",
    "changed_outside",
    "pixels_outside",
    "frames_in",
    "frames_out",
    "false_plates",
)


@dataclass
class Tally:
    """Counts of one tool over a set of files."""

    found: int = 0
    left: int = 0
    plates: int = 0
    plates_covered: int = 0
    changed_outside: int = 0
    pixels_outside: int = 0
    frames_in: int = 0
    frames_out: int = 0
    false_plates: int = 0  # plate detections nowhere near the annotated plate (signs, ...)
    files: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Add `other`'s counts to these."""
        for name in (
            "found",
            "left",
            "plates",
            "plates_covered",
            "changed_outside",
            "false_plates",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.pixels_outside += other.pixels_outside
        self.frames_in += other.frames_in
        self.frames_out += other.frames_out
        self.files.extend(other.files)

    def figures(self) -> dict[str, object]:
        """Rates rounded for the JSON line."""
        return {
            "faces_found": self.found,
            "faces_left": self.left,
            "residual": round(self.left / self.found, 4) if self.found else None,
            "plates": self.plates,
            "plate_coverage": round(self.plates_covered / self.plates, 4) if self.plates else None,
            "false_plates_per_image": round(self.false_plates / self.plates, 2)
            if self.plates
            else None,
            "overmask": round(self.changed_outside / self.pixels_outside, 5)
            if self.pixels_outside
            else None,
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
        }


def inputs(only: str | None) -> Iterator[tuple[str, Path]]:
    """(folder, file) for every picture and clip measured."""
    for folder in FOLDERS:
        if only and folder != only:
            continue
        for path in sorted((TESTDATA / folder).iterdir()):
            if path.suffix.lower() in (".mp4", ".mkv", ".jpg", ".jpeg", ".png"):
                yield folder, path


def held_back(folder: str, path: Path) -> bool:
    """Whether a file is kept out of tuning."""
    if folder == "plates-br":
        names = sorted(p.name for p in (TESTDATA / folder).glob("*.jpg"))
        return path.name in names[len(names) * 2 // 3 :]
    return f"{folder}/{path.name}" in HELD_BACK


def frames(path: Path) -> Iterator[Image]:
    """Every frame of a clip or the one picture, as BGR."""
    if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
        picture = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if picture is None:
            raise ValueError(f"cannot read {path}")
        yield picture
        return
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="bgr24")


def annotated_plate(path: Path) -> Box | None:
    """The plate box annotated beside a photo of `plates/` or `plates-br/`."""
    note = path.with_suffix(".txt")
    if not note.exists():
        return None
    fields = note.read_text(encoding="utf-8").split()
    x, y, w, h = (int(value) for value in fields[1:5])
    return (x, y, x + w, y + h)


def truth(path: Path, folder: str, detector: CenterFace) -> list[list[Box]]:
    """The boxes to test in each frame: faces CenterFace finds, or the annotated plate.

    Kept in the cache folder, by file and size: they depend on the input alone.
    """
    cached = WORK / "truth" / folder / f"{path.name}-{path.stat().st_size}.json"
    if cached.exists():
        return [[tuple(box) for box in boxes] for boxes in json.loads(cached.read_text())]
    found = _truth(path, folder, detector)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(found))
    return found


def _truth(path: Path, folder: str, detector: CenterFace) -> list[list[Box]]:
    found: list[list[Box]] = []
    plate = annotated_plate(path) if folder in PLATE_FOLDERS else None
    for picture in frames(path):
        height, width = picture.shape[:2]
        if plate is not None:
            found.append([plate])
            continue
        found.append(
            [clipped(d.box, width, height) for d in detector.detect(picture) if d.score >= 0.5]
        )
    return found


def measure(source: Path, output: Path, boxes: list[list[Box]], plates: bool) -> Tally:
    """Compare `output` with `source` frame by frame over `boxes`."""
    tally = Tally(files=[source.name])
    outs = frames(output)
    for index, picture in enumerate(frames(source)):
        tally.frames_in += 1
        masked = next(outs, None)
        if masked is None:
            continue
        tally.frames_out += 1
        found = compare(picture, masked, boxes[index] if index < len(boxes) else [])
        if plates:
            tally.plates += found.regions
            tally.plates_covered += found.regions - found.left
        else:
            tally.found += found.regions
            tally.left += found.left
        tally.changed_outside += found.changed_outside
        tally.pixels_outside += found.pixels_outside
    tally.frames_out += sum(1 for _ in outs)
    return tally


def false_plates(path: Path, plate: Box, finder: PlateFinder) -> int:
    """How many plates the finder reports that do not touch the annotated one."""
    picture = next(frames(path))
    return sum(1 for found in finder.detect(picture) if iou(found.box, plate) == 0)


def run_custos(source: Path, target: Path, plates: bool) -> None:
    kinds = frozenset({FACE, PLATE}) if plates else frozenset({FACE})
    redact_file(source, target, Options(kinds=kinds))


def run_deface(source: Path, target: Path) -> None:
    command = [str(DEFACE), str(source), "-o", str(target), *DEFACE_OPTIONS]
    timed(command)


def speed() -> dict[str, float]:
    """Frames per second of `custos redact` on the 720p clip of benchmarks/redaction.py."""
    clip = make_clips(600)["720"]
    target = WORK / "speed-720.mp4"
    target.unlink(missing_ok=True)
    custos = [sys.executable, "-m", "custos", "redact", str(clip), str(target)]
    seconds = timed(custos)
    return {"fps_720": round(600 / seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=FOLDERS, help="Only this folder.")
    parser.add_argument("--no-deface", action="store_true", help="Measure Custos alone.")
    parser.add_argument("--no-speed", action="store_true", help="Skip the 720p speed run.")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if not args.no_deface:
        deface_ready()
    detector = CenterFace(threshold=TRUTH_THRESHOLD, width=None)
    plate_finder = PlateFinder()
    tools = ["custos"] if args.no_deface else ["custos", "deface"]
    by_folder: dict[str, dict[str, Tally]] = {}
    held: dict[str, Tally] = {tool: Tally() for tool in tools}
    tuned: dict[str, Tally] = {tool: Tally() for tool in tools}
    for folder, source in inputs(args.only):
        plates = folder in PLATE_FOLDERS
        boxes = truth(source, folder, detector)
        for tool in tools:
            if tool == "deface" and plates:
                continue
            suffix = ".mp4" if source.suffix.lower() in (".mp4", ".mkv") else source.suffix
            target = WORK / tool / folder / f"{source.stem}{suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            started = time.perf_counter()
            if tool == "custos":
                run_custos(source, target, plates)
            else:
                run_deface(source, target)
            tally = measure(source, target, boxes, plates)
            if tool == "custos" and plates:
                tally.false_plates = false_plates(source, boxes[0][0], plate_finder)
            log(
                f"{tool:6} {folder}/{source.name}: {tally.figures()} "
                f"({time.perf_counter() - started:.1f} s)"
            )
            by_folder.setdefault(folder, {}).setdefault(tool, Tally()).add(tally)
            (held if held_back(folder, source) else tuned)[tool].add(tally)
    overall = {tool: Tally() for tool in tools}
    for tools_of in by_folder.values():
        for tool, tally in tools_of.items():
            overall[tool].add(tally)
    custos = overall["custos"].figures()
    result: dict[str, object] = {
        "benchmark": "masking",
        "residual_custos": custos["residual"],
        "residual_deface": overall["deface"].figures()["residual"] if "deface" in overall else None,
        "plate_coverage": custos["plate_coverage"],
        "overmask_custos": custos["overmask"],
        "overmask_deface": overall["deface"].figures()["overmask"] if "deface" in overall else None,
        "frames_kept_custos": custos["frames_in"] == custos["frames_out"],
        "folders": {
            folder: {tool: tally.figures() for tool, tally in tools_of.items()}
            for folder, tools_of in by_folder.items()
        },
        "held_back": {tool: tally.figures() for tool, tally in held.items()},
        "tuned_on": {tool: tally.figures() for tool, tally in tuned.items()},
    }
    if not args.no_speed:
        result.update(speed())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
