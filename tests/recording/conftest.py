"""Recording fixtures: real RTSP cameras, clips, and a runtime on real files like production."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from custos.config import Settings
from custos.runtime import Runtime
from custos.setup import initialise, open_runtime
from helpers import Recording, RtspCamera, free_port


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
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def recording_of(live_runtime: Runtime) -> Callable[[], Recording]:
    """A supervisor of fast-retrying recorders over the live runtime, run in a `with` block."""
    return lambda: Recording(live_runtime)
