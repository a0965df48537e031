"""The segmenter: stream copy cut at keyframes, contiguous, each piece a standalone MP4."""

from __future__ import annotations

import io
import itertools
import mmap
from pathlib import Path

import av
import pytest

from custos.recording.media import MemoryFile, Segmenter, SegmentFile, make_clip, probe_video
from helpers import ffprobe_video


def _segments(clip: Path, target: float, audio: bool = False) -> list[SegmentFile]:
    found = []
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        sound = container.streams.audio[0] if audio else None
        segmenter = Segmenter(video, sound, target)
        streams = [video] if sound is None else [video, sound]
        for packet in container.demux(streams):
            finished = segmenter.push(packet)
            if finished is not None:
                found.append(_copy(finished))
        last = segmenter.flush()
        if last is not None:
            found.append(_copy(last))
    return found


def _copy(segment: SegmentFile) -> SegmentFile:
    # The segmenter reuses its buffers; keep our own copy for checking afterwards.
    return SegmentFile(**{**segment.__dict__, "data": memoryview(bytes(segment.data))})


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    make_clip(path, 12, fps=15, gop=15, audio=True)
    return path


def test_cuts_at_keyframes_into_contiguous_standalone_pieces(clip: Path, tmp_path: Path) -> None:
    segments = _segments(clip, 4)
    assert [round(s.duration, 3) for s in segments] == [4.0, 4.0, 4.0]
    assert sum(s.frames for s in segments) == 180
    for previous, following in itertools.pairwise(segments):
        assert following.start == pytest.approx(previous.start + previous.duration, abs=1e-9)
    for index, segment in enumerate(segments):
        path = tmp_path / f"{index}.mp4"
        path.write_bytes(segment.data)
        probe = ffprobe_video(path)
        assert (probe["codec_name"], probe["start_time"], probe["nb_read_frames"]) == (
            "h264",
            "0.000000",
            "60",
        )


def test_video_is_copied_not_reencoded(clip: Path) -> None:
    with av.open(str(clip)) as container:
        original = [bytes(p) for p in container.demux(video=0) if p.size]
    copied = []
    for segment in _segments(clip, 4):
        with av.open(io.BytesIO(segment.data)) as container:
            copied += [bytes(p) for p in container.demux(video=0) if p.size]
    assert copied == original


def test_audio_only_when_asked(clip: Path) -> None:
    without = _segments(clip, 4)
    with_audio = _segments(clip, 4, audio=True)
    with av.open(io.BytesIO(without[0].data)) as container:
        assert [s.type for s in container.streams] == ["video"]
    with av.open(io.BytesIO(with_audio[0].data)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
        assert container.streams.audio[0].frames > 0


def test_packets_before_the_first_keyframe_are_skipped(clip: Path) -> None:
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        segmenter = Segmenter(video, None, 4)
        packets = [p for p in container.demux(video) if p.size]
        for packet in packets[3:]:  # join mid-GOP, as a live stream does
            first = segmenter.push(packet)
            if first is not None:
                break
    assert first.start == pytest.approx(1.0)  # the next keyframe, one GOP in
    assert probe_video(first.data)["frames"] == first.frames


def test_memory_file_behaves_like_a_file() -> None:
    memory = MemoryFile(capacity=4)
    memory.write(b"abcdef")
    memory.seek(2)
    memory.write(b"XY")
    assert memory.seek(0, io.SEEK_END) == 6
    memory.seek(1)
    assert memory.read(3) == b"bXY"
    assert bytes(memory.view()) == b"abXYef"
    view = memory.view()
    memory.reset()
    memory.write(b"0" * (mmap.PAGESIZE + 1))  # grows: the earlier view still reads the old bytes
    assert bytes(view) == b"abXYef"
