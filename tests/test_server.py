"""The composition root: recording in the foreground, and the demo deployment's preparation."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from custos import server
from custos.cameras import service as cameras
from custos.config import Settings
from custos.demo import DEMO_CAMERAS
from custos.runtime import Runtime
from custos.setup import INITIAL_PASSWORD_FILE, open_runtime
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, TESTER, call_of, initialised, register_camera


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[Runtime]:
    """A freshly initialised data folder on SQLite, opened as the commands open it."""
    settings = Settings(data_dir=tmp_path / "data")
    initialised(settings)
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()


def test_record_stops_after_its_time_and_gives_the_signals_back(
    opened: Runtime, clip: Path
) -> None:
    register_camera(opened, "door", str(clip), segment_seconds=2)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    finished = server.record(opened, 3)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    assert [recorder.feed.name for recorder in finished] == ["door"]
    assert finished[0].segments_stored >= 1


def test_demo_registers_its_cameras_once_and_shows_the_password_while_it_works(
    opened: Runtime,
) -> None:
    written = (opened.settings.data_dir / INITIAL_PASSWORD_FILE).read_text().strip()
    assert server.prepare_demo(opened, TESTER) == written
    with opened.sessions() as session:
        names = {camera.name for camera in cameras.list_cameras(session)}
    assert names == {spec["name"] for spec in DEMO_CAMERAS}
    assert server.prepare_demo(opened, TESTER) == written
    with opened.sessions() as session:
        assert len(cameras.list_cameras(session)) == len(DEMO_CAMERAS)
        users.reset_password(
            call_of(session, opened.clock), users.FIRST_ADMIN, passwords=CHEAP_PASSWORDS
        )
    assert server.prepare_demo(opened, TESTER) is None
