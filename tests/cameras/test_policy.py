"""Camera rules: sources, names, lifecycle, credentials never shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.cameras import policy
from custos.cameras.policy import CameraStatus


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("rtsp://10.0.0.5:554/stream1", "rtsp://10.0.0.5:554/stream1"),
        ("RTSP://cam.example/live", "rtsp://cam.example/live"),
        ("rtsps://user:pw@cam.example/live", "rtsps://user:pw@cam.example/live"),
        ("https://cam.example/mjpeg?res=hd", "https://cam.example/mjpeg?res=hd"),
        ("http://cam.example/video.mp4", "http://cam.example/video.mp4"),
        ("/srv/clips/../clips/door.mp4", "/srv/clips/door.mp4"),
        ("file:///srv/clips/door.mp4", "/srv/clips/door.mp4"),
        ("  rtsp://cam.example/a  ", "rtsp://cam.example/a"),
    ],
)
def test_accepted_sources(source: str, canonical: str) -> None:
    assert policy.normalise_source(source) == canonical


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("ftp://cam.example/x", "unsupported source with 'ftp'"),
        ("udp://239.0.0.1:1234", "unsupported source with 'udp'"),
        ("clips/door.mp4", "unsupported source with no scheme"),
        ("rtsp:///stream", "has no host"),
        ("file://server/share/x.mp4", "absolute path"),
        ("", "empty"),
    ],
)
def test_refused_sources(source: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        policy.normalise_source(source)


@given(
    st.sampled_from(["rtsp", "rtsps", "http", "https"]),
    st.from_regex(r"[a-z]{1,8}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9!$&'()*+,;=-]{1,16}", fullmatch=True),
)
def test_password_never_shows(scheme: str, user: str, password: str) -> None:
    source = policy.normalise_source(f"{scheme}://{user}:{password}@cam.example:8554/live")
    shown = policy.redact_source(source)
    assert f":{password}@" not in shown
    assert shown == f"{scheme}://{user}:***@cam.example:8554/live"


@given(
    st.sampled_from(
        ["rtsp://a.example/x", "/srv/a.mp4", "file:///srv/b.mp4", "HTTPS://b.example/y?z=1"]
    )
)
def test_normalising_is_idempotent(source: str) -> None:
    once = policy.normalise_source(source)
    assert policy.normalise_source(once) == once


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (CameraStatus.DRAFT, CameraStatus.ACTIVE, True),
        (CameraStatus.DRAFT, CameraStatus.SUSPENDED, False),
        (CameraStatus.ACTIVE, CameraStatus.SUSPENDED, True),
        (CameraStatus.ACTIVE, CameraStatus.DRAFT, False),
        (CameraStatus.ACTIVE, CameraStatus.ACTIVE, False),
        (CameraStatus.SUSPENDED, CameraStatus.ACTIVE, True),
        (CameraStatus.SUSPENDED, CameraStatus.DRAFT, False),
    ],
)
def test_lifecycle(current: CameraStatus, target: CameraStatus, allowed: bool) -> None:
    assert (policy.transition_problem(current, target) is None) is allowed


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("plaza-north", True),
        ("cam_01", True),
        ("a", True),
        ("Plaza", False),
        ("-x", False),
        ("a b", False),
        ("x" * 65, False),
    ],
)
def test_camera_names(name: str, ok: bool) -> None:
    assert (policy.camera_name_problem(name) is None) is ok
