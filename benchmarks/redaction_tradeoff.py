"""The speed / recall trade-off of video redaction: detect on every k-th frame, at which size.

For each combination of `detect_every` (k) and `detect_size` (longer side of the picture the
detector sees), redacts a clip and measures frames per second and frame recall: the share of
reference faces covered (>= 70 % of the box under the mask) over all frames. The reference is
CenterFace at full size on every input frame at a confident threshold (0.5), so recall says
what downscaling and skipping frames lose against searching every frame at full size.

The clips are the ones benchmarks/redaction.py makes (run it first). Prints one JSON line:
{"clip": ..., "runs": [{"k", "size", "fps", "recall"}, ...]}.

    .venv/bin/python benchmarks/redaction_tradeoff.py [--clip 720] [--every 1,2,3,4]
        [--sizes 480,640,960]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import av

from custos.redaction.detectors import CenterFace
from custos.redaction.pipeline import Options, redact_file
from custos.redaction.render import mask_of

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


def run(clip: Path, every: int, size: int, reference: list[list[Box]]) -> dict[str, float]:
    """Redact `clip` with one setting; its fps and frame recall against `reference`."""
    options = Options(detect_every=every, detect_size=size)
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
        "fps": round(result.frames / seconds, 1),
        "recall": round(covered / total, 4) if total else 1.0,
        "faces": total,
    }


def main() -> None:
    """Measure every combination asked for and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", choices=["720", "1080"], default="720")
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--every", default="1,2,3,4")
    parser.add_argument("--sizes", default="480,640,960")
    args = parser.parse_args()
    clip = CACHE / f"c{args.clip}-{args.frames}.mp4"
    if not clip.is_file():
        sys.exit(f"{clip} is missing: run benchmarks/redaction.py --frames {args.frames} first")
    reference = reference_faces(clip)
    runs = []
    for every in (int(value) for value in args.every.split(",")):
        for size in (int(value) for value in args.sizes.split(",")):
            runs.append(run(clip, every, size, reference))
            print(runs[-1], file=sys.stderr, flush=True)
    print(json.dumps({"clip": clip.name, "frames": len(reference), "runs": runs}))


if __name__ == "__main__":
    main()
