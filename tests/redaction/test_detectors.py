"""Detectors: the shipped face and plate detectors, box arithmetic, and user ONNX models."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from custos.errors import ConfigError
from custos.redaction.detectors import (
    MIN_STROKE_CROSSINGS,
    PLATE,
    Box,
    CenterFace,
    Detection,
    OnnxDetector,
    PlateCascade,
    PlateFinder,
    PlateShapes,
    iou,
    stroke_crossings,
    suppress_overlaps,
)
from custos.redaction.measure import compare
from custos.redaction.pipeline import Options, redact_image


@pytest.fixture(scope="module")
def centerface():
    return CenterFace()


def noise(height, width, seed=3):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def drawn_face(height, width, cx, cy, r):
    """A cartoon face (skin, hair, eyes, brows, nose, mouth) of half-width `r` on a green wall."""
    picture = np.full((height, width, 3), (90, 120, 60), dtype=np.uint8)
    cv2.ellipse(picture, (cx, cy), (r, int(r * 1.3)), 0, 0, 360, (120, 150, 200), -1)
    hair = (cx, cy - int(r * 0.9))
    cv2.ellipse(picture, hair, (int(r * 1.1), int(r * 0.7)), 0, 180, 360, (20, 25, 35), -1)
    for side in (-1, 1):
        ex, ey = cx + side * int(r * 0.4), cy - int(r * 0.2)
        cv2.ellipse(picture, (ex, ey), (int(r * 0.2), int(r * 0.1)), 0, 0, 360, (230,) * 3, -1)
        cv2.circle(picture, (ex, ey), max(2, int(r * 0.09)), (30, 20, 10), -1)
        brow = ((ex - int(r * 0.22), ey - int(r * 0.25)), (ex + int(r * 0.22), ey - int(r * 0.28)))
        cv2.line(picture, *brow, (30, 30, 40), max(2, r // 15))
    nose = (cx, cy + int(r * 0.15))
    cv2.ellipse(picture, nose, (int(r * 0.1), int(r * 0.2)), 0, 0, 360, (95, 120, 170), -1)
    mouth = (cx, cy + int(r * 0.6))
    cv2.ellipse(picture, mouth, (int(r * 0.35), int(r * 0.12)), 0, 0, 360, (70, 70, 150), -1)
    return picture


def within(box, width, height):
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height


# --- CenterFace --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        np.full((240, 320, 3), 128, dtype=np.uint8),
        noise(240, 320),
        np.full((250, 333, 3), 40, dtype=np.uint8),  # not a multiple of 32 either way
        noise(250, 333),
        noise(31, 45),  # smaller than one network cell row of 32
    ],
    ids=["grey", "noise", "dark 333x250", "noise 333x250", "tiny"],
)
def test_centerface_finds_nothing_where_there_is_no_face(centerface, frame):
    assert centerface.detect(frame) == []


@pytest.mark.parametrize(
    ("height", "width", "cx", "cy", "r", "search_width"),
    [
        (250, 333, 250, 160, 18, None),  # the network's input is padded to 352x256
        (500, 666, 500, 320, 36, 333),  # searched at half size
    ],
)
def test_centerface_box_lies_on_the_face_in_frame_pixels(height, width, cx, cy, r, search_width):
    """The box comes back in the frame's pixels: the padding and the scaling are undone."""
    detector = CenterFace(width=search_width)
    [face] = detector.detect(drawn_face(height, width, cx, cy, r))
    x0, y0, x1, y1 = face.box
    assert within(face.box, width, height)
    assert face.kind == "face"
    assert 0.3 <= face.score <= 1
    # Padding 333 to 352 without undoing it would move the centre by 5.7 %: 14 pixels here.
    assert abs((x0 + x1) / 2 - cx) <= 0.25 * r
    assert abs((y0 + y1) / 2 - cy) <= 0.4 * r
    assert 1.2 * r <= x1 - x0 <= 2.6 * r
    assert 1.2 * r <= y1 - y0 <= 3.4 * r


# Faces cut by the bottom edge of the frame, as (height, width, cx, cy, r).
AT_THE_EDGE = [(250, 333, 166, 236, 18), (240, 320, 160, 228, 20)]


@pytest.mark.parametrize(("height", "width", "cx", "cy", "r"), AT_THE_EDGE)
def test_centerface_finds_a_face_cut_by_the_frame_edge(centerface, height, width, cx, cy, r):
    [face] = centerface.detect(drawn_face(height, width, cx, cy, r))
    x0, y0, x1, y1 = face.box
    assert 0 <= x0 < cx < x1
    assert 0 <= y0 < cy < y1


@pytest.mark.parametrize(("height", "width", "cx", "cy", "r"), AT_THE_EDGE)
def test_centerface_keeps_the_whole_box_of_a_face_cut_by_the_edge(
    centerface, height, width, cx, cy, r
):
    # The box is the face's, not the visible part's: its mask keeps the face's shape.
    [face] = centerface.detect(drawn_face(height, width, cx, cy, r))
    x0, _, x1, y1 = face.box
    assert y1 > height
    assert x0 < cx < x1


def test_centerface_threshold_is_applied():
    picture = drawn_face(250, 333, 250, 160, 18)
    [face] = CenterFace(threshold=0.05).detect(picture)
    assert CenterFace(threshold=min(0.99, face.score + 0.01)).detect(picture) == []


# --- plates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [np.full((240, 320, 3), 128, dtype=np.uint8), np.zeros((250, 333, 3), dtype=np.uint8)],
    ids=["grey", "black"],
)
def test_plate_detectors_find_nothing_in_a_blank_frame(frame):
    assert PlateCascade().detect(frame) == []
    assert PlateShapes().detect(frame) == []
    assert PlateFinder().detect(frame) == []


def _drawn_plate(text: str, size: tuple[int, int], light: bool) -> tuple[np.ndarray, Box]:
    """A street-grey picture with one plate of `size` (w, h): characters filling a plain panel."""
    picture = np.full((360, 640, 3), 90, dtype=np.uint8)
    cv2.rectangle(picture, (40, 300), (600, 340), (70, 70, 70), -1)  # a kerb, not a plate
    w, h = size
    left, top = 260, 150
    panel, ink = ((235, 235, 235), (20, 20, 20)) if light else ((30, 30, 30), (230, 230, 230))
    cv2.rectangle(picture, (left, top), (left + w, top + h), panel, -1)
    font = cv2.FONT_HERSHEY_SIMPLEX
    (text_w, text_h), _ = cv2.getTextSize(text, font, 1.0, 2)
    scale = min((w - 12) / text_w, (h * 0.6) / text_h)
    (text_w, text_h), _ = cv2.getTextSize(text, font, scale, 2)
    origin = (left + (w - text_w) // 2, top + (h + text_h) // 2)
    cv2.putText(picture, text, origin, font, scale, ink, 2, cv2.LINE_AA)
    return picture, (left, top, left + w, top + h)


@pytest.mark.parametrize(
    ("text", "size", "light"),
    [
        ("AB123CD", (200, 44), True),  # a long European plate
        ("ABC1D23", (150, 50), True),  # a Mercosur plate
        ("7ABC123", (120, 60), False),  # light characters on a dark panel
    ],
    ids=["eu", "mercosur", "dark"],
)
def test_plate_shapes_hide_plates_of_other_shapes_than_the_cascade_knows(text, size, light):
    picture, plate = _drawn_plate(text, size, light)
    found = PlateShapes().detect(picture)
    assert found, "the plate is found"
    assert all(d.kind == PLATE for d in found)
    assert all(iou(d.box, plate) > 0 for d in found), "nothing but the plate (not the kerb)"
    masked = picture.copy()
    redact_image(masked, Options(kinds=frozenset({PLATE})))  # in place
    assert compare(picture, masked, [plate]).left == 0, "its characters are no longer legible"


@pytest.mark.parametrize(
    ("text", "size", "light"),
    [("AB123CD", (200, 44), True), ("ABC1D23", (150, 50), True), ("7ABC123", (120, 60), False)],
    ids=["eu", "mercosur", "dark"],
)
def test_a_plate_s_characters_cross_a_row_many_times(text, size, light):
    picture, plate = _drawn_plate(text, size, light)
    grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    assert stroke_crossings(grey, plate) >= 14  # seven characters, two edges each
    found = PlateFinder().detect(picture)
    assert found
    assert all(iou(d.box, plate) > 0 for d in found)


@pytest.mark.parametrize(
    ("text", "size", "light"),
    [("EXIT", (120, 40), False), ("BUS", (150, 50), True), ("", (150, 50), True)],
    ids=["exit-sign", "bus-sign", "blank-panel"],
)
def test_a_sign_with_a_short_word_is_not_taken_for_a_plate(text, size, light):
    picture, panel = _drawn_plate(text, size, light)
    grey = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    assert stroke_crossings(grey, panel) < MIN_STROKE_CROSSINGS
    assert PlateFinder().detect(picture) == []
    assert PlateFinder(min_crossings=0).detect(picture) == PlateCascade().detect(
        picture
    ) + PlateShapes().detect(picture)  # the filter is what drops it


@pytest.mark.parametrize(
    "box", [(0, 0, 2, 2), (-50, -50, -10, -10), (630, 350, 700, 400), (10, 10, 10, 40)]
)
def test_stroke_crossings_of_a_box_too_small_or_outside_is_zero(box):
    grey = np.full((360, 640), 128, dtype=np.uint8)
    assert stroke_crossings(grey, box) == 0.0


# --- box arithmetic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),  # identical
        ((0, 0, 10, 10), (20, 20, 30, 30), 0.0),  # disjoint
        ((0, 0, 10, 10), (10, 0, 20, 10), 0.0),  # touching along an edge
        ((0, 0, 10, 10), (5, 0, 15, 10), 50 / 150),  # half of each: overlap 50, union 150
        ((0, 0, 10, 10), (0, 0, 5, 10), 50 / 100),  # one half of the other
        ((0, 0, 10, 10), (5, 5, 15, 15), 25 / 175),  # a quarter of each
        ((0, 0, 4, 4), (1, 1, 3, 3), 4 / 16),  # one inside the other
        ((5, 5, 5, 5), (5, 5, 5, 5), 0.0),  # no area
    ],
)
def test_iou(a, b, expected):
    assert iou(a, b) == pytest.approx(expected)
    assert iou(b, a) == pytest.approx(expected)


def test_suppress_overlaps_keeps_the_best_of_each_overlapping_group():
    best = Detection("face", (0, 0, 10, 10), 0.9)
    shifted = Detection("face", (1, 0, 11, 10), 0.8)  # iou 90/110 with `best`
    apart = Detection("face", (20, 20, 30, 30), 0.7)
    half = Detection("face", (0, 0, 5, 10), 0.95)  # iou exactly 0.5 with `best`
    assert suppress_overlaps([apart, shifted, best], 0.5) == [best, apart]
    assert suppress_overlaps([shifted, best], 0.95) == [best, shifted]
    # At exactly the threshold both stay; above it only the better one.
    assert suppress_overlaps([best, half], 0.5) == [half, best]
    assert suppress_overlaps([best, half], 0.49) == [half]
    assert suppress_overlaps([], 0.5) == []


# --- user ONNX models ----------------------------------------------------------------------------

INPUT_WIDTH, INPUT_HEIGHT = 64, 32
FRAME_WIDTH, FRAME_HEIGHT = 200, 100


def write_model(path, boxes, weights, biases, layout="nchw", columns=5, output="boxes"):
    """A model whose output rows are constant boxes with score `weight * level + bias`.

    `level` is the mean of the input's first channel, so the score of a row follows the
    brightness of one colour of the frame: the test controls it with the frame it passes.
    A row has `columns` values: 4 of box, the score, then a constant 0.25 (a class score the
    detector must ignore); with `columns` 4 the score is left out.
    """
    rows = len(boxes)
    shape = (
        [1, 3, INPUT_HEIGHT, INPUT_WIDTH] if layout == "nchw" else [1, INPUT_HEIGHT, INPUT_WIDTH, 3]
    )
    channel_axis = 1 if layout == "nchw" else 3

    def constant(name, values):
        array = np.asarray(values, dtype=np.float32)
        return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array, name))

    nodes = [
        constant("box", [boxes]),
        constant("weight", [[[w] for w in weights]]),
        constant("bias", [[[b] for b in biases]]),
        constant("extra", [[[0.25] for _ in boxes]]),
        helper.make_node(
            "Constant", [], ["first"], value=numpy_helper.from_array(np.asarray(0, np.int64))
        ),
        helper.make_node("Gather", ["image", "first"], ["channel"], axis=channel_axis),
        helper.make_node("ReduceMean", ["channel"], ["level"], keepdims=0),
        helper.make_node("Mul", ["weight", "level"], ["weighted"]),
        helper.make_node("Add", ["weighted", "bias"], ["score"]),
    ]
    parts = ["box", "score", "extra"][: 1 if columns == 4 else 2 if columns == 5 else 3]
    nodes.append(helper.make_node("Concat", parts, [output], axis=2))
    graph = helper.make_graph(
        nodes,
        "tiny-detector",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [1, rows, columns])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def write_config(folder, text, model="tiny.onnx"):
    path = folder / "detector.toml"
    base = f'kind = "thing"\nmodel = "{model}"\n'
    base += f"input_width = {INPUT_WIDTH}\ninput_height = {INPUT_HEIGHT}\n"
    path.write_text(base + text, encoding="utf-8")
    return path


def frame_of(bgr):
    return np.full((FRAME_HEIGHT, FRAME_WIDTH, 3), bgr, dtype=np.uint8)


WHITE, BLACK = frame_of((255, 255, 255)), frame_of((0, 0, 0))


def test_threshold_from_the_config_is_applied(tmp_path):
    # Row 1 scores the frame's brightness (0..1 with the default pixel scale 1/255); row 2 a
    # constant 0.4. The boxes are normalised xyxy, far apart so none suppresses the other.
    write_model(
        tmp_path / "tiny.onnx",
        [[0.25, 0.2, 0.75, 0.6], [0.0, 0.0, 0.1, 0.1]],
        weights=[1.0, 0.0],
        biases=[0.0, 0.4],
    )
    bright_only = OnnxDetector.from_file(write_config(tmp_path, "threshold = 0.5\n"))
    assert bright_only.kind == "thing"
    [found] = bright_only.detect(WHITE)
    assert found.score == pytest.approx(1.0)
    assert found.box == pytest.approx((50, 20, 150, 60))
    assert bright_only.detect(BLACK) == []
    grey = bright_only.detect(frame_of((128, 128, 128)))  # 128/255 is just over 0.5
    assert [d.score for d in grey] == [pytest.approx(128 / 255)]

    both = OnnxDetector.from_file(write_config(tmp_path, "threshold = 0.3\n"))
    assert sorted(d.score for d in both.detect(WHITE)) == [pytest.approx(0.4), pytest.approx(1)]
    [constant] = both.detect(BLACK)
    assert constant.box == pytest.approx((0, 0, 20, 10))


EXPECTED = (50.0, 20.0, 150.0, 60.0)  # in frame pixels, of a 200x100 frame


def as_row(box_format, normalised):
    """EXPECTED as the model would give it: in 0..1, or in the 64x32 input's pixels."""
    x0, y0, x1, y1 = EXPECTED
    if normalised:
        x0, x1 = x0 / FRAME_WIDTH, x1 / FRAME_WIDTH
        y0, y1 = y0 / FRAME_HEIGHT, y1 / FRAME_HEIGHT
    else:
        x0, x1 = x0 * INPUT_WIDTH / FRAME_WIDTH, x1 * INPUT_WIDTH / FRAME_WIDTH
        y0, y1 = y0 * INPUT_HEIGHT / FRAME_HEIGHT, y1 * INPUT_HEIGHT / FRAME_HEIGHT
    if box_format == "xywh":
        return [x0, y0, x1 - x0, y1 - y0]
    if box_format == "cxcywh":
        return [(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
    return [x0, y0, x1, y1]


@pytest.mark.parametrize("box_format", ["xyxy", "xywh", "cxcywh"])
@pytest.mark.parametrize("normalised", [True, False])
def test_boxes_are_brought_back_to_frame_pixels(tmp_path, box_format, normalised):
    write_model(tmp_path / "tiny.onnx", [as_row(box_format, normalised)], [0.0], [0.9], columns=6)
    config = f'box_format = "{box_format}"\nnormalised = {str(normalised).lower()}\n'
    detector = OnnxDetector.from_file(write_config(tmp_path, config))
    [found] = detector.detect(noise(FRAME_HEIGHT, FRAME_WIDTH))
    assert found.box == pytest.approx(EXPECTED, abs=1e-3)
    assert found.score == pytest.approx(0.9)
    assert found.kind == "thing"


def test_boxes_past_the_edge_are_kept_whole_and_overlaps_suppressed(tmp_path):
    rows = [
        [-0.1, -0.2, 0.3, 0.5],  # over the top-left corner
        [0.6, 0.5, 1.2, 1.5],  # over the bottom-right corner
        [0.61, 0.5, 1.2, 1.5],  # nearly the same, scoring less: suppressed
        [1.1, 0.2, 1.3, 0.4],  # wholly outside: dropped
    ]
    write_model(tmp_path / "tiny.onnx", rows, [0.0] * 4, [0.9, 0.8, 0.7, 0.9])
    detector = OnnxDetector.from_file(write_config(tmp_path, ""))
    found = detector.detect(WHITE)
    assert [d.box for d in found] == [
        pytest.approx((-20, -20, 60, 50)),
        pytest.approx((120, 50, 240, 150)),
    ]
    assert [d.score for d in found] == [pytest.approx(0.9), pytest.approx(0.8)]


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
@pytest.mark.parametrize("channels", ["rgb", "bgr"])
def test_layout_and_channel_order_reach_the_model(tmp_path, layout, channels):
    """The model scores its first channel: red first for rgb, blue first for bgr."""
    write_model(tmp_path / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [1.0], [0.0], layout=layout)
    config = f'layout = "{layout}"\nchannels = "{channels}"\n'
    detector = OnnxDetector.from_file(write_config(tmp_path, config))
    red, blue = frame_of((0, 0, 255)), frame_of((255, 0, 0))
    first, other = (red, blue) if channels == "rgb" else (blue, red)
    assert len(detector.detect(first)) == 1
    assert detector.detect(other) == []


def test_pixel_scale_and_mean_are_applied(tmp_path):
    write_model(tmp_path / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [1.0], [0.0])
    config = "pixel_scale = 0.01\nmean = [100.0, 100.0, 100.0]\nthreshold = 0\n"
    detector = OnnxDetector.from_file(write_config(tmp_path, config))
    [found] = detector.detect(frame_of((180, 180, 180)))
    assert found.score == pytest.approx((180 - 100) * 0.01, rel=1e-5)  # float32


def test_the_model_path_may_be_absolute(tmp_path):
    model = write_model(tmp_path / "elsewhere.onnx", [[0.25, 0.2, 0.75, 0.6]], [0.0], [0.9])
    folder = tmp_path / "configs"
    folder.mkdir()
    detector = OnnxDetector.from_file(write_config(folder, "", model=str(model)))
    assert len(detector.detect(WHITE)) == 1


# --- configuration errors ----------------------------------------------------------------------


def test_a_mistyped_key_is_named(tmp_path):
    write_model(tmp_path / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [0.0], [0.9])
    path = write_config(tmp_path, "treshold = 0.5\n")
    with pytest.raises(ConfigError) as raised:
        OnnxDetector.from_file(path)
    assert "treshold" in raised.value.message
    assert str(path) in raised.value.message


def test_a_missing_key_is_named(tmp_path):
    write_model(tmp_path / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [0.0], [0.9])
    path = tmp_path / "detector.toml"
    path.write_text('kind = "thing"\nmodel = "tiny.onnx"\ninput_width = 64\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        OnnxDetector.from_file(path)
    assert "input_height" in raised.value.message


@pytest.mark.parametrize(("key", "value"), [("threshold", "1.5"), ("box_format", '"yxyx"')])
def test_a_bad_value_is_named(tmp_path, key, value):
    write_model(tmp_path / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [0.0], [0.9])
    with pytest.raises(ConfigError) as raised:
        OnnxDetector.from_file(write_config(tmp_path, f"{key} = {value}\n"))
    assert key in raised.value.message


def test_a_missing_model_file_is_named(tmp_path):
    path = write_config(tmp_path, "", model="absent.onnx")
    with pytest.raises(ConfigError) as raised:
        OnnxDetector.from_file(path)
    assert str(tmp_path / "absent.onnx") in raised.value.message


def test_a_toml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "detector.toml"
    path.write_text('kind = "thing\nmodel = "tiny.onnx"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        OnnxDetector.from_file(path)
    assert str(path) in raised.value.message


def test_a_missing_config_file_is_named(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as raised:
        OnnxDetector.from_file(path)
    assert str(path) in raised.value.message


def test_an_output_the_model_lacks_is_named(tmp_path):
    write_model(tmp_path / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [0.0], [0.9])
    with pytest.raises(ConfigError) as raised:
        OnnxDetector.from_file(write_config(tmp_path, 'output = "detections"\n'))
    assert "'detections'" in raised.value.message
    assert "'boxes'" in raised.value.message  # and says what it has


def test_a_named_output_is_used(tmp_path):
    write_model(tmp_path / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [0.0], [0.9], output="dets")
    detector = OnnxDetector.from_file(write_config(tmp_path, 'output = "dets"\n'))
    assert len(detector.detect(WHITE)) == 1


@pytest.mark.parametrize(
    "content",
    [b"this is not an ONNX model\n", b"", bytes(range(256)) * 8],
    ids=["text", "empty", "binary"],
)
def test_a_file_that_is_not_a_model_is_a_config_error(tmp_path, content):
    model = tmp_path / "tiny.onnx"
    model.write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        OnnxDetector.from_file(write_config(tmp_path, ""))
    assert "tiny.onnx" in raised.value.message


def test_rows_without_a_score_are_a_config_error(tmp_path):
    write_model(tmp_path / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [0.0], [0.9], columns=4)
    detector = OnnxDetector.from_file(write_config(tmp_path, ""))
    with pytest.raises(ConfigError) as raised:
        detector.detect(WHITE)
    assert "5" in raised.value.message
    assert "tiny.onnx" in raised.value.message


def test_model_path_is_resolved_beside_the_config(tmp_path):
    folder = tmp_path / "detectors"
    folder.mkdir()
    write_model(folder / "tiny.onnx", [[0.25, 0.2, 0.75, 0.6]], [0.0], [0.9])
    detector = OnnxDetector.from_file(write_config(folder, ""))
    assert Path(detector.config.model) == folder / "tiny.onnx"
