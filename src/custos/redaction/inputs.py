"""What a file handed to redaction is, and how large it says it is, before anything decodes it.

A file is a picture or a video by its first bytes (JPEG, PNG; MP4, Matroska, AVI, MPEG, ...),
else by its name; what neither names is left for FFmpeg to try. A picture's size is read from
its header — PNG's IHDR chunk, JPEG's first frame (SOF) segment — with nothing decoded, and a
video's from the stream FFmpeg found; both are held against `Limits` first, so that a file
declaring 65500x65500 pixels is refused at once instead of making the decoder allocate
gigabytes. Every refusal is an `UnsupportedMedia` that names the file by its kind.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from custos.errors import UnsupportedMedia

PICTURE = "picture"
VIDEO = "video"

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_START = b"\xff\xd8\xff"

# JPEG markers that start a frame and carry its size: SOF0-3, 5-7, 9-11, 13-15 (not DHT C4,
# JPG C8, DAC CC).
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, with no length after them: TEM, RST0-7, SOI.
_JPEG_ALONE = frozenset({0x01, *range(0xD0, 0xD8), 0xD8})
_JPEG_SCAN, _JPEG_END = 0xDA, 0xD9


@dataclass(frozen=True)
class Limits:
    """The largest picture Custos decodes: pixels on the longer side, and pixels in all."""

    max_side: int = 8192
    max_pixels: int = 40_000_000

    def check(self, what: str, width: int, height: int) -> None:
        """UnsupportedMedia unless a `width` x `height` picture is within the limits."""
        if width < 1 or height < 1:
            raise UnsupportedMedia(f"{what} declares no picture size ({width}x{height})")
        if max(width, height) > self.max_side or width * height > self.max_pixels:
            raise UnsupportedMedia(
                f"{what} is {width}x{height} pixels: over the limit of {self.max_side} "
                f"pixels a side and {self.max_pixels / 1e6:g} megapixels"
            )


def sniff(head: bytes) -> str | None:
    """PICTURE or VIDEO by a file's first 16 bytes, None when they say neither."""
    if head.startswith((JPEG_START, PNG_SIGNATURE)):
        return PICTURE
    if (
        head[4:8] == b"ftyp"  # MP4, MOV, M4V
        or head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska, WebM
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
        or head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"))  # MPEG programme, video
        or head.startswith((b"FLV", b"OggS"))
    ):
        return VIDEO
    return None


def kind_of(path: Path, head: bytes) -> str | None:
    """What `path` is, by its first bytes, else by its suffix; None when it says nothing."""
    found = sniff(head)
    if found is not None:
        return found
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return PICTURE
    if suffix in VIDEO_SUFFIXES:
        return VIDEO
    return None


def picture_size(handle: IO[bytes], what: str) -> tuple[int, int]:
    """(width, height) from a JPEG or PNG header, reading nothing beyond the header.

    UnsupportedMedia when the header is not there or does not hold together.
    """
    head = handle.read(8)
    if head == PNG_SIGNATURE:
        return _png_size(handle, what)
    if head.startswith(JPEG_START):
        handle.seek(2)
        return _jpeg_size(handle, what)
    raise UnsupportedMedia(f"{what} is not a JPEG or PNG picture")


def _png_size(handle: IO[bytes], what: str) -> tuple[int, int]:
    chunk = handle.read(16)  # length, "IHDR", width, height
    if len(chunk) < 16 or chunk[4:8] != b"IHDR":
        raise UnsupportedMedia(f"{what} is damaged: its PNG header is missing or cut short")
    width, height = struct.unpack(">II", chunk[8:16])
    return width, height


def _jpeg_size(handle: IO[bytes], what: str) -> tuple[int, int]:
    while True:
        byte = handle.read(1)
        if not byte:
            break
        if byte != b"\xff":
            raise UnsupportedMedia(f"{what} is damaged: its JPEG header does not hold together")
        marker = handle.read(1)
        while marker == b"\xff":  # fill bytes before a marker
            marker = handle.read(1)
        if not marker:
            break
        code = marker[0]
        if code in _JPEG_ALONE:
            continue
        if code in (_JPEG_SCAN, _JPEG_END):
            raise UnsupportedMedia(f"{what} is damaged: its JPEG header declares no size")
        length_bytes = handle.read(2)
        if len(length_bytes) < 2:
            break
        (length,) = struct.unpack(">H", length_bytes)
        if length < 2:
            raise UnsupportedMedia(f"{what} is damaged: its JPEG header does not hold together")
        if code in _JPEG_FRAMES:
            frame = handle.read(5)  # precision, height, width
            if len(frame) < 5:
                break
            height, width = struct.unpack(">HH", frame[1:5])
            return width, height
        handle.seek(length - 2, 1)
    raise UnsupportedMedia(f"{what} is damaged: its JPEG header is cut short")
