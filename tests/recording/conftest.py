"""Recording fixtures: real RTSP cameras, clips, and a runtime on real files like production."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from custos.config import Settings
from custos.recording.media import make_clip
from custos.runtime import Runtime, initialise
from helpers import RtspCamera, free_port


@pytest.fixture
def rtsp_camera() -> Iterator[Callable[..., RtspCamera]]:
    """Start RTSP cameras on free ports; all are stopped after the test."""
    started: list[RtspCamera] = []

    def _start(transport: str = "both") -> RtspCamera:
        camera = RtspCamera(free_port(), transport)
        camera.start()
        started.append(camera)
        return camera

    yield _start
    for camera in started:
        camera.stop()


@pytest.fixture
def live_runtime(tmp_path: Path) -> Iterator[Runtime]:
    """An initialised data folder (SQLite, local blobs, key file), opened like `custos serve`."""
    settings = Settings(data_dir=tmp_path / "data")
    initialise(settings)
    runtime = Runtime.open(settings)
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6 s synthetic H.264 clip at 15 fps with a keyframe every second."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    make_clip(path, 6, fps=15, gop=15)
    return path
