"""The speed / recall trade-off of video redaction: detect on every k-th frame, at which size.

For each combination of `detect_every` (k) and `detect_size` (longer side of the picture the
detector sees), redacts a clip and measures frames per second and frame recall: the share of
faces covered (>= 70 % of the box under the mask) over all frames.

Clips:
- `720`, `1080`: the clips benchmarks/redaction.py makes from the real face video (run it
  first). Their faces are large and move slowly; the faces to cover are those CenterFace finds
  at full size in every input frame at a confident threshold (0.5).
- `faces`: the harder case, with ground truth. The 9 annotated photos of the faces set, in a
  3 x 3 mosaic (1500 x 1125), filmed by a 1280 x 720 window that pans over it (up to 6 pixels
  a frame, changing direction), 300 frames. Its 43 faces are 37-125 pixels wide (most about
  40); the faces to cover are the annotated boxes wholly inside each frame.
- `small`: the same photos smaller, in a 1920 x 1080 window panning over a 12 x 8 mosaic:
  faces 15-50 pixels wide, most about 16, as a camera over a square shows them.

Prints one JSON line:
{"clip": ..., "runs": [{"k", "size", "sweep_tiles", "fps", "recall", "faces"}, ...]}.

    .venv/bin/python benchmarks/redaction_tradeoff.py [--clip 720|1080|faces|small]
        [--every 1,2,3,4] [--sizes 480,640,960] [--sweep on|off|on,off]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

from custos.redaction.detectors import CenterFace
from custos.redaction.pipeline import Options, Sweep, redact_file
from custos.redaction.render import mask_of
from redaction import TESTDATA, annotations  # the sibling benchmark: the faces set's boxes

CACHE = Path(__file__).resolve().parent / ".cache" / "redaction"
COVERED = 0.7

Box = tuple[int, int, int, int]


def reference_faces(clip: Path) -> list[list[Box]]:
    """Faces found at full size in every frame of `clip` (cached beside it)."""
    cached = clip.with_suffix(".reference.json")
    if cached.is_file():
        return [[tuple(box) for box in frame] for frame in json.loads(cached.read_text())]
    finder = CenterFace(threshold=0.5)
    faces: list[list[Box]] = []
    with av.open(str(clip)) as container:
        for frame in container.decode(video=0):
            found = finder.detect(frame.to_ndarray(format="bgr24"))
            faces.append(
                [
                    (round(d.box[0]), round(d.box[1]), round(d.box[2]), round(d.box[3]))
                    for d in found
                ]
            )
    cached.write_text(json.dumps(faces))
    return faces


def panning_clip(target: Path, frames: int = 300, small: bool = False) -> list[list[Box]]:
    """Write the mosaic clip of the faces set to `target`; its faces frame by frame.

    `small`: a 1920 x 1080 clip of a 12 x 8 mosaic of the photos at 200 x 150 each (every
    photo ten or eleven times), so its faces are 15-50 pixels wide, most about 16.
    """
    tile_width, tile_height, columns, rows = (200, 150, 12, 8) if small else (500, 375, 3, 3)
    faces = annotations()
    names = sorted(faces)
    mosaic = np.zeros((tile_height * rows, tile_width * columns, 3), dtype=np.uint8)
    boxes: list[Box] = []
    for index in range(columns * rows):
        name = names[index % len(names)]
        picture = cv2.imread(str(TESTDATA / "faces" / name))
        x_scale, y_scale = tile_width / picture.shape[1], tile_height / picture.shape[0]
        left, top = (index % columns) * tile_width, (index // columns) * tile_height
        mosaic[top : top + tile_height, left : left + tile_width] = cv2.resize(
            picture, (tile_width, tile_height), interpolation=cv2.INTER_AREA
        )
        for x0, y0, x1, y1 in faces[name]:
            boxes.append(
                (
                    round(left + x0 * x_scale),
                    round(top + y0 * y_scale),
                    round(left + x1 * x_scale),
                    round(top + y1 * y_scale),
                )
            )
    width, height = (1920, 1080) if small else (1280, 720)
    spare_x, spare_y = mosaic.shape[1] - width, mosaic.shape[0] - height
    truth: list[list[Box]] = []
    with av.open(str(target), "w") as output:
        stream = output.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "18"}
        for index in range(frames):
            x = round(spare_x / 2 * (1 + np.sin(2 * np.pi * index / 150)))
            y = round(spare_y / 2 * (1 + np.sin(2 * np.pi * index / 200 + 1)))
            view = np.ascontiguousarray(mosaic[y : y + height, x : x + width])
            output.mux(stream.encode(av.VideoFrame.from_ndarray(view, format="bgr24")))
            truth.append(
                [
                    (x0 - x, y0 - y, x1 - x, y1 - y)
                    for x0, y0, x1, y1 in boxes
                    if x0 >= x and y0 >= y and x1 <= x + width and y1 <= y + height
                ]
            )
        output.mux(stream.encode(None))
    return truth


def run(
    clip: Path, every: int, size: int, sweep: bool, reference: list[list[Box]]
) -> dict[str, float]:
    """Redact `clip` with one setting; its fps and frame recall against `reference`."""
    options = Options(detect_every=every, detect_size=size, sweep=sweep)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = redact_file(clip, Path(folder) / "out.mp4", options)
        seconds = time.perf_counter() - started
    covered = total = 0
    for index, faces in enumerate(reference):
        objects = [(tracked.kind, tracked.box) for tracked in result.boxes[index]]
        mask = mask_of(objects, options.look, result.width, result.height)
        for x0, y0, x1, y1 in faces:
            total += 1
            covered += float(mask[max(0, y0) : y1, max(0, x0) : x1].mean()) >= COVERED
    return {
        "k": every,
        "size": size,
        "sweep_tiles": len(Sweep.plan(result.width, result.height, options).tiles),
        "fps": round(result.frames / seconds, 1),
        "recall": round(covered / total, 4) if total else 1.0,
        "faces": total,
    }


def main() -> None:
    """Measure every combination asked for and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", choices=["720", "1080", "faces", "small"], default="720")
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--every", default="1,2,3,4")
    parser.add_argument("--sizes", default="480,640,960")
    parser.add_argument("--sweep", default="on", help="on, off, or on,off for both")
    args = parser.parse_args()
    if args.clip in ("faces", "small"):
        CACHE.mkdir(parents=True, exist_ok=True)
        clip = CACHE / f"{args.clip}-pan.mp4"
        reference = panning_clip(clip, small=args.clip == "small")
    else:
        clip = CACHE / f"c{args.clip}-{args.frames}.mp4"
        if not clip.is_file():
            sys.exit(f"{clip} is missing: run benchmarks/redaction.py --frames {args.frames}")
        reference = reference_faces(clip)
    runs = []
    for every in (int(value) for value in args.every.split(",")):
        for size in (int(value) for value in args.sizes.split(",")):
            for sweep in sorted({value == "on" for value in args.sweep.split(",")}):
                runs.append(run(clip, every, size, sweep, reference))
            print(runs[-1], file=sys.stderr, flush=True)
    print(json.dumps({"clip": clip.name, "frames": len(reference), "runs": runs}))


if __name__ == "__main__":
    main()
