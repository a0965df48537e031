"""PyAV plumbing: open a camera source, and cut its packets into standalone MP4 files in memory.

Video is stream-copied, never decoded or re-encoded. Each segment starts at a keyframe and has
its timestamps rebased to zero, so it plays on its own; its place in time is kept beside it.
The MP4 is built in a memory buffer: no plaintext ever reaches a file. Buffers are reused from
segment to segment, because fresh multi-megabyte allocations (and their page faults) cost more
than anything else in the copy path.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from numpy.typing import NDArray

from custos.recording.policy import should_cut
from custos.redaction.zones import Point, ZoneMask
from custos.storage.crypto import RESERVED_BYTES, private_memory
from custos.taps import StreamInfo


class MemoryFile:
    """A seekable, writable file in reusable memory, for PyAV to mux into.

    The memory is reserved generously and supplied by the kernel page by page as it is written
    (`private_memory`): a fresh file touches no more than its segments need, and grows without
    copying until it passes the reservation.
    """

    def __init__(self, capacity: int = RESERVED_BYTES) -> None:
        # Kept as a view: writing through it copies the data once.
        self._memory = memoryview(private_memory(capacity))
        self._position = 0
        self._size = 0

    def reset(self) -> None:
        """Start again empty, keeping the memory."""
        self._position = 0
        self._size = 0

    def write(self, data: bytes | memoryview) -> int:
        """Write at the current position, growing when needed."""
        length = len(data)
        end = self._position + length
        if end > len(self._memory):
            # New memory rather than a resize: views handed out earlier stay valid.
            grown = memoryview(private_memory(max(end, 2 * len(self._memory))))
            grown[: self._size] = self._memory[: self._size]
            self._memory = grown
        self._memory[self._position : end] = data
        self._position = end
        self._size = max(self._size, end)
        return length

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move the position like a file does."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        """The current position."""
        return self._position

    def read(self, size: int = -1) -> bytes:
        """Read from the current position (the MP4 muxer does not, but a file must)."""
        end = self._size if size < 0 else min(self._size, self._position + size)
        data = bytes(self._memory[self._position : end])
        self._position = end
        return data

    def view(self) -> memoryview:
        """The bytes written so far, without copying."""
        return self._memory[: self._size]


@dataclass(frozen=True)
class SegmentFile:
    """A finished segment: the MP4 (plaintext, in memory only) and where it lies in time."""

    data: memoryview
    start: float  # seconds on the source's own time line
    duration: float
    frames: int
    codec: str
    width: int
    height: int
    has_audio: bool


class Segmenter:
    """Cuts a demuxed packet stream at keyframes into MP4 files of about `target` seconds.

    A returned segment's `data` lives in one of two buffers used in turn: it stays valid until
    the segment after the next one is finished, so handle it before pushing much further.
    """

    def __init__(self, video: VideoStream, audio: AudioStream | None, target: float) -> None:
        self._video = video
        self._audio = audio
        self._target = target
        self._video_index = video.index
        self._audio_index = audio.index if audio is not None else -1
        self._time_base = float(video.time_base or Fraction(1, 90000))
        rate = video.average_rate or video.guessed_rate
        self._frame_ticks = round(1 / (float(rate) * self._time_base)) if rate else 0
        context = video.codec_context
        self._codec = context.name
        self._width = context.width
        self._height = context.height
        self._files = (MemoryFile(), MemoryFile())
        self._current = 0
        self._output: OutputContainer | None = None
        self._out_video: Stream | None = None
        self._out_audio: Stream | None = None
        self._first_pts = 0
        self._base_dts = 0
        self._audio_base = 0
        self._last_dts = -(2**63)
        self._end_pts = 0
        self._frames = 0

    def push(self, packet: Packet[Stream]) -> SegmentFile | None:
        """Add a packet; returns the segment it completed, if any."""
        pts, dts = packet.pts, packet.dts
        if pts is None or dts is None:
            return None
        if packet.stream_index == self._video_index:
            return self._push_video(packet, pts, dts)
        if packet.stream_index == self._audio_index and self._output is not None:
            self._push_audio(packet, pts, dts)
        return None

    def _push_video(self, packet: Packet[Stream], pts: int, dts: int) -> SegmentFile | None:
        finished = None
        if self._output is None:
            if not packet.is_keyframe:
                return None  # frames before the first keyframe cannot be decoded
            self._open(pts, dts)
        elif should_cut(
            (pts - self._first_pts) * self._time_base, self._target, packet.is_keyframe
        ):
            finished = self._close(end_pts=pts)
            self._open(pts, dts)
        if dts <= self._last_dts:
            return finished  # a camera glitch: MP4 cannot hold time running backwards
        self._last_dts = dts
        self._end_pts = max(self._end_pts, pts + (packet.duration or self._frame_ticks))
        packet.pts = pts - self._base_dts
        packet.dts = dts - self._base_dts
        assert self._output is not None
        assert self._out_video is not None
        packet.stream = self._out_video
        self._output.mux_one(packet)
        self._frames += 1
        return finished

    def _push_audio(self, packet: Packet[Stream], pts: int, dts: int) -> None:
        rebased_pts, rebased_dts = pts - self._audio_base, dts - self._audio_base
        if rebased_dts < 0:
            return  # sound from before the segment's first picture
        packet.pts, packet.dts = rebased_pts, rebased_dts
        assert self._output is not None
        assert self._out_audio is not None
        packet.stream = self._out_audio
        self._output.mux_one(packet)

    def _open(self, pts: int, dts: int) -> None:
        self._current ^= 1
        target = self._files[self._current]
        target.reset()
        # flush_packets=0: write to the buffer in large blocks, not once per packet.
        self._output = av.open(
            target, mode="w", format="mp4", buffer_size=1 << 20, options={"flush_packets": "0"}
        )
        self._out_video = self._video_stream(self._output)
        if self._audio is not None:
            self._out_audio = self._output.add_stream_from_template(self._audio)
            audio_base = float(self._audio.time_base or 1)
            self._audio_base = round(min(pts, dts) * self._time_base / audio_base)
        self._first_pts = pts
        self._base_dts = min(pts, dts)
        self._last_dts = -(2**63)
        self._end_pts = pts
        self._frames = 0

    def _video_stream(self, output: OutputContainer) -> Stream:
        """The segment's video stream: a copy of the source's."""
        return output.add_stream_from_template(self._video)

    def _finish_video(self) -> None:
        """Write what the video stream still holds before the segment is closed."""

    def _close(self, end_pts: int | None = None) -> SegmentFile:
        assert self._output is not None
        self._finish_video()
        self._output.close()
        end = self._end_pts if end_pts is None else end_pts
        segment = SegmentFile(
            data=self._files[self._current].view(),
            start=self._first_pts * self._time_base,
            duration=(end - self._first_pts) * self._time_base,
            frames=self._frames,
            codec=self._codec,
            width=self._width,
            height=self._height,
            has_audio=self._audio is not None,
        )
        self._output = None
        return segment

    def flush(self) -> SegmentFile | None:
        """Finish the segment in progress, if it holds any picture."""
        if self._output is None:
            return None
        if self._frames == 0:
            self._output.close()
            self._output = None
            return None
        return self._close()

    def finish(self) -> list[SegmentFile]:
        """The segments still held when the source ends (at most two, see the class note)."""
        last = self.flush()
        return [] if last is None else [last]

    @property
    def open_since(self) -> float | None:
        """Source time at which the segment in progress began, if one is open."""
        return None if self._output is None else self._first_pts * self._time_base


class MaskingSegmenter(Segmenter):
    """Cuts like Segmenter, but decodes, blackens the privacy zones and re-encodes H.264.

    The masked pixels exist only in decoded frames in memory: what is muxed, sealed and
    stored never held them. Each segment gets a fresh encoder, so it starts with a keyframe
    wherever the cut falls; the cost is a decode and an encode per frame (docs/redaction.md).
    """

    def __init__(
        self,
        video: VideoStream,
        audio: AudioStream | None,
        target: float,
        zones: Sequence[Sequence[Point]],
    ) -> None:
        super().__init__(video, audio, target)
        video.thread_type = "AUTO"
        self._zones = zones
        self._mask: ZoneMask | None = None
        self._last_frame_time = -1.0
        self._keyframe_seen = False
        self._codec = "h264"
        self._width &= ~1  # 4:2:0 needs an even size
        self._height &= ~1
        rate = video.average_rate or video.guessed_rate
        self._rate: Fraction = rate if rate else Fraction(25)

    def _push_video(self, packet: Packet[Stream], pts: int, dts: int) -> SegmentFile | None:
        if not self._keyframe_seen:
            if not packet.is_keyframe:
                return None  # joined mid-picture-group: nothing decodes before a keyframe
            self._keyframe_seen = True
        try:
            frames = self._video.decode(packet)
        except av.error.InvalidDataError:
            return None  # a damaged packet loses its frame; the stream goes on
        finished = None
        for frame in frames:
            finished = self._add_frame(frame) or finished
        return finished

    def _add_frame(self, frame: VideoFrame) -> SegmentFile | None:
        pts = frame.pts
        if pts is None or pts * self._time_base < self._last_frame_time:
            return None  # no time, or time running backwards: MP4 cannot hold it
        finished = None
        if self._output is None:
            self._open(pts, pts)
        elif should_cut((pts - self._first_pts) * self._time_base, self._target, True):
            finished = self._close(end_pts=pts)
            self._open(pts, pts)
        self._last_frame_time = pts * self._time_base
        pixels = np.asarray(
            frame.reformat(self._width, self._height, "yuv420p").to_ndarray(), dtype=np.uint8
        )
        if self._mask is None:
            self._mask = ZoneMask(self._zones, self._width, self._height)
        self._mask.apply_yuv420(pixels)
        masked = VideoFrame.from_ndarray(pixels, format="yuv420p")
        masked.pts = pts - self._base_dts
        masked.time_base = self._video.time_base
        assert self._output is not None
        assert self._out_video is not None
        self._output.mux(self._out_video.encode(masked))  # type: ignore[attr-defined]
        self._end_pts = max(self._end_pts, pts + self._frame_ticks)
        self._frames += 1
        return finished

    def _video_stream(self, output: OutputContainer) -> Stream:
        stream = output.add_stream("libx264", rate=self._rate)
        stream.width, stream.height, stream.pix_fmt = self._width, self._height, "yuv420p"
        time_base = self._video.time_base or Fraction(1, 90000)
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.options = {"preset": "veryfast", "crf": "21"}
        return stream

    def _finish_video(self) -> None:
        assert self._output is not None
        assert self._out_video is not None
        self._output.mux(self._out_video.encode(None))  # type: ignore[attr-defined]

    def finish(self) -> list[SegmentFile]:
        """Decode what the decoder still holds, then finish the segment in progress."""
        done = []
        try:
            for frame in self._video.decode(None):
                finished = self._add_frame(frame)
                if finished is not None:
                    done.append(finished)
        except av.error.FFmpegError:
            pass  # a broken tail: the frames before it are kept
        return done + super().finish()


def stream_info(video: VideoStream) -> StreamInfo:
    """What a decoder of `video`'s packets needs, for a tap."""
    context = video.codec_context
    extradata = context.extradata
    return StreamInfo(
        context.name,
        bytes(extradata) if extradata else None,
        context.width,
        context.height,
        video.time_base,
    )


def tap_decoder(info: StreamInfo) -> VideoCodecContext:
    """A decoder for a tap's packets."""
    decoder = av.CodecContext.create(info.codec, "r")
    assert isinstance(decoder, VideoCodecContext)
    if info.extradata:
        decoder.extradata = info.extradata
    return decoder


def open_source(
    url: str, transport: str | None, open_timeout: float, read_timeout: float
) -> InputContainer:
    """Open a camera source for demuxing; RTSP over `transport` ('tcp' or 'udp')."""
    options: dict[str, str] = {}
    if transport is not None:
        options["rtsp_transport"] = transport
    container: InputContainer = av.open(url, options=options, timeout=(open_timeout, read_timeout))
    return container


def first_picture(url: str, transport: str | None, timeout: float) -> NDArray[np.uint8]:
    """The first picture a source delivers, as BGR of even size (for a live view)."""
    with open_source(url, transport, timeout, timeout) as container:
        if not container.streams.video:
            raise av.error.InvalidDataError(0, "the source has no video stream")
        for frame in container.decode(container.streams.video[0]):
            return np.asarray(
                frame.reformat(frame.width & ~1, frame.height & ~1, "bgr24").to_ndarray(),
                dtype=np.uint8,
            )
    raise av.error.InvalidDataError(0, "the source ended before its first picture")


def probe_video(data: bytes | memoryview) -> dict[str, Any]:
    """Decode every frame of an in-memory video; returns frame count, codec and size."""
    container: InputContainer
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return {
            "frames": frames,
            "codec": stream.codec_context.name,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
        }


def make_clip(
    target: Path,
    seconds: float,
    *,
    fps: int = 15,
    width: int = 640,
    height: int = 360,
    bit_rate: int = 600_000,
    gop: int | None = None,
    preset: str = "veryfast",
    phase: int = 0,
    audio: bool = False,
) -> None:
    """Write a synthetic H.264 MP4: moving bars and a bouncing block (and a tone, if asked)."""
    frame_count = round(seconds * fps)
    x = np.arange(width, dtype=np.int32)
    y = np.arange(height, dtype=np.int32)[:, None]
    block = max(16, height // 8)
    with av.open(str(target), mode="w") as output:
        stream = output.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bit_rate
        # Keyframes every `gop` frames exactly (no scene-cut ones), no B-frames: like a camera.
        stream.options = {
            "preset": preset,
            "g": str(gop or fps * 2),
            "bf": "0",
            "sc_threshold": "0",
        }
        if audio:
            _write_tone(output, seconds)
        for index in range(phase, phase + frame_count):
            luma = ((x + index * 4) % 256 * 0.6 + (y * 255 // height) * 0.4).astype(np.uint8)
            left = (index * 7) % max(1, width - block)
            top = abs((index * 5) % (2 * max(1, height - block)) - max(1, height - block))
            luma[top : top + block, left : left + block] = 235
            chroma = np.full((height // 2, width), 128, dtype=np.uint8)
            chroma[:, (index * 3) % width] = 200
            frame = av.VideoFrame.from_ndarray(np.vstack([luma, chroma]), format="yuv420p")
            frame.pts = index - phase
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))


def _write_tone(output: OutputContainer, seconds: float, rate: int = 48_000) -> None:
    """Add a 440 Hz AAC tone of `seconds` to `output`; FFmpeg interleaves it with the video."""
    stream = output.add_stream("aac", rate=rate, layout="mono")
    samples_per_frame = 1024
    total = int(seconds * rate)
    for start in range(0, total, samples_per_frame):
        count = min(samples_per_frame, total - start)
        t = (np.arange(start, start + count) / rate).astype(np.float32)
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        output.mux(stream.encode(frame))
    output.mux(stream.encode(None))
