"""Redact a video or a picture: detect, track, mask, write; with a record of what was masked.

Video runs as three stages on their own threads, joined by short queues, so decoding,
detection and encoding overlap on separate cores (PyAV, OpenCV and onnxruntime release the
interpreter lock while they work):

    decode ──► detect + track ──► mask + encode

Detection runs on every `detect_every`-th frame, scaled so that its longer side is
`detect_size`; the tracker ties rounds together and the frames between two rounds are masked
with boxes interpolated between them. On frames more than twice that size, each round also
searches one tile of the frame at twice the size for faces (`Sweep`), taking the tiles in
turn, so a face too small for the whole-frame search is found within a few rounds and held
by the tracker until its tile comes round again. Frames stay in the decoder's YUV 4:2:0 planes from
decoding to encoding. docs/redaction.md gives the measurements behind the defaults.

The audio track is dropped: voices identify people as well as faces do.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import queue
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, Protocol

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from custos.errors import InvalidInput, NotFound, StorageError, UnsupportedMedia
from custos.redaction import choices
from custos.redaction.detectors import (
    FACE,
    PERSON,
    PLATE,
    Box,
    CenterFace,
    Detection,
    Detector,
    Frame,
    PeopleHog,
    PlateFinder,
    as_frame,
)
from custos.redaction.inputs import (
    IMAGE_SUFFIXES,
    PICTURE,
    VIDEO_SUFFIXES,
    Limits,
    kind_of,
    picture_size,
)
from custos.redaction.render import Look, Plane, bgr_planes, render, yuv420_planes
from custos.redaction.tracking import TrackedBox, Tracker, between, grown

KINDS = (FACE, PLATE, PERSON)

Progress = Callable[[int, int | None], None]  # frames done, frames in all (None: unknown)


@dataclass(frozen=True)
class Options:
    """What to mask and how; the defaults are the measured trade-off of docs/redaction.md."""

    kinds: frozenset[str] = frozenset({FACE})
    look: Look = field(default_factory=Look)
    detect_every: int = choices.DETECT_EVERY
    detect_size: int | None = choices.DETECT_SIZE  # video: longer side; pictures: full size
    face_threshold: float = choices.FACE_THRESHOLD
    reveal: frozenset[int] = frozenset()  # track ids left visible
    reveal_reason: str | None = None
    labels: bool = False  # draw each track's number beside its mask, to choose what to reveal
    extra_detectors: tuple[Detector, ...] = ()
    sweep: bool = choices.SWEEP  # video: search tiles in turn for faces too small otherwise
    limits: Limits = field(default_factory=Limits)  # larger pictures are refused undecoded

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise InvalidInput(f"unknown kinds to mask: {sorted(unknown)}", field="kinds")
        if not self.kinds and not self.extra_detectors:
            raise InvalidInput("nothing to mask: choose faces, plates or people", field="kinds")
        if not 1 <= self.detect_every <= 25:
            raise InvalidInput("detect_every must be between 1 and 25", field="detect_every")
        if self.detect_size is not None and not 160 <= self.detect_size <= 7680:
            raise InvalidInput("detect_size must be between 160 and 7680", field="detect_size")
        if self.reveal and not (self.reveal_reason and self.reveal_reason.strip()):
            raise InvalidInput("leaving tracks visible needs a reason", field="reveal_reason")

    def detectors(self, threads: int = 0) -> list[Detector]:
        """One detector per kind asked for, plus any user-supplied ones."""
        found: list[Detector] = []
        if FACE in self.kinds:
            found.append(CenterFace(threshold=self.face_threshold, threads=threads))
        if PLATE in self.kinds:
            found.append(PlateFinder())
        if PERSON in self.kinds:
            found.append(PeopleHog(width=None))
        return [*found, *self.extra_detectors]


@dataclass
class TrackRecord:
    """What happened to one track over the output."""

    track: int
    kind: str
    first_frame: int
    last_frame: int
    frames: int = 0  # frames in which it was masked (or left visible)
    detected: int = 0  # detection rounds that found it
    visible: bool = False

    def as_json(self) -> dict[str, Any]:
        """The track as the record file shows it."""
        return {
            "track": self.track,
            "kind": self.kind,
            "first_frame": self.first_frame,
            "last_frame": self.last_frame,
            "frames": self.frames,
            "detected_in_rounds": self.detected,
            "visible": self.visible,
        }


@dataclass
class Result:
    """What a redaction did: frames written, tracks masked, tracks left visible and why."""

    media: str  # "video" or "image"
    width: int
    height: int
    frames: int
    options: Options
    tracks: dict[int, TrackRecord]
    boxes: list[list[TrackedBox]]  # per output frame, the boxes masked (visible ones excluded)
    declared_frames: int | None = None  # what the container says it holds, when it says
    damage: str | None = None  # what the decoder said of an input that decoded all the same

    def record(self) -> dict[str, Any]:
        """The record carried beside the output (`OUT.redaction.json`)."""
        options = self.options
        return {
            "media": self.media,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "declared_frames": self.declared_frames,
            "masked_kinds": sorted(options.kinds)
            + sorted({d.kind for d in options.extra_detectors}),
            "style": options.look.style.value,
            "shape": options.look.shape.value,
            "margin": options.look.margin,
            "detect_every": options.detect_every if self.media == "video" else 1,
            "detect_size": options.detect_size if self.media == "video" else None,
            "sweep_tiles": len(Sweep.plan(self.width, self.height, options).tiles)
            if self.media == "video"
            else 0,
            "face_threshold": options.face_threshold,
            "visible_tracks": sorted(options.reveal),
            "visible_reason": options.reveal_reason,
            "tracks": [record.as_json() for _, record in sorted(self.tracks.items())],
        }


@dataclass(frozen=True)
class Sweep:
    """Tiles searched in turn, one a round, for faces too small for the whole-frame search.

    `size` is the frame scaled so its longer side is twice `detect_size` (never above the
    frame's own); the tiles cut that picture into pieces of about `detect_size`, overlapping by
    SWEEP_OVERLAP pixels so a small face on a seam is whole in one of them. No tiles when the
    frame is at most twice `detect_size`: the whole-frame search then already sees faces of
    about 16 pixels of the frame.
    """

    size: tuple[int, int]  # the width and height of the picture the tiles are cut from
    tiles: tuple[tuple[int, int, int, int], ...]  # x0, y0, x1, y1 in that picture

    @staticmethod
    def plan(width: int, height: int, options: Options) -> Sweep:
        """The sweep for frames of this size; no tiles when there is nothing to gain."""
        wanted = options.detect_size
        longer = max(width, height)
        faces = FACE in options.kinds or any(d.kind == FACE for d in options.extra_detectors)
        if not (options.sweep and faces) or wanted is None or longer <= 2 * wanted:
            return Sweep((width, height), ())
        scale = 2 * wanted / longer
        size = (round(width * scale) & ~1, round(height * scale) & ~1)
        overlap = choices.SWEEP_OVERLAP
        tiles = []
        rows, columns = -(-size[1] // wanted), -(-size[0] // wanted)
        for row in range(rows):
            for column in range(columns):
                x0 = column * size[0] // columns
                y0 = row * size[1] // rows
                x1 = (column + 1) * size[0] // columns
                y1 = (row + 1) * size[1] // rows
                tiles.append(
                    (
                        max(0, x0 - overlap // 2),
                        max(0, y0 - overlap // 2),
                        min(size[0], x1 + overlap // 2),
                        min(size[1], y1 + overlap // 2),
                    )
                )
        return Sweep(size, tuple(tiles))

    def tile(self, round_number: int) -> tuple[int, int, int, int]:
        """The tile searched in this round."""
        return self.tiles[round_number % len(self.tiles)]


def _first_bytes(path: Path) -> bytes:
    """The first 16 bytes of `path`; a missing file or one that cannot be read is an error."""
    try:
        with path.open("rb") as handle:
            return handle.read(16)
    except FileNotFoundError as error:
        raise NotFound(f"no such file: {path}") from error
    except OSError as error:  # a folder, a file others own: named as its suffix says
        kind = kind_of(path, b"")
        what = f"the {kind} {path}" if kind else str(path)
        raise UnsupportedMedia(f"{what} cannot be read: {error.strerror or error}") from None


def redact_file(
    source: Path, target: Path, options: Options, progress: Progress | None = None
) -> Result:
    """Redact `source` into `target`, with the record beside it; nothing is left on failure.

    The output and its record are written to temporary names and renamed only when complete,
    so an interrupted or failed run leaves neither a partial file nor a stale record.
    """
    head = _first_bytes(source)
    kind = kind_of(source, head)  # None: neither its bytes nor its name say; FFmpeg may know
    what = f"the {kind} {source.name}" if kind else source.name
    if not head:
        raise UnsupportedMedia(f"{what} is empty")
    suffix = target.suffix.lower()
    allowed = IMAGE_SUFFIXES if kind == PICTURE else VIDEO_SUFFIXES
    if kind is None and suffix in IMAGE_SUFFIXES:
        raise UnsupportedMedia(f"{what} is not a JPEG or PNG picture")
    if suffix not in allowed:
        raise UnsupportedMedia(
            f"{what} can be written as {', '.join(sorted(allowed))}, "
            f"not {suffix or 'a file without a suffix'}"
        )
    if target.resolve() == source.resolve():
        raise InvalidInput("the output must not overwrite the input")
    if not target.parent.is_dir():
        raise NotFound(f"the output folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial{suffix}")
    record_path = target.with_name(target.name + ".redaction.json")
    try:
        if kind == PICTURE:
            result = redact_image_file(source, partial, options, what)
        else:
            with partial.open("wb") as handle:
                result = redact_video(
                    source, handle, options, progress, output_format=None, what=what
                )
                handle.flush()
                os.fsync(handle.fileno())
        check_revealed(result)
        record = result.record()
        record["input"] = {"name": source.name, "sha256": _sha256(source)}
        record["output"] = {"name": target.name, "sha256": _sha256(partial)}
        partial_record = record_path.with_name(f".{record_path.name}.partial")
        partial_record.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, target)
        os.replace(partial_record, record_path)
        return result
    except OSError as error:  # a full disk or a folder that refuses writes: nothing is kept
        raise StorageError(f"cannot write {target}: {error.strerror or error}") from error
    finally:
        partial.unlink(missing_ok=True)
        record_path.with_name(f".{record_path.name}.partial").unlink(missing_ok=True)


def check_revealed(result: Result) -> None:
    """InvalidInput if a track asked to be left visible never appeared."""
    missing = sorted(result.options.reveal - set(result.tracks))
    if missing:
        raise InvalidInput(
            f"no track {', '.join(map(str, missing))} in this footage; "
            f"its tracks are {', '.join(map(str, sorted(result.tracks))) or 'none'}",
            field="reveal",
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- pictures ----------------------------------------------------------------------------------


def redact_image(
    picture: Frame, options: Options, detectors: Sequence[Detector] | None = None
) -> Result:
    """Mask a BGR picture in place (detection at full size); `detectors` saves loading them."""
    height, width = picture.shape[:2]
    found = options.detectors() if detectors is None else detectors
    detections = _detect(found, picture, 1.0, 1.0)
    tracker = Tracker()
    tracked = tracker.update(detections)
    result = Result("image", width, height, 1, options, {}, [])
    _mask(bgr_planes(picture), tracked, 0, result, tracker, options)
    return result


def redact_image_file(
    source: Path, target: Path, options: Options, what: str | None = None
) -> Result:
    """Redact a JPEG or PNG file; the output keeps no metadata (EXIF, GPS) of the input.

    Its size is read from its header and held against the limits before it is decoded.
    """
    what = what or f"the picture {source.name}"
    with source.open("rb") as handle:
        width, height = picture_size(handle, what)
        options.limits.check(what, width, height)
        handle.seek(0)
        data = np.frombuffer(handle.read(), dtype=np.uint8)
    with _native_messages() as said:
        try:
            decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
        except cv2.error as error:
            said.append(_first_line(error))
            decoded = None
    if decoded is None:
        why = f" ({said[0]})" if said else ""
        raise UnsupportedMedia(f"{what} is damaged: it does not decode{why}")
    if decoded.shape[:2] != (height, width):
        raise UnsupportedMedia(
            f"{what} is damaged: it declares {width}x{height} pixels but decodes to "
            f"{decoded.shape[1]}x{decoded.shape[0]}"
        )
    picture = as_frame(decoded)
    result = redact_image(picture, options)
    result.damage = said[0] if said else None
    ok, encoded = cv2.imencode(target.suffix.lower(), picture, _image_quality(target))
    if not ok:
        raise UnsupportedMedia(f"cannot write a picture as {target.suffix}")
    with target.open("wb") as handle:
        handle.write(encoded.tobytes())
        handle.flush()
        os.fsync(handle.fileno())
    return result


@contextmanager
def _native_messages() -> Iterator[list[str]]:
    """What libjpeg, libpng and OpenCV write on the process's standard error, as lines.

    They write to file descriptor 2 themselves ("Corrupt JPEG data: ...", "libpng error:
    ..."), past Python and in the middle of the command's own one-line error; this takes
    those lines for the error message instead. Only for the picture path of `redact_file`,
    which runs on the command's one thread.
    """
    said: list[str] = []
    sys.stderr.flush()
    kept = os.dup(2)
    try:
        with tempfile.TemporaryFile() as caught:
            os.dup2(caught.fileno(), 2)
            try:
                yield said
            finally:
                os.dup2(kept, 2)
                caught.seek(0)
                text = caught.read(64 * 1024).decode("utf-8", "replace")
                said[:0] = [_plain(line) for line in text.splitlines() if line.strip()]
    finally:
        os.close(kept)


def _plain(line: str) -> str:
    """A library's message without OpenCV's log prefix (`[ WARN:0@1.2] global file.cpp:9 f`)."""
    line = line.strip()
    if line.startswith("[") and "]" in line:
        line = line.split("]", 1)[1].strip()
        words = line.split(" ", 3)
        if len(words) == 4 and words[0] == "global":
            line = words[3]
    return line


def _image_quality(target: Path) -> list[int]:
    if target.suffix.lower() in {".jpg", ".jpeg"}:
        return [cv2.IMWRITE_JPEG_QUALITY, 92]
    return []


# --- video -------------------------------------------------------------------------------------


@dataclass
class _Decoded:
    index: int
    pts: int | None
    yuv: NDArray[np.uint8]
    small: Frame | None  # the BGR picture detection runs on, for detection frames only
    tile: Frame | None = None  # this round's sweep tile (BGR), where the frame is swept
    origin: tuple[int, int] = (0, 0)  # the tile's top left corner in the sweep's picture


@dataclass
class _Masked:
    index: int
    pts: int | None
    yuv: NDArray[np.uint8]
    boxes: list[TrackedBox]


_END = object()


class _Stage(threading.Thread):
    """A pipeline thread whose failure is handed to the consumer instead of being lost."""

    def __init__(
        self, name: str, work: Callable[[], None], out: queue.Queue[Any], stop: threading.Event
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._work = work
        self._out = out
        self.stop = stop

    def run(self) -> None:
        try:
            self._work()
        except BaseException as error:  # handed on and raised in the consuming thread
            _put(self._out, error, self.stop)
        else:
            _put(self._out, _END, self.stop)


def _put(channel: queue.Queue[Any], item: object, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            channel.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _drain(channel: queue.Queue[Any], stop: threading.Event) -> Iterator[Any]:
    while not stop.is_set():
        try:
            item = channel.get(timeout=0.1)
        except queue.Empty:
            continue
        if item is _END:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


@dataclass(frozen=True)
class VideoShape:
    """What a video's stream says of itself, read before any frame is decoded."""

    width: int
    height: int
    rate: Fraction
    time_base: Fraction
    declared_frames: int | None  # what the container says it holds
    total: int | None  # its best guess at the frames to come, for progress


@dataclass
class Tracked:
    """The boxes of every frame of a video (or of the part kept), without a pixel of it.

    What `track_video` prepares ahead and `redact_video(prepared=...)` masks with: the same
    boxes, frame by frame, that detecting inline would have given.
    """

    shape: VideoShape
    frames: list[list[TrackedBox]]
    tracks: dict[int, TrackRecord]


@contextmanager
def _stages(
    source: Path | IO[bytes],
    options: Options,
    *,
    detectors: Sequence[Detector] | None,
    keep: tuple[float, float] | None,
    what: str,
    prepared: Sequence[Sequence[TrackedBox]] | None,
) -> Iterator[tuple[VideoShape, Tracker, Iterator[_Masked]]]:
    """Open a video and run its decode and detect stages; yields what the consumer reads.

    With `prepared`, frame N is masked with `prepared[N]` and no detector runs: the decoder
    hands its frames straight on.
    """
    try:
        container = av.open(source if not isinstance(source, Path) else str(source), "r")
    except FileNotFoundError as error:
        raise NotFound(f"no such file: {source}") from error
    except av.error.FFmpegError as error:
        raise UnsupportedMedia(f"{what} cannot be read ({_ffmpeg_says(error)})") from None
    except UnicodeDecodeError:  # PyAV reads the container's metadata as UTF-8 when it opens
        raise UnsupportedMedia(f"{what} is damaged: its metadata is not text") from None
    with container:
        if not container.streams.video:
            raise UnsupportedMedia(f"{what} has no video in it")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        options.limits.check(what, stream.codec_context.width, stream.codec_context.height)
        width = stream.codec_context.width & ~1  # 4:2:0 needs even sizes
        height = stream.codec_context.height & ~1
        if width < 2 or height < 2:
            raise UnsupportedMedia(f"{what} has no picture size")
        total = stream.frames or None
        if total is None and stream.duration and stream.average_rate and stream.time_base:
            total = int(stream.duration * stream.time_base * stream.average_rate) or None
        rate = stream.average_rate or Fraction(25)
        time_base = stream.time_base or Fraction(1, int(rate))
        shape = VideoShape(width, height, rate, time_base, stream.frames or None, total)
        detecting = prepared is None
        if detecting and detectors is None:
            detectors = options.detectors(threads=choices.DETECT_THREADS)
        found = list(detectors or ())
        scale = 1.0
        if options.detect_size is not None and max(width, height) > options.detect_size:
            scale = options.detect_size / max(width, height)
        small_size = (max(32, round(width * scale)) & ~1, max(32, round(height * scale)) & ~1)
        sweep = Sweep.plan(width, height, options)
        sweepers = [detector for detector in found if detector.kind == FACE]

        stop = threading.Event()  # set when the consumer gives up: every stage then ends
        decoded: queue.Queue[Any] = queue.Queue(maxsize=2 * options.detect_every + 4)
        masked: queue.Queue[Any] = queue.Queue(maxsize=2 * options.detect_every + 4)

        def decode() -> None:
            index, first, shift = 0, None, None
            try:
                for frame in container.decode(stream):
                    if stop.is_set():
                        return
                    pts = frame.pts if frame.pts is not None else index
                    if keep is not None:
                        first = pts if first is None else first
                        seconds = float((pts - first) * time_base)
                        if seconds < keep[0]:
                            continue
                        if seconds >= keep[1]:
                            return
                        # The kept part starts at zero, so a player shows it from its first frame.
                        shift = pts if shift is None else shift
                        pts -= shift
                    yuv = as_frame(frame.reformat(width, height, "yuv420p").to_ndarray())
                    item = _Decoded(index, pts, yuv, None)
                    if detecting and index % options.detect_every == 0:
                        item.small = as_frame(frame.reformat(*small_size, "bgr24").to_ndarray())
                        if sweep.tiles and sweepers:
                            x0, y0, x1, y1 = sweep.tile(index // options.detect_every)
                            picture = frame.reformat(*sweep.size, "bgr24").to_ndarray()
                            item.tile = as_frame(np.ascontiguousarray(picture[y0:y1, x0:x1]))
                            item.origin = (x0, y0)
                    _put(decoded, item, stop)
                    index += 1
            except av.error.FFmpegError as error:
                raise UnsupportedMedia(f"{what} is damaged: {_ffmpeg_says(error)}") from None
            except UnicodeDecodeError:
                raise UnsupportedMedia(f"{what} is damaged: its metadata is not text") from None

        tracker = Tracker()

        def detect() -> None:
            pending: list[_Decoded] = []
            before: list[TrackedBox] = []
            last_round = -1
            for item in _drain(decoded, stop):
                if item.small is None:
                    pending.append(item)
                    continue
                before, last_round = _round(item, before, last_round, pending)
            if pending and not stop.is_set():  # the tail after the last round: detect on its end
                tail = pending.pop()
                picture = cv2.cvtColor(tail.yuv, cv2.COLOR_YUV2BGR_I420)
                tail.small = as_frame(cv2.resize(picture, small_size, interpolation=cv2.INTER_AREA))
                _round(tail, before, last_round, pending)

        def _round(
            item: _Decoded, before: list[TrackedBox], last_round: int, pending: list[_Decoded]
        ) -> tuple[list[TrackedBox], int]:
            assert item.small is not None
            scales = (small_size[0] / width, small_size[1] / height)
            found_now = _detect(found, item.small, *scales)
            if item.tile is not None:
                tile_scales = (sweep.size[0] / width, sweep.size[1] / height)
                small_faces = _detect(sweepers, item.tile, *tile_scales, item.origin)
                found_now = _merged(found_now, small_faces)
            after = tracker.update(found_now)
            for waiting in pending:
                fraction = (waiting.index - last_round) / (item.index - last_round)
                boxes = between(before, after, fraction) if last_round >= 0 else after
                _put(masked, _Masked(waiting.index, waiting.pts, waiting.yuv, boxes), stop)
            pending.clear()
            _put(masked, _Masked(item.index, item.pts, item.yuv, after), stop)
            return after, item.index

        def look_up() -> None:
            assert prepared is not None
            for item in _drain(decoded, stop):
                boxes = list(prepared[item.index]) if item.index < len(prepared) else None
                if boxes is None:
                    raise UnsupportedMedia(
                        f"{what} has more frames than were prepared ({len(prepared)})"
                    )
                _put(masked, _Masked(item.index, item.pts, item.yuv, boxes), stop)

        decoder = _Stage("redact-decode", decode, decoded, stop)
        detector = _Stage("redact-detect", detect if detecting else look_up, masked, stop)
        decoder.start()
        detector.start()
        try:
            yield shape, tracker, _drain(masked, stop)
        finally:
            stop.set()
            decoder.join()
            detector.join()


def track_video(
    source: Path | IO[bytes],
    options: Options,
    *,
    detectors: Sequence[Detector] | None = None,
    keep: tuple[float, float] | None = None,
    what: str | None = None,
) -> Tracked:
    """Detect and track over a video (or the part `keep` says) without encoding anything.

    The boxes of each frame are those `redact_video` would mask with the same options.
    """
    what = what or _name(source)
    frames: list[list[TrackedBox]] = []
    tracks: dict[int, TrackRecord] = {}
    with _stages(source, options, detectors=detectors, keep=keep, what=what, prepared=None) as (
        shape,
        tracker,
        items,
    ):
        for item in items:
            for tracked in item.boxes:
                record = tracks.get(tracked.track)
                if record is None:
                    record = tracks[tracked.track] = TrackRecord(
                        tracked.track, tracked.kind, item.index, item.index
                    )
                record.last_frame = item.index
                record.frames += 1
                record.detected = tracker.detections.get(tracked.track, 0)
            frames.append(list(item.boxes))
    if not frames:
        raise UnsupportedMedia(f"{what} has no frame that decodes")
    return Tracked(shape, frames, tracks)


def redact_video(
    source: Path | IO[bytes],
    target: Path | IO[bytes],
    options: Options,
    progress: Progress | None = None,
    output_format: str | None = "mp4",
    streamable: bool = False,
    detectors: Sequence[Detector] | None = None,
    keep: tuple[float, float] | None = None,
    what: str | None = None,
    prepared: Sequence[Sequence[TrackedBox]] | None = None,
) -> Result:
    """Decode `source`, mask it, encode H.264 into `target` (a file, or a seekable buffer).

    `keep` (seconds from the first frame, end excluded) drops every frame outside it before
    anything else sees it: a grant reaches a window, not the whole segment around it.
    `streamable` writes fragmented MP4 (the index up front, then fragments), which a browser
    plays while it arrives; a moved index ("faststart") would need a second pass over a file.
    `detectors` saves loading them (`choices.DETECT_THREADS` threads each, which sleep while
    they wait so the pipeline's other stages get the cores). `prepared` gives the boxes of
    every frame (`track_video`'s, for the same `keep`): nothing is detected, only decoded,
    masked and encoded. `what` names the source in errors ("the video NAME" by default).

    The picture size the stream declares is held against `options.limits` before a frame is
    decoded. Whatever FFmpeg cannot make sense of, opening or decoding — damaged data, a
    container whose metadata is not text — is an UnsupportedMedia naming the source.
    """
    what = what or _name(source)
    with _stages(source, options, detectors=detectors, keep=keep, what=what, prepared=prepared) as (
        shape,
        tracker,
        items,
    ):
        width, height = shape.width, shape.height
        result = Result("video", width, height, 0, options, {}, [], shape.declared_frames)
        try:
            output = av.open(
                target if not isinstance(target, Path) else str(target),
                "w",
                format=output_format,
                options={"movflags": "+frag_keyframe+empty_moov+default_base_moof"}
                if streamable
                else {},
            )
        except av.error.FFmpegError as error:
            raise UnsupportedMedia(f"cannot write the video: {error}") from None
        with output:
            encoder = output.add_stream("libx264", rate=shape.rate)
            encoder.width, encoder.height = width, height
            encoder.pix_fmt = "yuv420p"
            encoder.time_base = shape.time_base
            encoder.codec_context.time_base = shape.time_base
            encoder.options = {"preset": "veryfast", "crf": "20"}
            encoder.thread_type = "AUTO"
            for item in items:
                planes = yuv420_planes(item.yuv, width, height)
                _mask(planes, item.boxes, item.index, result, tracker, options)
                frame = av.VideoFrame.from_ndarray(item.yuv, format="yuv420p")
                frame.pts = item.pts if item.pts is not None else item.index
                frame.time_base = shape.time_base
                output.mux(encoder.encode(frame))
                result.frames += 1
                if progress is not None:
                    progress(result.frames, shape.total)
            output.mux(encoder.encode(None))
    if result.frames == 0:
        raise UnsupportedMedia(f"{what} has no frame that decodes")
    return result


STREAM_TIME_BASE = Fraction(1, 90_000)
STREAM_KEYFRAMES_S = 0.5  # a keyframe, and so a fragment, every half second


class Sink(Protocol):
    """Where a stream's bytes go as soon as the muxer writes them."""

    def write(self, data: bytes) -> int:
        """Take `data`; returns how much was taken (all of it)."""
        ...


class _Writer:
    """A write-only file for the muxer: it never seeks (fragmented MP4 needs no going back)."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def write(self, data: bytes) -> int:
        return self._sink.write(bytes(data))

    def flush(self) -> None:
        """Nothing is held back here."""


class MaskedStream:
    """One fragmented MP4 made of masked pieces, each written out as soon as it is encoded.

    A piece is a decrypted segment, the part of it to keep, and the second of the window that
    part starts at. The muxer counts the stream's time from its first frame; between pieces it
    keeps the time the window has, so the time between two pieces stays a gap, and a player
    that adds the first piece's second places every fragment at its moment. A keyframe every half
    second cuts the stream into fragments a browser can play as they arrive. Every piece is
    scaled to the first one's size (a camera whose settings changed mid-window included).
    Pieces with prepared boxes are only decoded, masked and encoded; the others are detected
    inline with `detectors`.
    """

    def __init__(self, sink: Sink, options: Options, detectors: Sequence[Detector]) -> None:
        self._options = options
        self._detectors = detectors
        self._output = av.open(
            _Writer(sink),
            "w",
            format="mp4",
            options={"movflags": "+frag_keyframe+empty_moov+default_base_moof"},
        )
        self._encoder: Any = None
        self._size = (0, 0)
        self.frames = 0
        self.tracks: dict[int, TrackRecord] = {}

    def _start(self, shape: VideoShape) -> Any:
        encoder = self._output.add_stream("libx264", rate=shape.rate)
        encoder.width, encoder.height = shape.width, shape.height
        encoder.pix_fmt = "yuv420p"
        encoder.time_base = STREAM_TIME_BASE
        encoder.codec_context.time_base = STREAM_TIME_BASE
        keyframes = max(1, round(float(shape.rate) * STREAM_KEYFRAMES_S))
        encoder.options = {
            "preset": "veryfast",
            "crf": "20",
            "tune": "zerolatency",  # no look-ahead: each frame leaves as soon as it is encoded
            "profile": "high",
            "level": "4.1",
            "g": str(keyframes),
            "keyint_min": str(keyframes),
        }
        self._size = (shape.width, shape.height)
        return encoder

    def add(
        self,
        plaintext: bytes,
        keep: tuple[float, float],
        at_s: float,
        prepared: Sequence[Sequence[TrackedBox]] | None,
        what: str,
        visible: frozenset[int] = frozenset(),
    ) -> int:
        """Mask and encode the kept part of one decrypted segment, placed `at_s` into the
        window; how many frames it gave. The tracks in `visible` (of the prepared boxes) are
        left as filmed: the persons of a case their holder linked them to."""
        source = io.BytesIO(plaintext)
        detectors = None if prepared is not None else self._detectors
        options = self._options
        if visible and prepared is not None:
            reason = "linked to a person of the case"
            options = replace(options, reveal=visible, reveal_reason=reason)
        given = 0
        with _stages(
            source, options, detectors=detectors, keep=keep, what=what, prepared=prepared
        ) as (shape, tracker, items):
            if self._encoder is None:
                self._encoder = self._start(shape)
            width, height = self._size
            result = Result("video", width, height, 0, options, self.tracks, [])
            x_scale, y_scale = width / shape.width, height / shape.height
            for item in items:
                yuv, boxes = item.yuv, item.boxes
                if (x_scale, y_scale) != (1, 1):
                    yuv = _resized(yuv, width, height)
                    boxes = _scaled(boxes, x_scale, y_scale)
                planes = yuv420_planes(yuv, width, height)
                _mask(planes, boxes, item.index, result, tracker, options)
                frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                seconds = at_s + float((item.pts or 0) * shape.time_base)
                frame.pts = round(seconds / STREAM_TIME_BASE)
                frame.time_base = STREAM_TIME_BASE
                self._output.mux(self._encoder.encode(frame))
                given += 1
        self.frames += given
        return given

    def close(self, flush: bool = True) -> None:
        """End the stream: encode what the encoder still holds (unless the stream is being
        abandoned, its reader gone) and close the muxer."""
        try:
            if flush and self._encoder is not None:
                self._output.mux(self._encoder.encode(None))
        finally:
            self._output.close()


def _resized(yuv: NDArray[np.uint8], width: int, height: int) -> NDArray[np.uint8]:
    """A yuv420p frame scaled to `width` x `height`."""
    picture = cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420)
    scaled = cv2.resize(picture, (width, height), interpolation=cv2.INTER_AREA)
    return as_frame(cv2.cvtColor(scaled, cv2.COLOR_BGR2YUV_I420))


def _scaled(boxes: Sequence[TrackedBox], x: float, y: float) -> list[TrackedBox]:
    return [replace(b, box=(b.box[0] * x, b.box[1] * y, b.box[2] * x, b.box[3] * y)) for b in boxes]


def _name(source: object) -> str:
    return f"the video {source.name}" if isinstance(source, Path) else "the video"


def _ffmpeg_says(error: av.error.FFmpegError) -> str:
    """FFmpeg's words for an error, without its number and the function it came from."""
    return str(error.strerror or error).strip() or type(error).__name__


def _first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


# --- shared ------------------------------------------------------------------------------------


def _detect(
    detectors: Sequence[Detector],
    picture: Frame,
    x_scale: float,
    y_scale: float,
    origin: tuple[int, int] = (0, 0),
) -> list[Detection]:
    """Every detector's findings in `picture`, in the full frame's pixels.

    `picture` is the frame scaled by `x_scale` and `y_scale`, or the part of that scaled frame
    whose top left corner is at `origin`.
    """
    found: list[Detection] = []
    dx, dy = origin
    for detector in detectors:
        for detection in detector.detect(picture):
            x0, y0, x1, y1 = detection.box
            box = (
                (x0 + dx) / x_scale,
                (y0 + dy) / y_scale,
                (x1 + dx) / x_scale,
                (y1 + dy) / y_scale,
            )
            found.append(Detection(detection.kind, box, detection.score))
    return found


def _merged(found: list[Detection], small_faces: list[Detection]) -> list[Detection]:
    """A round's detections with the faces of its sweep tile that the whole frame missed.

    A tile's face that lies mostly inside a face of the whole-frame search is the same face,
    or a piece of it cut by the tile's edge: the whole-frame box is kept, never the piece.
    """
    faces = [detection.box for detection in found if detection.kind == FACE]
    return found + [
        small
        for small in small_faces
        if all(_share_inside(small.box, face) < 0.3 for face in faces)
    ]


def _share_inside(box: Box, other: Box) -> float:
    """The share of `box`'s area that lies inside `other`."""
    width = min(box[2], other[2]) - max(box[0], other[0])
    height = min(box[3], other[3]) - max(box[1], other[1])
    area = (box[2] - box[0]) * (box[3] - box[1])
    return width * height / area if width > 0 and height > 0 and area > 0 else 0.0


def _mask(
    planes: Sequence[Plane],
    boxes: Sequence[TrackedBox],
    index: int,
    result: Result,
    tracker: Tracker,
    options: Options,
) -> None:
    """Mask one frame's boxes except the revealed tracks, and note each track in the result."""
    hidden = []
    for tracked in boxes:
        record = result.tracks.get(tracked.track)
        if record is None:
            record = TrackRecord(tracked.track, tracked.kind, index, index)
            result.tracks[tracked.track] = record
        record.last_frame = index
        record.frames += 1
        record.detected = tracker.detections.get(tracked.track, 0)
        record.visible = tracked.track in options.reveal
        if not record.visible:
            hidden.append(tracked)
    render(planes, [(t.kind, grown(t.box, t.spread)) for t in hidden], options.look)
    result.boxes.append(hidden)
    if options.labels:
        _label(planes[0], boxes)


def _label(luma: Plane, boxes: Sequence[TrackedBox]) -> None:
    """Write each track's number above its box, for choosing which tracks to reveal."""
    white = 255 if luma.fill == (0, 0, 0) else 235
    colour = (white, white, white) if luma.pixels.ndim == 3 else white
    for tracked in boxes:
        x0, y0 = int(tracked.box[0]), max(14, int(tracked.box[1]) - 4)
        cv2.putText(
            luma.pixels, f"#{tracked.track}", (x0, y0), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1
        )
