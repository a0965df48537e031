"""Trying a source before registering it: real failing sources give the reason a gap would."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from custos.errors import SourceUnusable
from custos.recording.policy import GapReason
from custos.recording.probe import probe_source
from helpers import RtspCamera, free_port


@pytest.mark.parametrize(
    "reason",
    [
        GapReason.HOST_UNREACHABLE,
        GapReason.CONNECTION_REFUSED,
        GapReason.AUTHENTICATION_FAILED,
        GapReason.NOT_A_VIDEO_STREAM,
        GapReason.STREAM_NOT_FOUND,
        GapReason.HOST_NOT_FOUND,
    ],
)
def test_a_failing_source_is_named_in_plain_words(
    failing_sources: dict[GapReason, str], reason: GapReason
) -> None:
    started = time.monotonic()
    probe = probe_source(failing_sources[reason], timeout=5)
    assert time.monotonic() - started < 6
    assert not probe.ok
    assert probe.reason is reason, probe.detail
    assert probe.detail
    assert str(reason) in probe.summary()
    refusal = probe.refusal()
    assert isinstance(refusal, SourceUnusable)
    assert refusal.field == "source_url"


def test_the_wrong_password_is_not_repeated(failing_sources: dict[GapReason, str]) -> None:
    probe = probe_source(failing_sources[GapReason.AUTHENTICATION_FAILED])
    assert "HTTPUnauthorizedError" in probe.detail
    assert "401 Unauthorized" in probe.detail
    assert "not-the-password" not in probe.detail
    assert "viewer:***@" in probe.detail


@pytest.mark.parametrize("auth", ["basic", "digest"])
def test_a_camera_with_the_right_credentials_shows_what_it_sends(auth: str) -> None:
    camera = RtspCamera(free_port(), credentials=("viewer", "s3cret"), auth=auth)
    camera.start()
    try:
        probe = probe_source(camera.url)
        refused = probe_source(camera.url_as("viewer", "wrong"))
    finally:
        camera.stop()
    assert probe.ok, probe.detail
    assert (probe.codec, probe.width, probe.height, probe.fps) == ("h264", 640, 360, 15)
    assert probe.transport == "tcp"
    assert probe.summary() == "h264 640x360 at 15 fps over TCP"
    assert refused.reason is GapReason.AUTHENTICATION_FAILED


def test_a_udp_only_camera_is_found_over_udp(rtsp_camera: Callable[..., RtspCamera]) -> None:
    probe = probe_source(rtsp_camera("udp").url)
    assert probe.ok, probe.detail
    assert probe.transport == "udp"


def test_a_file_source_is_probed_too(clip: Path, tmp_path: Path) -> None:
    probe = probe_source(str(clip))
    assert (probe.ok, probe.codec, probe.width, probe.height, probe.fps) == (
        True,
        "h264",
        640,
        360,
        15,
    )
    assert probe.transport is None
    missing = probe_source(str(tmp_path / "gone.mp4"))
    assert missing.reason is GapReason.STREAM_NOT_FOUND
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    assert probe_source(str(text)).reason is GapReason.NOT_A_VIDEO_STREAM
