"""Fixtures: SQLite and PostgreSQL, migrated; each test runs in a rolled-back transaction.

Also the live ones: real RTSP cameras, a data folder opened like production, a recording
supervisor."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from custos.clock import FrozenClock
from custos.config import Settings
from custos.context import Call
from custos.db import create_engine, migrate, session_factory
from custos.permissions import Role
from custos.profile import load_profile
from custos.recording.media import SegmentFile, make_clip
from custos.recording.policy import GapReason
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.setup import open_runtime
from custos.storage.blobs import MemoryBlobStore
from custos.storage.crypto import Sealer
from custos.storage.s3 import S3BlobStore
from custos.users import service as users
from custos.users.policy import needs_second_factor
from custos.web.app import create_app
from helpers import (
    CHEAP_PASSWORDS,
    CHROMIUM,
    INVESTIGATOR,
    Recording,
    RtspCamera,
    call_of,
    create_postgres_database,
    drop_postgres_database,
    enrol_factor,
    failing_sources_running,
    free_port,
    give_token_code,
    initialised,
    page_client,
    register_camera,
    segments_of,
    standing_assessment,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the tests that run for minutes first, so parallel workers finish together."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture(autouse=True)
def _no_custos_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings in the developer's shell must not leak into tests."""
    for key in list(os.environ):
        if key.upper().startswith("CUSTOS_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A freshly migrated database of each kind, shared by the tests of one kind."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'custos.db'}")
        migrate(engine)
        _standing_assessment(engine)
        yield engine
        engine.dispose()
        return
    name = f"custos_test_{os.getpid()}"
    engine = create_engine(create_postgres_database(name))
    migrate(engine)
    _standing_assessment(engine)
    yield engine
    engine.dispose()
    drop_postgres_database(name)


def _standing_assessment(engine: Engine) -> None:
    with Session(engine) as session:
        standing_assessment(session)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One connection whose outer transaction is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions bound to the test connection: their commits only release savepoints."""
    return session_factory(connection)


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session for the test body."""
    with sessions() as session:
        yield session


@pytest.fixture
def clock() -> FrozenClock:
    """Time stands still at noon on 2026-11-30 unless a test moves it."""
    return FrozenClock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))


@pytest.fixture
def call(db: Session, clock: FrozenClock) -> Call:
    """An action by the tester, in the test's transaction, under the kz-nvms policy."""
    return call_of(db, clock)


@pytest.fixture
def ivan(db: Session, clock: FrozenClock) -> Call:
    """An action by investigator ivan, in the test's transaction: cases he opens are his."""
    return call_of(db, clock, INVESTIGATOR)


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Defaults, with the data folder in a temporary place."""
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture
def runtime(settings: Settings, sessions: sessionmaker[Session], clock: FrozenClock) -> Runtime:
    """A runtime over the test database, memory blobs and the frozen clock."""
    return Runtime(
        settings=settings,
        sessions=sessions,
        blobs=MemoryBlobStore(),
        sealer=Sealer(os.urandom(32)),
        log_key=os.urandom(32),
        policy=load_profile("kz-nvms"),
        clock=clock,
        passwords=CHEAP_PASSWORDS,
    )


@pytest.fixture(scope="session")
def _shared_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """One web app for the whole run: FastAPI prepares its routes once per app (~0.1 s)."""
    return create_app(_placeholder_runtime(tmp_path_factory))


def _placeholder_runtime(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('unused') / 'unused.db'}")
    return Runtime(
        settings=Settings(data_dir=tmp_path_factory.mktemp("unused-data")),
        sessions=session_factory(engine),
        blobs=MemoryBlobStore(),
        sealer=Sealer(os.urandom(32)),
        log_key=os.urandom(32),
        policy=load_profile("kz-nvms"),
    )


@pytest.fixture
def app(_shared_app: FastAPI, runtime: Runtime) -> FastAPI:
    """The web app, serving the test's runtime (its database, blobs and clock)."""
    _shared_app.state.runtime = runtime
    return _shared_app


@pytest.fixture
def fresh_app(runtime: Runtime) -> FastAPI:
    """An app of its own, for tests that count what the app has answered."""
    return create_app(runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTPS client (the session cookie is Secure) that does not follow redirects."""
    with page_client(app) as client:
        yield client


@pytest.fixture
def make_user(call: Call, runtime: Runtime) -> Callable[..., tuple[str, str]]:
    """Create a user with `role`; returns (name, API token).

    A role that holds a second factor gets one enrolled, and its token has sent a code: it may
    make the changes that need one for the next 15 minutes of the test's clock.
    """
    counter = iter(range(1_000_000))

    def _make(role: Role, name: str | None = None) -> tuple[str, str]:
        name = name or f"{role.value}{next(counter)}"
        users.create_user(
            call, name=name, role=role, with_password=False, passwords=CHEAP_PASSWORDS
        )
        token, _ = users.issue_token(call, name)
        if needs_second_factor(role):
            secret = enrol_factor(call.session, call.clock, runtime.sealer, name)
            give_token_code(call.session, call.clock, runtime.sealer, token, secret)
        return name, token

    return _make


@pytest.fixture
def tokens(make_user: Callable[..., tuple[str, str]]) -> dict[Role, str]:
    """One API token per role."""
    return {role: make_user(role)[1] for role in Role}


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's standalone S3 server, over real HTTP on 127.0.0.1."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"moto's S3 server did not start (see {log.name})")
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture
def s3_store(s3_endpoint: str) -> S3BlobStore:
    """An S3 blob store in a fresh bucket on the moto server."""
    store = S3BlobStore.connect(
        f"test-{uuid.uuid4().hex[:12]}",
        "custos",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
    )
    assert store.ensure_bucket()
    return store


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6 s synthetic H.264 clip at 15 fps with a keyframe every second."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    make_clip(path, 6, fps=15, gop=15)
    return path


@pytest.fixture(scope="session")
def piece(clip: Path) -> SegmentFile:
    """One real 2-second segment to store many times over."""
    return segments_of(clip, 2)[0]


@pytest.fixture
def archive(runtime: Runtime, piece: SegmentFile) -> Callable[..., list[str]]:
    """Store `count` segments of a camera (registered on first use), `spacing` apart.

    `content` stores another recorded piece than the default synthetic one; `tags` marks the
    camera as a sensitive site.
    """
    feeds: dict[str, CameraFeed] = {}
    writer = SegmentWriter(
        runtime.sessions,
        runtime.clock,
        runtime.sealer,
        runtime.blobs,
        SegmentPlanner(runtime.rules),
        ExhaustionGate(),
    )

    def _store(
        camera: str,
        start: datetime,
        count: int,
        region: str = "Almaty",
        spacing: timedelta = timedelta(seconds=10),
        content: SegmentFile | None = None,
        tags: tuple[str, ...] = (),
    ) -> list[str]:
        if camera not in feeds:
            camera_id = register_camera(
                runtime, camera, f"rtsp://{camera}.example/live", region=region, tags=list(tags)
            )
            feeds[camera] = CameraFeed(camera_id, camera, "rtsp://x/y", False, 10, region)
        stored = content or piece
        return [writer.store(feeds[camera], stored, start + i * spacing).id for i in range(count)]

    return _store


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (`make test` installs the package)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def failing_sources() -> Iterator[dict[GapReason, str]]:
    """Camera URLs that really fail, by the plain reason each should be given.

    Keys: host unreachable, connection refused, authentication failed (an RTSP camera with a
    password the URL gets wrong), stream not found, host not found, not a video stream (an
    HTML page). Built by `helpers.failing_sources_running`; shared by a test session.
    """
    with failing_sources_running() as sources:
        yield sources


@pytest.fixture
def rtsp_camera() -> Iterator[Callable[..., RtspCamera]]:
    """Start RTSP cameras on free ports; all are stopped after the test."""
    started: list[RtspCamera] = []

    def _start(transport: str = "both", **options: Any) -> RtspCamera:
        camera = RtspCamera(free_port(), transport, **options)
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
    initialised(settings)
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def recording_of(live_runtime: Runtime) -> Callable[[], Recording]:
    """A supervisor of fast-retrying recorders over the live runtime, run in a `with` block."""
    return lambda: Recording(live_runtime)
