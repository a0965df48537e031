"""What a file is and how large it says it is, read from its header before anything decodes it."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest

from custos.errors import UnsupportedMedia
from custos.redaction.inputs import PICTURE, VIDEO, Limits, kind_of, picture_size, sniff
from helpers import SHARED_TESTDATA, png_declaring


def encoded(suffix: str, picture: np.ndarray, *params: int) -> bytes:
    ok, data = cv2.imencode(suffix, picture, list(params))
    assert ok
    return data.tobytes()


PICTURE_OF = np.random.default_rng(3).integers(0, 256, (37, 53, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    "data",
    [
        encoded(".png", PICTURE_OF),
        encoded(".jpg", PICTURE_OF),
        encoded(".jpg", PICTURE_OF, cv2.IMWRITE_JPEG_PROGRESSIVE, 1),
        encoded(".jpg", PICTURE_OF, cv2.IMWRITE_JPEG_OPTIMIZE, 1),
    ],
    ids=["png", "jpeg", "progressive jpeg", "optimised jpeg"],
)
def test_the_size_is_read_from_the_header(data: bytes) -> None:
    assert picture_size(io.BytesIO(data), "it") == (53, 37)


def test_the_size_of_every_shared_photo_is_what_it_decodes_to() -> None:
    photos = sorted((SHARED_TESTDATA / "faces").glob("*.jpg"))[:6]
    photos += sorted((SHARED_TESTDATA / "plates").glob("*.jpg"))[:6]
    photos.append(SHARED_TESTDATA / "video" / "gen1_test_image.jpg")
    if not all(path.is_file() for path in photos) or len(photos) < 13:
        pytest.fail(f"the shared test data is missing: {SHARED_TESTDATA}")
    for path in photos:
        decoded = cv2.imread(str(path))
        with path.open("rb") as handle:
            assert picture_size(handle, path.name) == (decoded.shape[1], decoded.shape[0]), path


def test_the_header_alone_is_read() -> None:
    data = png_declaring(65500, 65500)
    handle = io.BytesIO(data)
    assert picture_size(handle, "it") == (65500, 65500)
    assert handle.tell() == 8 + 16


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "not a JPEG or PNG"),
        (b"GIF89a....", "not a JPEG or PNG"),
        (b"\x89PNG\r\n\x1a\n", "PNG header is missing"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIEND" + bytes(8), "PNG header is missing"),
        (b"\xff\xd8\xff", "cut short"),
        (b"\xff\xd8\xff\xe0\x00", "cut short"),
        (b"\xff\xd8\xff\xe0\x00\x01", "does not hold together"),
        (b"\xff\xd8\xff\xe0\x00\x04ab\x00\x00", "does not hold together"),
        (b"\xff\xd8\xff\xda\x00\x04", "declares no size"),
        (b"\xff\xd8\xff\xd9", "declares no size"),
        (b"\xff\xd8\xff\xc0\x00\x11\x08\x00", "cut short"),
    ],
)
def test_a_header_that_does_not_hold_together_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(UnsupportedMedia, match=words) as refused:
        picture_size(io.BytesIO(data), "the picture x.jpg")
    assert refused.value.message.startswith("the picture x.jpg ")


def test_limits_refuse_too_long_a_side_and_too_many_pixels() -> None:
    limits = Limits(max_side=8192, max_pixels=40_000_000)
    limits.check("it", 8192, 4882)
    with pytest.raises(UnsupportedMedia, match=r"the picture p\.png is 8193x10 pixels"):
        limits.check("the picture p.png", 8193, 10)
    with pytest.raises(UnsupportedMedia, match="over the limit of 8192 pixels a side and 40 mega"):
        limits.check("it", 8000, 6000)
    with pytest.raises(UnsupportedMedia, match="declares no picture size"):
        limits.check("it", 0, 480)


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("a.jpg", b"\xff\xd8\xff\xe0", PICTURE),
        ("a.mp4", b"\x89PNG\r\n\x1a\n", PICTURE),  # the bytes win over the name
        ("a.jpg", b"\x00\x00\x00\x18ftypisom", VIDEO),
        ("a", b"\x1a\x45\xdf\xa3\x01", VIDEO),
        ("a.avi", b"RIFF\x00\x00\x00\x00AVI LIST", VIDEO),
        ("a.jpg", b"", PICTURE),  # an empty .jpg is a picture by its name
        ("a.PNG", b"garbage", PICTURE),
        ("a.mkv", b"", VIDEO),
        ("notes.txt", b"not a video", None),
    ],
)
def test_the_kind_is_the_bytes_then_the_name(name: str, head: bytes, kind: str | None) -> None:
    assert kind_of(Path(name), head) == kind
    assert sniff(head) in (kind, None)
