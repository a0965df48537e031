"""The `custos` command: thin commands over services; the one place errors become exit codes."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url

from custos import __version__, server
from custos.audit import checkpoint as checkpoints
from custos.audit import witness
from custos.audit.service import Actor
from custos.audit.verify import export_bundle, verify_bundle, verify_log
from custos.cameras import service as cameras
from custos.cameras.policy import (
    DEFAULT_SEGMENT_SECONDS,
    CameraCategory,
    CameraStatus,
    SensitivityTag,
    parse_points,
)
from custos.cameras.schemas import CameraCreate, CameraOut
from custos.clock import parse_time
from custos.config import Settings, load_settings
from custos.errors import (
    ConfigError,
    Conflict,
    CustosError,
    Forbidden,
    InvalidInput,
    NotFound,
    NotInitialised,
    PolicyViolation,
    StorageError,
    TamperDetected,
    Unauthenticated,
    UnsupportedMedia,
)
from custos.incidents import service as incidents
from custos.jobs import run_retention
from custos.recording import service as recording
from custos.redaction.pipeline import Options, redact_file
from custos.redaction.render import Shape, Style
from custos.retention import emergency, holds
from custos.retention import service as retention
from custos.runtime import Runtime
from custos.setup import INITIAL_PASSWORD_FILE, initialise, open_runtime
from custos.users import service as users
from custos.users.policy import Role
from custos.users.schemas import UserOut

# Exit codes, one per kind of failure (docs/cli.md lists them).
EXIT_CODES: dict[type[CustosError], int] = {
    TamperDetected: 1,
    ConfigError: 3,
    NotInitialised: 3,
    InvalidInput: 4,
    NotFound: 5,
    Conflict: 6,
    Unauthenticated: 7,
    Forbidden: 7,
    PolicyViolation: 7,
    StorageError: 8,
    UnsupportedMedia: 9,
}

app = typer.Typer(
    name="custos",
    no_args_is_help=True,
    add_completion=False,
    help="Custos: video monitoring with the law's guarantees enforced by the software.",
)
user_app = typer.Typer(no_args_is_help=True, help="Accounts and their credentials.")
camera_app = typer.Typer(no_args_is_help=True, help="The camera registry.")
audit_app = typer.Typer(no_args_is_help=True, help="The verifiable audit log.")
incident_app = typer.Typer(no_args_is_help=True, help="Incidents: footage kept longer, and why.")
hold_app = typer.Typer(no_args_is_help=True, help="Legal holds on cases.")
emergency_app = typer.Typer(no_args_is_help=True, help="States of emergency and their sunset.")
retention_app = typer.Typer(no_args_is_help=True, help="Retention: the plan and the sweeper.")
segments_app = typer.Typer(no_args_is_help=True, help="The recorded segments and their gaps.")
storage_app = typer.Typer(no_args_is_help=True, help="The blob store.")
app.add_typer(user_app, name="user")
app.add_typer(camera_app, name="camera")
app.add_typer(segments_app, name="segments")
app.add_typer(audit_app, name="audit")
app.add_typer(incident_app, name="incident")
app.add_typer(hold_app, name="hold")
app.add_typer(emergency_app, name="emergency")
app.add_typer(retention_app, name="retention")
app.add_typer(storage_app, name="storage")

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


class State:
    """What the commands share: the settings, loaded on first use so `--help` always works."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The settings, loaded once."""
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


def _state(ctx: typer.Context) -> State:
    state: State = ctx.ensure_object(State) if ctx.obj is None else ctx.obj
    return state


def _actor() -> Actor:
    """Commands act as the local operating-system user."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = str(os.getuid())
    return Actor(name=f"cli:{who}", client_address="local")


@contextmanager
def _opened(ctx: typer.Context) -> Iterator[Runtime]:
    """The runtime for one command, closed however the command ends."""
    runtime = open_runtime(_state(ctx).settings)
    try:
        yield runtime
    finally:
        runtime.close()


def _print_json(data: Any) -> None:
    out.print_json(json.dumps(data, default=str))


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Settings file (TOML); also CUSTOS_CONFIG.", show_default=False
        ),
    ] = None,
) -> None:
    ctx.obj = State(config)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def _shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@app.command()
def init(ctx: typer.Context) -> None:
    """Set up the data folder, key file, blob store and database; safe to run again."""
    settings = _state(ctx).settings
    done = initialise(settings)
    created_key, password = done.key_created, done.admin_password
    out.print(f"data folder   {settings.data_dir.resolve()}")
    out.print(f"database      {_shown_url(settings.database)} (schema up to date)")
    out.print(f"blob store    {settings.blob_location}")
    out.print(f"key file      {settings.kek_path} ({'created' if created_key else 'kept'})")
    if password is not None:
        out.print(
            f"first admin   {users.FIRST_ADMIN} / {password}  (one-time password, also in "
            f"{settings.data_dir / INITIAL_PASSWORD_FILE})"
        )


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    record: Annotated[bool, typer.Option(help="Run the recorders of active cameras too.")] = True,
) -> None:
    """Run the web server and the recorders."""
    with _opened(ctx) as runtime:
        typer.echo(f"Custos is serving at {_url(host, port)}")
        server.serve(runtime, host, port, record=record)


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - display only
    return f"http://{shown}:{port}/"


@app.command()
def demo(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Initialise, register the demo cameras, print where to sign in, serve and record."""
    settings = _state(ctx).settings
    initialise(settings)
    with _opened(ctx) as runtime:
        password = server.prepare_demo(runtime, _actor())
        typer.echo("Custos demo is ready.")
        typer.echo(f"  URL:       {_url(host, port)}")
        typer.echo(f"  User:      {users.FIRST_ADMIN}")
        if password is not None:
            typer.echo(f"  Password:  {password}")
            typer.echo("  (one-time password: you will be asked to choose your own)")
        else:
            typer.echo(
                "  Password:  changed since set-up; `custos user reset-password admin` "
                "issues a new one-time password"
            )
        server.serve(runtime, host, port, record=True)


@app.command()
def record(
    ctx: typer.Context,
    seconds: Annotated[
        float | None,
        typer.Option("--for", min=1, help="Stop after this many seconds (default: until Ctrl-C)."),
    ] = None,
) -> None:
    """Record every active camera in the foreground; stopping seals the segments in progress."""
    with _opened(ctx) as runtime:
        finished = server.record(runtime, seconds)
    for recorder in finished:
        out.print(f"{recorder.feed.name}: {recorder.segments_stored} segments stored")


# --- users -------------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[Role, typer.Option(help="The user's role.", case_sensitive=False)],
    display_name: Annotated[str, typer.Option(help="Full name shown on pages.")] = "",
    token: Annotated[
        bool,
        typer.Option("--token", help="Service account: issue an API token instead of a password."),
    ] = False,
) -> None:
    """Create an account and print its one-time password (or its API token)."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        user, password = users.create_user(
            session,
            runtime.clock,
            _actor(),
            name=name,
            role=role,
            display_name=display_name,
            with_password=not token,
        )
        if token:
            secret, _expires = users.issue_token(
                session, runtime.clock, _actor(), user.name, label="created with the account"
            )
            out.print(f"token for {user.name} ({role.value}): {secret}")
        else:
            out.print(f"one-time password for {user.name} ({role.value}): {password}")


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List accounts."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        rows = [UserOut.model_validate(u) for u in users.list_users(session)]
    if as_json:
        _print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table("name", "role", "state", "display name", "created")
    for row in rows:
        table.add_row(
            row.name,
            row.role.value,
            "active" if row.active else "disabled",
            row.display_name,
            row.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)


def _user_change(ctx: typer.Context, name: str, active: bool) -> None:
    with _opened(ctx) as runtime, runtime.sessions() as session:
        users.set_active(session, runtime.clock, _actor(), name, active)
    out.print(f"{name} {'enabled' if active else 'disabled'}")


@user_app.command("disable")
def user_disable(ctx: typer.Context, name: str) -> None:
    """Disable an account; its sessions and tokens end at once."""
    _user_change(ctx, name, False)


@user_app.command("enable")
def user_enable(ctx: typer.Context, name: str) -> None:
    """Enable a disabled account."""
    _user_change(ctx, name, True)


@user_app.command("reset-password")
def user_reset_password(ctx: typer.Context, name: str) -> None:
    """Give an account a new one-time password and print it."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        password = users.reset_password(session, runtime.clock, _actor(), name)
    out.print(f"one-time password for {name}: {password}")


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    name: str,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    days: Annotated[int, typer.Option(min=1, max=3650, help="Lifetime in days.")] = 90,
) -> None:
    """Issue an API token for an account and print it."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        secret, expires = users.issue_token(
            session, runtime.clock, _actor(), name, label=label, days=days
        )
    out.print(f"token for {name} (expires {expires:%Y-%m-%d}): {secret}")


# --- cameras -----------------------------------------------------------------------------------


@camera_app.command("add")
def camera_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Short unique name.")],
    url: Annotated[str, typer.Option(help="rtsp://, http(s):// URL or absolute file path.")],
    category: Annotated[CameraCategory, typer.Option(help="Legal category.", case_sensitive=False)],
    region: Annotated[str, typer.Option(help="Region the camera is in.")],
    purpose: Annotated[str, typer.Option(help="Stated purpose.")] = "",
    operator_org: Annotated[str, typer.Option(help="Operating organisation.")] = "",
    location: Annotated[str, typer.Option(help="Where the camera is.")] = "",
    tag: Annotated[
        list[SensitivityTag] | None,
        typer.Option(help="Sensitive site tag; repeat for several.", case_sensitive=False),
    ] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Register without recording.")] = False,
    audio: Annotated[
        bool, typer.Option("--audio", help="Keep the sound (dropped by default).")
    ] = False,
    segment_seconds: Annotated[
        int, typer.Option(help="Length of stored segments, 2-60 s.")
    ] = DEFAULT_SEGMENT_SECONDS,
) -> None:
    """Register a camera."""
    try:
        data = CameraCreate(
            record_audio=audio,
            segment_seconds=segment_seconds,
            name=name,
            source_url=url,
            category=category,
            region=region,
            purpose=purpose,
            operator_org=operator_org,
            location=location,
            tags=tag or [],
            status=CameraStatus.DRAFT if draft else CameraStatus.ACTIVE,
        )
    except Exception as error:  # pydantic ValidationError: say which option is wrong
        raise InvalidInput(_validation_text(error)) from None
    with _opened(ctx) as runtime, runtime.sessions() as session:
        camera = cameras.register_camera(session, runtime.clock, _actor(), data)
        out.print(f"registered camera {camera.name} ({camera.status.value})")


def _validation_text(error: Exception) -> str:
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        raise error
    option = {"source_url": "url", "tags": "tag"}
    return "; ".join(
        f"--{option.get(str(item['loc'][0]), str(item['loc'][0])).replace('_', '-')}: "
        f"{item['msg'].removeprefix('Value error, ')}"
        for item in error.errors()
    )


@camera_app.command("retention")
def camera_retention(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The camera.")],
    days: Annotated[
        float | None, typer.Option(help="Days to keep footage; leave out for the policy default.")
    ] = None,
    justification: Annotated[str, typer.Option(help="Why longer than the default.")] = "",
    dpia: Annotated[str, typer.Option(help="Reference of the DPIA that covers it.")] = "",
) -> None:
    """Set how long a camera keeps footage (longer than the default only with reasons)."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        camera = cameras.set_retention(
            session,
            runtime.clock,
            _actor(),
            runtime.policy.profile,
            name,
            days,
            justification,
            dpia,
        )
        kept = (
            "the policy default"
            if camera.retention_days is None
            else f"{camera.retention_days:g} days"
        )
        out.print(f"camera {name} keeps footage {kept}")


@camera_app.command("list")
def camera_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List registered cameras."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        rows = [CameraOut.model_validate(c) for c in cameras.list_cameras(session)]
    if as_json:
        _print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table("name", "status", "category", "region", "tags", "source")
    for row in rows:
        table.add_row(
            row.name,
            row.status.value,
            row.category.value,
            row.region,
            ",".join(tag.value for tag in row.tags),
            row.source_url,
        )
    out.print(table)


def _camera_status(ctx: typer.Context, name: str, target: CameraStatus, reason: str) -> None:
    with _opened(ctx) as runtime, runtime.sessions() as session:
        cameras.set_status(session, runtime.clock, _actor(), name, target, reason)
    out.print(f"camera {name} is {target.value}")


@camera_app.command("suspend")
def camera_suspend(
    ctx: typer.Context,
    name: str,
    reason: Annotated[str, typer.Option(help="Why recording stops.")] = "",
) -> None:
    """Stop a camera from recording."""
    _camera_status(ctx, name, CameraStatus.SUSPENDED, reason)


@camera_app.command("activate")
def camera_activate(
    ctx: typer.Context,
    name: str,
    reason: Annotated[str, typer.Option(help="Why recording starts.")] = "",
) -> None:
    """Let a draft or suspended camera record."""
    _camera_status(ctx, name, CameraStatus.ACTIVE, reason)


zone_app = typer.Typer(no_args_is_help=True, help="Privacy zones: parts of a picture never kept.")
camera_app.add_typer(zone_app, name="zone")


@zone_app.command("add")
def zone_add(
    ctx: typer.Context,
    camera: str,
    zone: Annotated[str, typer.Option("--name", help="The zone's name, e.g. 'flat 3 windows'.")],
    points: Annotated[
        str,
        typer.Option(help="Corners as fractions of width and height: '0.1,0.1 0.5,0.1 0.5,0.6'."),
    ],
    reason: Annotated[str, typer.Option(help="Why this part of the picture is masked.")],
) -> None:
    """Mask a polygon of a camera's picture: never stored, never shown live."""
    try:
        corners = parse_points(points)
    except ValueError as error:
        raise InvalidInput(f"--points: {error}", field="points") from error
    with _opened(ctx) as runtime, runtime.sessions() as session:
        cameras.add_zone(session, runtime.clock, _actor(), camera, zone, corners, reason)
    out.print(f"zone '{zone}' added to {camera}; its recorder restarts with it within seconds")


@zone_app.command("list")
def zone_list(
    ctx: typer.Context, camera: str, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List a camera's privacy zones."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        zones = cameras.list_zones(session, camera)
    if as_json:
        _print_json(
            [
                {
                    "name": zone.name,
                    "points": zone.points,
                    "reason": zone.reason,
                    "created_at": zone.created_at.isoformat(),
                    "created_by": zone.created_by,
                }
                for zone in zones
            ]
        )
        return
    table = Table("zone", "corners", "reason", "added (UTC)", "by")
    for zone in zones:
        corners = " ".join(f"{x:g},{y:g}" for x, y in zone.points)
        table.add_row(
            zone.name, corners, zone.reason, f"{zone.created_at:%Y-%m-%d %H:%M}", zone.created_by
        )
    out.print(table)


@zone_app.command("remove")
def zone_remove(
    ctx: typer.Context,
    camera: str,
    zone: Annotated[str, typer.Option("--name", help="The zone to remove.")],
    reason: Annotated[str, typer.Option(help="Why this part may now be recorded.")],
) -> None:
    """Stop masking a zone: from then on that part of the picture is recorded."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        cameras.remove_zone(session, runtime.clock, _actor(), camera, zone, reason)
    out.print(f"zone '{zone}' removed from {camera}")


# --- segments and storage ----------------------------------------------------------------------


@segments_app.command("list")
def segments_list(
    ctx: typer.Context,
    camera: Annotated[str | None, typer.Option(help="Only this camera.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List stored segments: times, size, codec and hash (never their content)."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        rows = recording.list_segments(session, camera)
    data = [
        {
            "id": segment.id,
            "camera": name,
            "started_at": segment.started_at.isoformat(),
            "ended_at": segment.ended_at.isoformat(),
            "duration_s": round(segment.duration_s, 6),
            "frames": segment.frames,
            "bytes": segment.bytes,
            "codec": segment.codec,
            "width": segment.width,
            "height": segment.height,
            "audio": segment.has_audio,
            "sha256": segment.sha256,
            "key_id": segment.key_id,
        }
        for segment, name in rows
    ]
    if as_json:
        _print_json(data)
        return
    table = Table("camera", "start (UTC)", "seconds", "frames", "bytes", "codec", "size", "id")
    for row in data:
        table.add_row(
            str(row["camera"]),
            str(row["started_at"])[:23],
            f"{row['duration_s']:.2f}",
            str(row["frames"]),
            str(row["bytes"]),
            str(row["codec"]),
            f"{row['width']}x{row['height']}",
            str(row["id"]),
        )
    out.print(table)


@segments_app.command("gaps")
def segments_gaps(
    ctx: typer.Context,
    camera: Annotated[str | None, typer.Option(help="Only this camera.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the gaps in recording and why they happened."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        rows = recording.list_gaps(session, camera)
    data = [
        {
            "camera": name,
            "started_at": gap.started_at.isoformat(),
            "ended_at": gap.ended_at.isoformat() if gap.ended_at else None,
            "reason": gap.reason,
        }
        for gap, name in rows
    ]
    if as_json:
        _print_json(data)
        return
    table = Table("camera", "from (UTC)", "to (UTC)", "reason")
    for row in data:
        table.add_row(
            str(row["camera"]),
            str(row["started_at"])[:23],
            str(row["ended_at"] or "still open")[:23],
            str(row["reason"]),
        )
    out.print(table)


@storage_app.command("check")
def storage_check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    decode: Annotated[
        bool, typer.Option(help="Also decode every frame (slower, catches more).")
    ] = True,
) -> None:
    """Open every stored segment in memory: blob present, hash, key, decryption, decoding."""
    from rich.progress import Progress

    with _opened(ctx) as runtime, runtime.sessions() as session:
        total = len(recording.list_segments(session))
        with Progress(console=err, transient=True, disable=as_json) as progress:
            task = progress.add_task("checking segments", total=total)
            results = list(
                recording.check_segments(
                    session,
                    runtime.sealer,
                    runtime.blobs,
                    decode=decode,
                    progress=lambda: progress.advance(task),
                )
            )
    bad = [r for r in results if r.problem is not None]
    if as_json:
        _print_json(
            {
                "checked": len(results),
                "good": len(results) - len(bad),
                "bad": [
                    {
                        "segment": r.segment_id,
                        "camera": r.camera,
                        "started_at": r.started_at.isoformat(),
                        "problem": r.problem,
                    }
                    for r in bad
                ],
            }
        )
    else:
        out.print(
            f"{len(results)} segments checked, {len(results) - len(bad)} good, {len(bad)} bad"
        )
        for result in bad:
            out.print(
                f"BAD {result.segment_id} ({result.camera}, "
                f"{result.started_at:%Y-%m-%d %H:%M:%S}): {result.problem}"
            )
    if bad:
        raise TamperDetected(f"{len(bad)} bad segment(s): " + ", ".join(r.segment_id for r in bad))


# --- audit log -----------------------------------------------------------------------------------


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context) -> None:
    """Sign a checkpoint of the audit log now."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        signed = checkpoints.sign_checkpoint(session, runtime.clock, runtime.log_signer(session))
        assert signed is not None
        out.print(f"signed checkpoint #{signed.id}: {signed.tree_size} entries")
        typer.echo(signed.note, nl=False)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    bundle: Annotated[
        Path | None,
        typer.Option(help="Check an exported bundle offline instead of the database."),
    ] = None,
) -> None:
    """Recompute the log from its entries and check every node and checkpoint."""
    if bundle is not None:
        report = verify_bundle(bundle)
    else:
        with _opened(ctx) as runtime, runtime.sessions() as session:
            report = verify_log(session, runtime.log_signer(session).verifier)
    if not report.ok:
        raise TamperDetected(f"audit log verification failed: {report.problem}")
    out.print(f"audit log verified: {report.entries} entries, {report.checkpoints} checkpoint(s)")


@audit_app.command("export")
def audit_export(
    ctx: typer.Context, target: Annotated[Path, typer.Argument(help="Folder to write.")]
) -> None:
    """Write a bundle (entries, latest checkpoint, public key) that verifies with no database."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        signer = runtime.log_signer(session)
        checkpoints.sign_checkpoint(session, runtime.clock, signer, only_if_grown=True)
        size = export_bundle(session, signer.verifier, target)
    out.print(
        f"exported {size} entries to {target}; check with: custos audit verify --bundle {target}"
    )


@audit_app.command("witness-add")
def audit_witness_add(
    ctx: typer.Context, vkey: Annotated[str, typer.Argument(help="The witness's verifier key.")]
) -> None:
    """Register an outside witness whose cosignatures the log accepts and shows."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        witness = checkpoints.add_witness(session, runtime.clock, _actor(), vkey)
        out.print(f"witness {witness.name} registered")


@app.command("witness")
def witness_command(
    url: Annotated[str, typer.Option(help="Base URL of the Custos to witness.")],
    state: Annotated[Path, typer.Option(help="Folder with this witness's key and memory.")],
    name: Annotated[
        str | None, typer.Option(help="This witness's name (first run), e.g. ngo.example/w1.")
    ] = None,
    log_key: Annotated[
        str | None, typer.Option(help="The log's verifier key; trusted on first use if absent.")
    ] = None,
) -> None:
    """Witness a log: verify its latest checkpoint extends the last one seen, then cosign it."""
    result = witness.run(url, state, name=name, log_key=log_key)
    seen = (
        "first checkpoint"
        if result.previous_size is None
        else (f"consistent with {result.previous_size} entries seen before")
    )
    out.print(f"{result.origin}: {result.size} entries, {seen}; cosigned")
    out.print(f"cosignature submitted: {result.submitted}")
    signer = witness.witness_signer(state, None)
    out.print(f"this witness's key: {signer.verifier.vkey()}")


# --- redaction ---------------------------------------------------------------------------------

REDACTION = Options()  # the defaults the command's options show


@app.command("redact")
def redact_command(
    source: Annotated[Path, typer.Argument(help="Video (any FFmpeg reads) or JPEG/PNG picture.")],
    target: Annotated[Path, typer.Argument(help="Output: .mp4/.mkv/.mov/.m4v, or .jpg/.png.")],
    faces: Annotated[bool, typer.Option("--faces/--no-faces", help="Mask faces.")] = True,
    plates: Annotated[bool, typer.Option("--plates", help="Mask licence plates.")] = False,
    people: Annotated[bool, typer.Option("--people", help="Mask whole people.")] = False,
    detector: Annotated[
        list[Path] | None,
        typer.Option(help="A user ONNX detector's TOML description; repeat for several."),
    ] = None,
    style: Annotated[Style, typer.Option(help="How masked regions look.")] = Style.BLUR,
    shape: Annotated[Shape, typer.Option(help="auto: ellipse for faces, box otherwise.")] = (
        Shape.AUTO
    ),
    margin: Annotated[
        float, typer.Option(min=0, max=2, help="Added on each side, as a fraction of the box.")
    ] = REDACTION.look.margin,
    threshold: Annotated[
        float, typer.Option(min=0.05, max=0.95, help="Face detector confidence threshold.")
    ] = REDACTION.face_threshold,
    detect_every: Annotated[
        int, typer.Option(min=1, max=25, help="Video: detect on every N-th frame, track between.")
    ] = REDACTION.detect_every,
    detect_size: Annotated[
        int, typer.Option(min=160, max=7680, help="Video: longer side of the detection picture.")
    ] = REDACTION.detect_size or 640,
    reveal: Annotated[
        list[int] | None,
        typer.Option(help="Track id to leave visible (repeat); needs --reason."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why the revealed tracks are visible.")] = None,
    labels: Annotated[
        bool, typer.Option("--labels", help="Write each track's id beside its mask.")
    ] = False,
) -> None:
    """Mask faces (and plates, people) in a video or picture; writes OUT and OUT.redaction.json."""
    from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

    from custos.redaction.detectors import FACE, PERSON, PLATE, OnnxDetector
    from custos.redaction.render import Look

    kinds = {kind for kind, wanted in ((FACE, faces), (PLATE, plates), (PERSON, people)) if wanted}
    options = Options(
        kinds=frozenset(kinds),
        look=Look(style, shape, margin),
        detect_every=detect_every,
        detect_size=detect_size,
        face_threshold=threshold,
        reveal=frozenset(reveal or ()),
        reveal_reason=reason,
        labels=labels,
        extra_detectors=tuple(OnnxDetector.from_file(path) for path in detector or ()),
    )
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeRemainingColumn())
    # Only on a terminal: elsewhere a transient bar still leaves a blank line before errors.
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(f"redacting {source.name}", total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        result = redact_file(source, target, options, advance)
    if result.declared_frames and result.frames < result.declared_frames:
        err.print(
            f"warning: {source.name} declares {result.declared_frames} frames but "
            f"{result.frames} decoded: it may be cut short or damaged"
        )
    hidden = sum(1 for record in result.tracks.values() if not record.visible)
    out.print(
        f"{target}: {result.frames} frame{'s' if result.frames != 1 else ''}, "
        f"{hidden} track{'s' if hidden != 1 else ''} masked"
        + (f", tracks {', '.join(map(str, sorted(options.reveal)))} visible" if reveal else "")
    )
    out.print(f"record: {target.with_name(target.name + '.redaction.json')}")


# --- retention ---------------------------------------------------------------------------------


@incident_app.command("add")
def incident_add(
    ctx: typer.Context,
    camera: Annotated[list[str], typer.Option(help="Camera name; repeat for several.")],
    start: Annotated[str, typer.Option("--from", help="Start (ISO 8601, UTC if no zone).")],
    end: Annotated[str, typer.Option("--to", help="End (ISO 8601, UTC if no zone).")],
    description: Annotated[str, typer.Option(help="What happened.")],
    reference: Annotated[str, typer.Option(help="Legal reference (report, article).")],
    justification: Annotated[str, typer.Option(help="Why the footage must be kept.")],
    offence: Annotated[
        bool, typer.Option("--offence", help="The footage shows evidence of an offence.")
    ] = False,
) -> None:
    """Mark an incident: the footage it covers is kept for the incident period."""
    window = parse_time(start, "--from"), parse_time(end, "--to")
    with _opened(ctx) as runtime, runtime.sessions() as session:
        incident = incidents.mark(
            session,
            runtime.clock,
            _actor(),
            runtime.rules,
            cameras=camera,
            start=window[0],
            end=window[1],
            description=description,
            reference=reference,
            justification=justification,
            offence=offence,
        )
        out.print(f"incident {incident.id} marked on {', '.join(sorted(camera))}")


@incident_app.command("unmark")
def incident_unmark(
    ctx: typer.Context,
    incident_id: Annotated[int, typer.Argument(help="The incident number.")],
    justification: Annotated[str, typer.Option(help="Why it is withdrawn.")],
) -> None:
    """Withdraw an incident; its footage returns to normal retention."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        incidents.unmark(
            session, runtime.clock, _actor(), runtime.rules, incident_id, justification
        )
        out.print(f"incident {incident_id} unmarked")


@incident_app.command("list")
def incident_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List marked incidents."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        rows = [
            {
                "id": i.id,
                "cameras": sorted(c.name for c in i.cameras),
                "from": i.starts_at.isoformat(),
                "to": i.ends_at.isoformat(),
                "offence": i.offence,
                "reference": i.legal_reference,
                "description": i.description,
            }
            for i in incidents.list_incidents(session)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "cameras", "from (UTC)", "to (UTC)", "offence", "reference")
    for row in rows:
        table.add_row(
            str(row["id"]),
            ",".join(row["cameras"]),  # type: ignore[arg-type]
            str(row["from"])[:19],
            str(row["to"])[:19],
            "yes" if row["offence"] else "no",
            str(row["reference"]),
        )
    out.print(table)


@hold_app.command("place")
def hold_place(
    ctx: typer.Context,
    case: Annotated[str, typer.Option(help="The case reference.")],
    camera: Annotated[list[str], typer.Option(help="Camera name; repeat, one per --from/--to.")],
    start: Annotated[list[str], typer.Option("--from", help="Window start; one per --camera.")],
    end: Annotated[list[str], typer.Option("--to", help="Window end; one per --camera.")],
    reason: Annotated[str, typer.Option(help="Why the footage must be kept.")],
    review: Annotated[str | None, typer.Option(help="Review date (default: the policy's).")] = None,
    person: Annotated[str | None, typer.Option(help="Pseudonymous label of the person.")] = None,
) -> None:
    """Place a legal hold: nothing it covers is erased until it is released."""
    if not len(camera) == len(start) == len(end):
        raise InvalidInput("give one --from and one --to for every --camera")
    scopes = [
        holds.Scope(c, parse_time(a, "--from"), parse_time(b, "--to"))
        for c, a, b in zip(camera, start, end, strict=True)
    ]
    with _opened(ctx) as runtime, runtime.sessions() as session:
        hold = holds.place_hold(
            session,
            runtime.clock,
            _actor(),
            runtime.policy.profile,
            runtime.rules,
            case_ref=case,
            scopes=scopes,
            reason=reason,
            review_due=parse_time(review, "--review") if review else None,
            person_ref=person,
        )
        out.print(f"hold {hold.id} placed on case {case}; review due {hold.review_due:%Y-%m-%d}")


@hold_app.command("release")
def hold_release(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="The hold number.")],
    reason: Annotated[str, typer.Option(help="Why the hold ends.")],
) -> None:
    """Release a hold; what it covered returns to normal retention."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        holds.release_hold(session, runtime.clock, _actor(), runtime.rules, hold_id, reason)
        out.print(f"hold {hold_id} released")


@hold_app.command("list")
def hold_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List live holds, the ones due for review first."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        now = runtime.clock.now()
        rows = [
            {
                "id": h.id,
                "case": h.case_ref,
                "person": h.person_ref,
                "review_due": h.review_due.isoformat(),
                "overdue": h.review_due <= now,
                "scopes": [
                    [s.camera_id, s.starts_at.isoformat(), s.ends_at.isoformat()] for s in h.scopes
                ],
            }
            for h in holds.list_holds(session)
        ]
    if as_json:
        _print_json(rows)
        return
    table = Table("id", "case", "person", "review due", "")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["case"]),
            str(row["person"] or ""),
            str(row["review_due"])[:10],
            "REVIEW OVERDUE" if row["overdue"] else "",
        )
    out.print(table)


@emergency_app.command("declare")
def emergency_declare(
    ctx: typer.Context,
    region: Annotated[list[str], typer.Option(help="Region; repeat for several.")],
    start: Annotated[str, typer.Option("--from", help="When it began.")],
    decree: Annotated[str, typer.Option(help="Reference of the decree.")],
    end: Annotated[str | None, typer.Option("--to", help="When it ended, if it has.")] = None,
) -> None:
    """Record a state of emergency; footage from its regions during it is tagged."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        regime = emergency.declare(
            session,
            runtime.clock,
            _actor(),
            runtime.rules,
            regions=region,
            start=parse_time(start, "--from"),
            end=parse_time(end, "--to") if end else None,
            decree_ref=decree,
        )
        out.print(f"state of emergency {regime.id} recorded over {', '.join(regime.regions)}")


@emergency_app.command("end")
def emergency_end(
    ctx: typer.Context,
    regime_id: Annotated[int, typer.Argument(help="The state of emergency's number.")],
    at: Annotated[str, typer.Option("--at", help="When it ended.")],
) -> None:
    """Record the end of a state of emergency; its sunset is planned from then."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        regime = emergency.end_regime(
            session, runtime.clock, _actor(), runtime.rules, regime_id, parse_time(at, "--at")
        )
        assert regime.ends_at is not None
        sunset = regime.ends_at + runtime.rules.emergency_grace
        out.print(
            f"state of emergency {regime_id} ended; sunset erasure from {sunset:%Y-%m-%d %H:%M} UTC"
        )


@retention_app.command("plan")
def retention_plan(
    ctx: typer.Context,
    at: Annotated[
        str | None, typer.Option("--at", help="Show what is due by then (never erases).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Dry run: what would be erased by a moment, and why. Nothing is erased."""
    with _opened(ctx) as runtime, runtime.sessions() as session:
        moment = parse_time(at, "--at") if at else runtime.clock.now()
        items = retention.due(session, runtime.rules, moment)
    if as_json:
        _print_json(
            {
                "at": moment.isoformat(),
                "summary": retention.plan_summary(items),
                "segments": [
                    {
                        "segment": i.segment_id,
                        "camera": i.camera,
                        "started_at": i.started_at.isoformat(),
                        "expires_at": i.expires_at.isoformat(),
                        "reason": i.reason.value,
                        "rule": i.detail,
                        "bytes": i.bytes,
                    }
                    for i in items
                ],
            }
        )
        return
    out.print(f"{len(items)} segments due by {moment:%Y-%m-%d %H:%M} UTC")
    for reason, count in sorted(retention.plan_summary(items).items()):
        out.print(f"  {reason}: {count}")


@retention_app.command("sweep")
def retention_sweep(ctx: typer.Context) -> None:
    """Erase what is due now (crypto-shredding), relieve storage pressure, publish sunsets."""
    with _opened(ctx) as runtime:
        result = run_retention(runtime)
    out.print(
        f"erased {result.erased} segments"
        + (
            f" ({', '.join(f'{k}: {v}' for k, v in sorted(result.by_reason.items()))})"
            if result.by_reason
            else ""
        )
    )
    if result.resumed:
        out.print(f"finished {result.resumed} erasures an interrupted sweep had begun")


# --- entry point -------------------------------------------------------------------------------


def exit_code(error: CustosError) -> int:
    """The exit code of an error, by its nearest listed class."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def run(argv: Sequence[str]) -> int:
    """Run the command line `argv`; returns the exit code. Errors are printed, not raised."""
    try:
        result = app(args=list(argv), prog_name="custos", standalone_mode=False)
    except CustosError as error:
        err.print(f"[bold red]error:[/] {escape(error.message)}")
        return exit_code(error)
    except typer.Exit as error:
        return int(error.exit_code)
    except typer.Abort:
        err.print("aborted")
        return 130
    except typer.TyperException as error:  # usage errors: unknown option, bad choice, ...
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {escape(error.format_message())}")
        return error.exit_code
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
