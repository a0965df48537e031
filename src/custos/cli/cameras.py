"""`custos camera` and `custos camera zone`: the camera registry and its privacy zones."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cameras.policy import (
    DEFAULT_SEGMENT_SECONDS,
    CameraCategory,
    CameraStatus,
    SensitivityTag,
    Withheld,
    parse_points,
)
from custos.cli.common import call, opened, out, print_rows
from custos.errors import InvalidInput

app = typer.Typer(no_args_is_help=True, help="The camera registry.")
zone_app = typer.Typer(no_args_is_help=True, help="Privacy zones: parts of a picture never kept.")


@app.command("add")
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
    priority: Annotated[
        int, typer.Option(help="0-100: recorders short of room claim higher priority first.")
    ] = 0,
    no_check: Annotated[
        bool,
        typer.Option("--no-check", help="Register without trying the source first (offline)."),
    ] = False,
    lat: Annotated[float | None, typer.Option(help="Latitude (the register shows a grid).")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude.")] = None,
    signage: Annotated[str, typer.Option(help="What signs tell the people filmed.")] = "",
    contact: Annotated[str, typer.Option(help="Who answers the public about it.")] = "",
) -> None:
    """Register a camera; its source is tried first and a source with no picture refused."""
    from custos.cameras import service as cameras
    from custos.cameras.schemas import CameraCreate

    try:
        data = CameraCreate(
            record_audio=audio,
            segment_seconds=segment_seconds,
            priority=priority,
            name=name,
            source_url=url,
            category=category,
            region=region,
            purpose=purpose,
            operator_org=operator_org,
            location=location,
            tags=tag or [],
            status=CameraStatus.DRAFT if draft else CameraStatus.ACTIVE,
            latitude=lat,
            longitude=lon,
            signage=signage,
            contact=contact,
        )
    except Exception as error:  # pydantic ValidationError: say which option is wrong
        raise InvalidInput(_validation_text(error)) from None
    found = "not tried (--no-check)" if no_check else _check(data.source_url)
    with opened(ctx) as runtime, runtime.sessions() as session:
        camera = cameras.register_camera(call(runtime, session), data)
        out.print(f"registered camera {camera.name} ({camera.status.value}): {found}")


def _check(source: str) -> str:
    """What the source sends; a source that sends no picture refuses the command."""
    from custos.recording.probe import probe_source

    probe = probe_source(source)
    if not probe.ok:
        refusal = probe.refusal()
        refusal.message = f"--url: {refusal.message}; --no-check registers the camera anyway"
        raise refusal
    return probe.summary()


@app.command("edit")
def camera_edit(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The camera.")],
    url: Annotated[
        str | None, typer.Option(help="New rtsp://, http(s):// URL or absolute file path.")
    ] = None,
    location: Annotated[str | None, typer.Option(help="Where the camera is.")] = None,
    purpose: Annotated[str | None, typer.Option(help="Stated purpose.")] = None,
    segment_seconds: Annotated[
        int | None, typer.Option(help="Length of stored segments, 2-60 s.")
    ] = None,
    priority: Annotated[
        int | None, typer.Option(help="0-100: recorders short of room claim higher first.")
    ] = None,
    no_check: Annotated[
        bool, typer.Option("--no-check", help="Take a new URL without trying it first.")
    ] = False,
) -> None:
    """Change a camera's source, location, purpose, segment length or priority; a new source
    is tried."""
    from custos.cameras import service as cameras
    from custos.cameras.schemas import CameraUpdate

    given = {"source_url": url, "location": location, "purpose": purpose}
    try:  # every value is checked before a new source is tried: a slip is told at once
        checked = CameraUpdate.model_validate(
            {
                **{k: v for k, v in given.items() if v is not None},
                "segment_seconds": segment_seconds,
                "priority": priority,
            }
        )
    except Exception as error:  # pydantic ValidationError: say which option is wrong
        raise InvalidInput(_validation_text(error)) from None
    url = checked.source_url
    with opened(ctx) as runtime:
        found = ""
        if url is not None and not no_check:
            with runtime.sessions() as session:
                current = cameras.get_camera(session, name).source_url
            if url != current:  # no transaction is open while the source is tried
                found = f"; new source: {_check(url)}"
        with runtime.sessions() as session:
            try:
                camera = cameras.edit_camera(
                    call(runtime, session),
                    name,
                    source_url=url,
                    location=location,
                    purpose=purpose,
                    segment_seconds=segment_seconds,
                    priority=priority,
                )
            except InvalidInput as error:
                if error.field:
                    option = {"source_url": "url"}.get(error.field, error.field)
                    error.message = f"--{option.replace('_', '-')}: {error.message}"
                raise
        out.print(f"camera {camera.name} updated{found}")


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


@app.command("retention")
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
    from custos.retention import service as retention

    with opened(ctx) as runtime, runtime.sessions() as session:
        camera = retention.set_camera_retention(
            call(runtime, session),
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


@app.command("list")
def camera_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List registered cameras."""
    from custos.cameras import service as cameras
    from custos.cameras.schemas import CameraOut

    with opened(ctx) as runtime, runtime.sessions() as session:
        rows = [CameraOut.model_validate(c) for c in cameras.list_cameras(session)]
    print_rows(
        rows,
        as_json,
        [
            ("name", lambda row: row.name),
            ("status", lambda row: row.status.value),
            ("category", lambda row: row.category.value),
            ("region", lambda row: row.region),
            ("tags", lambda row: ",".join(tag.value for tag in row.tags)),
            ("source", lambda row: row.source_url),
        ],
        lambda row: row.model_dump(mode="json"),
    )


@app.command("status")
def camera_status(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Every camera's health, worst first: state, why, last segment, lag, picture, open gap."""
    from datetime import timedelta

    from custos.health import service as health
    from custos.health.policy import duration_text
    from custos.health.schemas import CameraHealthOut

    with opened(ctx) as runtime, runtime.sessions() as session:
        limits = health.limits_of(runtime.settings.camera_down_alert_seconds)
        rows = [
            CameraHealthOut.model_validate(row)
            for row in health.camera_health(session, limits, runtime.clock.now())
        ]

    def span(seconds: float | None) -> str:
        return "" if seconds is None else duration_text(timedelta(seconds=seconds))

    print_rows(
        rows,
        as_json,
        [
            ("camera", lambda row: row.camera),
            ("state", lambda row: f"{row.state.value} (RED)" if row.red else row.state.value),
            ("since", lambda row: f"{row.since:%Y-%m-%d %H:%M:%S}" if row.since else ""),
            ("why", lambda row: row.reason),
            (
                "last segment",
                lambda row: f"{span(row.last_segment_age_s)} ago" if row.last_segment_end else "",
            ),
            ("lag", lambda row: span(row.lag_s)),
            ("kbit/s", lambda row: f"{row.bitrate_bps / 1000:.0f}" if row.bitrate_bps else ""),
            ("fps", lambda row: f"{row.fps:.1f}" if row.fps else ""),
            ("picture", lambda row: f"{row.resolution} {row.codec}".strip()),
            ("open gap", lambda row: row.open_gap_reason),
        ],
        lambda row: row.model_dump(mode="json"),
    )


def _camera_status(ctx: typer.Context, name: str, target: CameraStatus, reason: str) -> None:
    from custos.cameras import service as cameras

    with opened(ctx) as runtime, runtime.sessions() as session:
        cameras.set_status(call(runtime, session), name, target, reason)
    out.print(f"camera {name} is {target.value}")


@app.command("suspend")
def camera_suspend(
    ctx: typer.Context,
    name: str,
    reason: Annotated[str, typer.Option(help="Why recording stops.")] = "",
) -> None:
    """Stop a camera from recording."""
    _camera_status(ctx, name, CameraStatus.SUSPENDED, reason)


@app.command("activate")
def camera_activate(
    ctx: typer.Context,
    name: str,
    reason: Annotated[str, typer.Option(help="Why recording starts.")] = "",
) -> None:
    """Let a draft or suspended camera record."""
    _camera_status(ctx, name, CameraStatus.ACTIVE, reason)


@app.command("withhold")
def camera_withhold(
    ctx: typer.Context,
    name: str,
    reason: Annotated[Withheld, typer.Option(help="Counted in public.", case_sensitive=False)],
    note: Annotated[str, typer.Option(help="Why, for the audit log.")],
) -> None:
    """Keep a camera off the public register, for a reason counted in public."""
    from custos.cameras import service as cameras

    with opened(ctx) as runtime, runtime.sessions() as session:
        cameras.withhold(call(runtime, session), name, reason, note)
    out.print(f"camera {name} is withheld from the public register ({reason.value})")


@app.command("publish")
def camera_publish(
    ctx: typer.Context,
    name: str,
    note: Annotated[str, typer.Option(help="Why it is shown again.")] = "",
) -> None:
    """Show a withheld camera on the public register again."""
    from custos.cameras import service as cameras

    with opened(ctx) as runtime, runtime.sessions() as session:
        cameras.publish(call(runtime, session), name, note)
    out.print(f"camera {name} is on the public register")


app.add_typer(zone_app, name="zone")


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
    from custos.cameras import service as cameras

    try:
        corners = parse_points(points)
    except ValueError as error:
        raise InvalidInput(f"--points: {error}", field="points") from error
    with opened(ctx) as runtime, runtime.sessions() as session:
        cameras.add_zone(call(runtime, session), camera, zone, corners, reason)
    out.print(f"zone '{zone}' added to {camera}; its recorder restarts with it within seconds")


@zone_app.command("list")
def zone_list(
    ctx: typer.Context, camera: str, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List a camera's privacy zones."""
    from custos.cameras import service as cameras

    with opened(ctx) as runtime, runtime.sessions() as session:
        zones = cameras.list_zones(session, camera)
    print_rows(
        zones,
        as_json,
        [
            ("zone", lambda zone: zone.name),
            ("corners", lambda zone: " ".join(f"{x:g},{y:g}" for x, y in zone.points)),
            ("reason", lambda zone: zone.reason),
            ("added (UTC)", lambda zone: f"{zone.created_at:%Y-%m-%d %H:%M}"),
            ("by", lambda zone: zone.created_by),
        ],
        lambda zone: {
            "name": zone.name,
            "points": zone.points,
            "reason": zone.reason,
            "created_at": zone.created_at.isoformat(),
            "created_by": zone.created_by,
        },
    )


@zone_app.command("remove")
def zone_remove(
    ctx: typer.Context,
    camera: str,
    zone: Annotated[str, typer.Option("--name", help="The zone to remove.")],
    reason: Annotated[str, typer.Option(help="Why this part may now be recorded.")],
) -> None:
    """Stop masking a zone: from then on that part of the picture is recorded."""
    from custos.cameras import service as cameras

    with opened(ctx) as runtime, runtime.sessions() as session:
        cameras.remove_zone(call(runtime, session), camera, zone, reason)
    out.print(f"zone '{zone}' removed from {camera}")
