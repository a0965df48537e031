"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import http.server
import json
import os
import secrets
import socket
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import cv2
import httpx2 as httpx
import numpy as np
import pyotp
import pytest
import sqlalchemy as sa
import uvicorn
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.audit.models import AuditEntry
from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.clock import Clock, FrozenClock
from custos.config import Settings
from custos.context import Actor, Call, Principal
from custos.deps import SESSION_COOKIE
from custos.dpia.models import Assessment, AssessmentVersion
from custos.dpia.policy import Analytics, VersionState
from custos.passwords import Passwords
from custos.permissions import Role
from custos.profile import Profile, load_profile
from custos.recording import service as recording
from custos.recording.media import Segmenter, SegmentFile
from custos.recording.models import Segment
from custos.recording.policy import Backoff, GapReason
from custos.recording.recorder import CameraRecorder
from custos.recording.service import CameraFeed, SegmentWriter
from custos.recording.supervisor import RecordingSupervisor
from custos.redaction.cache import DetectorCache
from custos.redaction.detectors import Detection, Detector, Frame
from custos.redaction.pipeline import Options
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.setup import initialise, open_runtime
from custos.storage.crypto import Sealer
from custos.users import factor
from custos.users import service as users
from custos.users.policy import needs_second_factor
from custos.web import csrf
from custos.web.app import create_app

# The server the PostgreSQL half of the suite runs on; `make test` starts it if it is down.
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

CHROMIUM = "/usr/bin/chromium"
RTSP_CAMERA = Path(__file__).resolve().parent / "support" / "rtsp_camera.py"
SYSTEM_PYTHON = "/usr/bin/python3"  # the Python with GStreamer's bindings (python3-gi)

# The real data with ground truth shared by the team (its README says what each file holds).
SHARED_TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"

TESTER = Actor(name="tester", role="admin", client_address="127.0.0.1")
# The investigator who opens the tests' cases (so their member) and an approver.
INVESTIGATOR = Actor(name="ivan", role="investigator", client_address="127.0.0.1")
APPROVER = Actor(name="anna", role="approver", client_address="127.0.0.1")


def investigator(name: str) -> Actor:
    """Investigator `name` as an actor (cases they open are theirs)."""
    return Actor(name=name, role="investigator", client_address="127.0.0.1")


# The policy the tests act under unless they load another: the runtime fixture's too.
KZ_NVMS = load_profile("kz-nvms").profile

# Argon2 at its recommended cost takes ~0.4 s a hash here: the suite hashes at the lowest cost.
CHEAP_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def call_of(db: Session, clock: Clock, actor: Actor = TESTER, profile: Profile = KZ_NVMS) -> Call:
    """The context of an action by `actor` in the test's transaction (the `call` fixture's)."""
    return Call(db, clock, actor, profile)


def bearer(token: str) -> dict[str, str]:
    """Headers that present API token `token`."""
    return {"Authorization": f"Bearer {token}"}


def audit_events(db: Session, **where: Any) -> list[AuditEntry]:
    """Audit entries in order, filtered by column values."""
    query = sa.select(AuditEntry).order_by(AuditEntry.seq)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list(db.scalars(query))


def named_segments(db: Session, event: str) -> list[dict[str, Any]]:
    """Every segment the batch entries of `event` name, in the log's order."""
    return [
        segment for entry in audit_events(db, event=event) for segment in entry.details["segments"]
    ]


def create_postgres_database(name: str) -> str:
    """Create an empty PostgreSQL database (dropping any old one); returns its URL."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    """Drop a database made by create_postgres_database."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def register_camera(runtime: Runtime, name: str, source: str, **extra: object) -> int:
    """Register an active camera; returns its id."""
    with runtime.sessions() as session:
        camera = cameras.register_camera(
            call_of(session, runtime.clock),
            CameraCreate.model_validate(
                {
                    "name": name,
                    "source_url": source,
                    "category": "public_safety",
                    "region": "Almaty",
                    **extra,
                }
            ),
        )
        return camera.id


def segments_of(clip: Path, target: float) -> list[SegmentFile]:
    """The segments a recorder would cut from `clip`, each with its own copy of the data."""
    found = []
    with av.open(str(clip)) as container:
        segmenter = Segmenter(container.streams.video[0], None, target)
        for packet in container.demux(video=0):
            finished = segmenter.push(packet)
            if finished is not None:
                found.append(
                    SegmentFile(**{**finished.__dict__, "data": memoryview(bytes(finished.data))})
                )
        last = segmenter.flush()
        assert last is not None
        found.append(SegmentFile(**{**last.__dict__, "data": memoryview(bytes(last.data))}))
    return found


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until true, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


class RtspCamera:
    """GStreamer's RTSP server with a live H.264 test picture; can be stopped and restarted.

    With `credentials` (user, password) it serves only that user, by `auth` ('basic' or
    'digest'), and answers anyone else 401 Unauthorized.
    """

    def __init__(
        self,
        port: int,
        transport: str = "both",
        fps: int = 15,
        *,
        credentials: tuple[str, str] | None = None,
        auth: str = "basic",
        image: Path | None = None,
        size: str = "640x360",
        clock: bool = False,
    ) -> None:
        self.port = port
        self.transport = transport
        self.fps = fps
        self.credentials = credentials
        self.auth = auth
        self.image = image  # a picture it films instead of the test pattern
        self.size = size
        self.clock = clock  # each picture shows when it was filmed (`filmed_at` reads it)
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        """The stream's URL, with the right credentials when the camera wants any."""
        if self.credentials is None:
            return f"rtsp://127.0.0.1:{self.port}/cam"
        return self.url_as(*self.credentials)

    def url_as(self, user: str, password: str) -> str:
        """The stream's URL with `user` and `password` in it."""
        return f"rtsp://{user}:{password}@127.0.0.1:{self.port}/cam"

    def start(self) -> None:
        auth = (
            []
            if self.credentials is None
            else [
                "--user",
                self.credentials[0],
                "--password",
                self.credentials[1],
                "--auth",
                self.auth,
            ]
        )
        self.process = subprocess.Popen(
            [
                SYSTEM_PYTHON,
                str(RTSP_CAMERA),
                str(self.port),
                "--transport",
                self.transport,
                "--fps",
                str(self.fps),
                "--gop",
                str(self.fps),
                "--size",
                self.size,
                *auth,
                *([] if self.image is None else ["--image", str(self.image)]),
                *(["--clock"] if self.clock else []),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("ready"):
            self.process.kill()
            pytest.fail(f"the RTSP camera did not start: {line}{self.process.stdout.read()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # an abrupt loss, as when a camera loses power
            self.process.wait(timeout=10)
        self.process = None


class HtmlServer:
    """An HTTP server on 127.0.0.1 that answers every path with a small HTML page: no video."""

    PAGE = b"<!doctype html><html><body><h1>Router login</h1></body></html>"

    def __init__(self) -> None:
        page = self.PAGE

        class _Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/stream.mp4"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def unreachable_address() -> Iterator[str]:
    """An IPv4 address this machine has no route to: connecting fails at once, 'No route to host'.

    A /32 of TEST-NET-3 (RFC 5737), one per process, gets an `unreachable` route for the
    duration; that needs root (CAP_NET_ADMIN). Where the suite runs as root and cannot add the
    route, the test fails; elsewhere it is skipped, saying why.
    """
    address = f"203.0.113.{2 + os.getpid() % 250}"
    route = ["ip", "route", "add", "unreachable", f"{address}/32"]
    added = subprocess.run(route, capture_output=True, text=True, check=False)
    if added.returncode != 0 and "File exists" not in added.stderr:
        problem = f"cannot add the route '{' '.join(route[1:])}': {added.stderr.strip()}"
        if os.geteuid() == 0:
            pytest.fail(problem)
        pytest.skip(f"{problem} (an unreachable host needs root)")
    try:
        yield address
    finally:
        if added.returncode == 0:
            route[2] = "del"
            subprocess.run(route, capture_output=True, check=False)


# A name under .invalid never resolves (RFC 6761).
UNRESOLVABLE_HOST = "camera.custos-test.invalid"
WRONG_PASSWORD = "not-the-password"


@contextmanager
def failing_sources_running() -> Iterator[dict[GapReason, str]]:
    """Real sources that each fail for one reason, by the reason a recorder should give.

    An address with no route to it, a port nothing listens on, an RTSP camera that wants a
    password the URL gets wrong (and a path it does not serve), a name that does not resolve,
    and a web server that answers with an HTML page. The `failing_sources` fixture holds them
    for a test session.
    """
    camera = RtspCamera(free_port(), credentials=("viewer", "s3cret"))
    page = HtmlServer()
    with unreachable_address() as address:
        camera.start()
        page.start()
        try:
            yield {
                GapReason.HOST_UNREACHABLE: f"rtsp://{address}:554/cam",
                GapReason.CONNECTION_REFUSED: f"rtsp://127.0.0.1:{free_port()}/cam",
                GapReason.AUTHENTICATION_FAILED: camera.url_as("viewer", WRONG_PASSWORD),
                GapReason.STREAM_NOT_FOUND: camera.url.replace("/cam", "/no-such-stream"),
                GapReason.HOST_NOT_FOUND: f"rtsp://{UNRESOLVABLE_HOST}:554/cam",
                GapReason.NOT_A_VIDEO_STREAM: page.url,
            }
        finally:
            page.stop()
            camera.stop()


def ffprobe_video(path: Path) -> dict[str, str]:
    """What ffprobe reads from the first video stream of `path`, counting every frame."""
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-of",
            "json",
            "-show_entries",
            "stream=codec_name,nb_read_frames,start_time,width,height",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    stream: dict[str, str] = json.loads(out)["streams"][0]
    return stream


def rewrite_audit_tree(session: Session) -> None:
    """Recompute every audit tree node from the entries as they now are, as a forger would."""
    from custos.audit import merkle
    from custos.audit.canonical import canonical_bytes
    from custos.audit.log import record_of

    tree = merkle.CompactRange()
    nodes = []
    for entry in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)):
        nodes += tree.append(merkle.leaf_hash(canonical_bytes(record_of(entry))))
    session.execute(sa.text("DELETE FROM audit_nodes"))
    session.execute(
        sa.text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:level, :idx, :hash)"),
        [{"level": level, "idx": index, "hash": digest} for level, index, digest in nodes],
    )
    session.commit()


def connections_to(port: int) -> int:
    """How many TCP connections to 127.0.0.1:`port` are established now (the server's ends)."""
    established = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "01" and int(local.split(":")[1], 16) == port:
            established += 1
    return established


CLOCK_BITS = 32  # as tests/support/rtsp_camera.py draws the clock: blocks across the top


def filmed_at(grey: np.ndarray, near: datetime) -> datetime:
    """When a clock camera filmed `grey` (its luma): the milliseconds in its top band, which
    wrap every 2**32 ms, placed in the cycle nearest `near`."""
    block = grey.shape[1] // CLOCK_BITS
    value = 0
    for bit in range(CLOCK_BITS):
        middle = grey[10:30, bit * block + block // 4 : (bit + 1) * block - block // 4]
        value = value << 1 | int(middle.mean() > 128)
    near_ms = int(near.timestamp() * 1000)
    cycle = 1 << CLOCK_BITS
    ms = near_ms + (value - near_ms + cycle // 2) % cycle - cycle // 2
    return datetime.fromtimestamp(ms / 1000, UTC)


class ServedCustos:
    """A Custos served by uvicorn on a free port: its own SQLite database in `folder`, or the
    `runtime` given (which stays open when the server stops)."""

    def __init__(self, folder: Path | None = None, runtime: Runtime | None = None) -> None:
        self.owned = runtime is None
        if runtime is None:
            assert folder is not None
            settings = Settings(data_dir=folder)
            initialised(settings, passwords=CHEAP_PASSWORDS)
            runtime = open_runtime(settings, passwords=CHEAP_PASSWORDS)
        self.runtime = runtime
        self.port = free_port()
        self.app = create_app(self.runtime)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                pytest.fail("the server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.owned:
            self.runtime.close()


def person_photo(width: int, height: int) -> np.ndarray:
    """The shared photo of one person (BGR), scaled to `width` x `height`."""
    path = SHARED_TESTDATA / "video" / "gen1_test_image.jpg"
    picture = cv2.imread(str(path))
    if picture is None:
        pytest.fail(f"the shared test data is missing: {path}")
    return np.asarray(cv2.resize(picture, (width, height)), dtype=np.uint8)


def still_clip(path: Path, picture: np.ndarray, frames: int = 5, rate: int = 10) -> Path:
    """Write an H.264 MP4 of `picture` (BGR, even size) held still: a camera filming a scene."""
    height, width = picture.shape[:2]
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(frames):
            output.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="bgr24")))
        output.mux(stream.encode(None))
    return path


def custos(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the `custos` command line in this process; returns (exit code, stdout, stderr).

    After a successful `init`, the data folder gets the standing impact assessment
    (`standing_assessment`), as a deployment approves one before it adds cameras."""
    from custos import cli
    from custos.config import load_settings

    code = cli.run(list(argv))
    captured = capsys.readouterr()
    if argv and argv[0] == "init" and code == 0:
        engine = sa.create_engine(load_settings().database)
        try:
            with Session(engine) as session:
                standing_assessment(session)
        finally:
            engine.dispose()
    return code, captured.out, captured.err


STANDING_REVIEW = datetime(2100, 1, 1, tzinfo=UTC)


def withdraw_zone_statements(session: Session) -> None:
    """Take back every assessment's statement that sensitive sites need no privacy zone, as
    a camera recording under one would find after a stricter version (rows, as a seed)."""
    session.execute(sa.update(AssessmentVersion).values(zones_not_needed=""))
    session.commit()


def standing_assessment(session: Session) -> None:
    """An approved impact assessment covering every camera and analytics, due for review in
    2100: what tests that are not about assessments record under. Written as rows (two DPOs
    approving it through the service would need its review within the profile's year)."""
    if session.scalar(sa.select(Assessment.id).where(Assessment.reference == "DPIA-0")):
        return
    assessment = Assessment(
        reference="DPIA-0",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        created_by="dana",
        pre_existing=False,
    )
    session.add(assessment)
    session.flush()
    said = "Every camera of the test deployment"
    session.add(
        AssessmentVersion(
            dpia_id=assessment.id,
            version=1,
            state=VersionState.APPROVED,
            title="Test deployment",
            description=said,
            purposes=said,
            necessity=said,
            risks=said,
            vulnerable_groups=said,
            measures=said,
            consultation=[],
            dpo_opinion="",
            scope=["all"],
            analytics=[a.value for a in Analytics],
            review_by=STANDING_REVIEW,
            public_summary=said,
            zones_not_needed="test sites: zones are drawn where a test is about them",
            author="dana",
            written_at=datetime(2026, 1, 1, tzinfo=UTC),
            approved_by="olga",
            approved_at=datetime(2026, 1, 1, tzinfo=UTC),
            superseded_at=None,
        )
    )
    session.commit()


def initialised(settings: Settings, **options: Any) -> None:
    """`initialise` a data folder, with the standing impact assessment."""
    initialise(settings, **options)
    engine = sa.create_engine(settings.database)
    try:
        with Session(engine) as session:
            standing_assessment(session)
    finally:
        engine.dispose()


class TransactionProbe(DetectorCache):
    """Detectors that note, each time they run, whether `session` has a transaction open."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.seen: list[bool] = []

    def get(self, options: Options, threads: int) -> list[Detector]:
        """The real detectors, each watched."""
        return [_Watched(detector, self) for detector in super().get(options, threads)]


class _Watched:
    def __init__(self, detector: Detector, probe: TransactionProbe) -> None:
        self.kind = detector.kind
        self._detector = detector
        self._probe = probe

    def detect(self, frame: Frame) -> list[Detection]:
        self._probe.seen.append(self._probe.session.in_transaction())
        return self._detector.detect(frame)


def fast_recorders(
    runtime: Runtime,
) -> Callable[[CameraFeed, SegmentWriter, threading.Event], CameraRecorder]:
    def make(feed: CameraFeed, writer: SegmentWriter, stop: threading.Event) -> CameraRecorder:
        return CameraRecorder(
            feed,
            writer,
            runtime.clock,
            stop,
            backoff=Backoff(first=0.5, cap=2),
            open_timeout=5,
            read_timeout=3,
            spool_bytes=int(runtime.settings.spool_megabytes * 1024 * 1024),
            taps=runtime.taps,
        )

    return make


class Recording:
    """A supervisor running in the background for one test."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stop = threading.Event()
        self.supervisor = RecordingSupervisor(
            runtime,
            SegmentPlanner(runtime.rules),
            ExhaustionGate(),
            poll_seconds=0.5,
            recorder_factory=fast_recorders(runtime),
        )
        self.thread = threading.Thread(target=self.supervisor.run, args=(self.stop,))

    def __enter__(self) -> Recording:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()

    def segments(self, camera: str) -> list[Segment]:
        with self.runtime.sessions() as session:
            return [segment for segment, _ in recording.list_segments(session, camera)]


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few hundred bytes whose header declares `width` x `height` RGB pixels.

    Its image data holds a few rows at most: a decoder that trusts the header allocates
    the whole picture before it finds out.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def write_detector(
    folder: Path,
    box: tuple[float, float, float, float] = (0.25, 0.5, 0.5, 0.75),
    score: float = 0.9,
    extra: str = "",
) -> Path:
    """A user detector: a tiny ONNX model that finds `box` (normalised xyxy) in every frame.

    Returns its TOML description; the model is written beside it. It runs in microseconds,
    for tests about everything but detection.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rows = np.asarray([[[*box, score]]], dtype=np.float32)
    nodes = [
        helper.make_node("Constant", [], ["rows"], value=numpy_helper.from_array(rows, "rows")),
        helper.make_node("ReduceMean", ["image"], ["level"], keepdims=0),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.float32(0))),
        helper.make_node("Mul", ["level", "zero"], ["nothing"]),
        helper.make_node("Add", ["rows", "nothing"], ["boxes"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fixed-box",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 64])],
        [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 1, 5])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, folder / "fixed.onnx")
    config = folder / "fixed.toml"
    config.write_text(
        'kind = "badge"\nmodel = "fixed.onnx"\ninput_width = 64\ninput_height = 32\n' + extra,
        encoding="utf-8",
    )
    return config


def with_unreadable_metadata(path: Path, video: Path) -> None:
    """A copy of `video` whose title and stream handler are not UTF-8."""
    with av.open(str(video)) as source, av.open(str(path), "w") as target:
        target.metadata["title"] = "TITLE-MARK-0123"
        stream = target.add_stream_from_template(source.streams.video[0])
        stream.metadata["handler_name"] = "HANDLER-MARK-0123"
        for packet in source.demux(video=0):
            if packet.dts is not None:
                packet.stream = stream
                target.mux(packet)
    data = bytearray(path.read_bytes())
    for mark in (b"TITLE-MARK", b"HANDLER-MARK"):
        at = data.find(mark)
        assert at >= 0
        data[at : at + 4] = b"\xff\xfe\xc3\x28"
    path.write_bytes(bytes(data))


def page_client(app: Any, **options: Any) -> TestClient:
    """A test client that sends changes as a browser sends this site's forms.

    It adds what every form of our pages carries (`custos.web.csrf`): the page's own Origin and
    the token that goes with the session cookie, or with the sign-in cookie on `/login`, which
    it makes the first time as the sign-in page would. Tests of the protection itself use a
    plain `TestClient`.
    """
    options.setdefault("base_url", "https://testserver")
    options.setdefault("follow_redirects", False)
    client = TestClient(app, **options)

    def _as_from_our_page(request: httpx.Request) -> None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        request.headers.setdefault(
            "origin", f"{request.url.scheme}://{request.url.netloc.decode()}"
        )
        if csrf.HEADER in request.headers or "authorization" in request.headers:
            return
        if request.url.path == "/login":
            # The sign-in page's cookie, as the page would have set it (kept by the client).
            cookie = client.cookies.get(csrf.SIGN_IN_COOKIE) or signing_in.setdefault(
                "cookie", secrets.token_urlsafe(32)
            )
            sent = request.headers.get("cookie", "")
            if f"{csrf.SIGN_IN_COOKIE}=" not in sent:
                ours = f"{csrf.SIGN_IN_COOKIE}={cookie}"
                request.headers["cookie"] = f"{sent}; {ours}" if sent else ours
        else:
            cookie = client.cookies.get(SESSION_COOKIE)
        if cookie is not None:
            request.headers[csrf.HEADER] = csrf.token_for(cookie)

    signing_in: dict[str, str] = {}
    client.event_hooks["request"] = [*client.event_hooks["request"], _as_from_our_page]
    return client


def code_now(secret: str, clock: Clock) -> str:
    """The code an authenticator app holding `secret` shows at the clock's time."""
    return pyotp.TOTP(secret).at(clock.now())


def enrol_factor(session: Session, clock: Clock, sealer: Sealer, name: str) -> str:
    """Give account `name` an authenticator, as if set up at an earlier sign-in; its seed.

    The seed is made and sealed by the service; only the first code is skipped.
    """
    user = users.get_user(session, name)
    principal = Principal(user.id, user.name, user.role, via="session")
    enrolment = factor.begin_enrolment(session, clock, principal, principal.actor(), sealer=sealer)
    user.totp_enrolled_at = clock.now()
    session.commit()
    return enrolment.secret


def give_token_code(
    session: Session, clock: Clock, sealer: Sealer, token: str, secret: str
) -> None:
    """Send a code with an API token, as `POST /api/me/second-factor` does, so that it may make
    the changes that need a second factor for the next 15 minutes (of the clock)."""
    principal = users.principal_from_token(session, clock, token)
    factor.give_code(
        session, clock, principal, principal.actor(), code_now(secret, clock), sealer=sealer
    )


def sign_in_page(
    client: TestClient,
    name: str,
    password: str,
    clock: FrozenClock,
    secret: str | None = None,
    next: str = "/cameras",
) -> httpx.Response:
    """Sign in through the pages as a person would; the answer to the last step.

    When the sign-in asks for the authenticator's code, `secret` makes it. A code is used once,
    so the clock first moves on half a minute, as it does between two sign-ins of a person.
    """
    answer = client.post("/login", data={"name": name, "password": password, "next": next})
    if not answer.headers.get("location", "").startswith("/login/code"):
        return answer
    assert secret is not None, f"{name} is asked for a code: give the seed"
    clock.advance(timedelta(seconds=30))
    return client.post("/login/code", data={"code": code_now(secret, clock), "next": next})


def own_account(
    call: Call, name: str, role: Role, password: str, sealer: Sealer | None = None
) -> str | None:
    """An account whose holder chose `password`; with `sealer`, its authenticator set up when
    the role holds one. Returns the authenticator's seed (None when none was set up)."""
    user, temporary = users.create_user(call, name=name, role=role, passwords=CHEAP_PASSWORDS)
    assert temporary is not None
    principal = Principal(user.id, name, role, "session")
    users.change_own_password(call, principal, temporary, password, passwords=CHEAP_PASSWORDS)
    if sealer is None or not needs_second_factor(role):
        return None
    return enrol_factor(call.session, call.clock, sealer, name)


def signed_in_with_code(
    browser: Any, url: str, name: str, password: str, seed: str, path: str = "/", **context: Any
) -> Any:
    """A Chromium page of `name`, signed in with the password and a code from the
    authenticator holding `seed`, on `path` (its `context` options as Playwright takes them)."""
    page = browser.new_context(**context).new_page()
    page.goto(f"{url}/login?next={path}")
    page.fill('input[name="name"]', name)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_selector("#code-form")
    page.fill('input[name="code"]', pyotp.TOTP(seed).now())
    page.click('#code-form button[type="submit"]')
    page.wait_for_selector("header.top .who")
    return page
