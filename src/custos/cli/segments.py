"""`custos segments`: the recorded segments and the gaps between them (never their content)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from custos.cli.common import opened, out, print_json, print_rows

if TYPE_CHECKING:
    from custos.recording.service import Hole

app = typer.Typer(no_args_is_help=True, help="The recorded segments and their gaps.")


@app.command("list")
def segments_list(
    ctx: typer.Context,
    camera: Annotated[str | None, typer.Option(help="Only this camera.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List stored segments: times, size, codec and hash (never their content)."""
    from custos.recording import service as recording

    with opened(ctx) as runtime, runtime.sessions() as session:
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
            "digest": segment.digest,
            "key_id": segment.key_id,
        }
        for segment, name in rows
    ]
    print_rows(
        data,
        as_json,
        [
            ("camera", lambda row: str(row["camera"])),
            ("start (UTC)", lambda row: str(row["started_at"])[:23]),
            ("seconds", lambda row: f"{row['duration_s']:.2f}"),
            ("frames", lambda row: str(row["frames"])),
            ("bytes", lambda row: str(row["bytes"])),
            ("codec", lambda row: str(row["codec"])),
            ("size", lambda row: f"{row['width']}x{row['height']}"),
            ("id", lambda row: str(row["id"])),
        ],
    )


@app.command("gaps")
def segments_gaps(
    ctx: typer.Context,
    camera: Annotated[str | None, typer.Option(help="Only this camera.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Check that stored footage and gaps cover each camera's time line; "
            "exit 1 naming any hole.",
        ),
    ] = False,
    tolerance: Annotated[
        float, typer.Option(min=0, help="With --check: holes up to this many seconds pass.")
    ] = 0.5,
) -> None:
    """List the gaps in recording and why they happened; --check finds unexplained holes."""
    from custos.recording import service as recording

    with opened(ctx) as runtime, runtime.sessions() as session:
        if check:
            holes = recording.timeline_holes(
                session, runtime.clock.now(), camera, timedelta(seconds=tolerance)
            )
        else:
            rows = recording.list_gaps(session, camera)
    if check:
        _report_holes(holes, as_json)
        return
    data = [
        {
            "camera": name,
            "started_at": gap.started_at.isoformat(),
            "ended_at": gap.ended_at.isoformat() if gap.ended_at else None,
            "seconds": round(
                ((gap.ended_at or runtime.clock.now()) - gap.started_at).total_seconds(), 3
            ),
            "reason": gap.reason,
            "detail": gap.detail,
        }
        for gap, name in rows
    ]
    print_rows(
        data,
        as_json,
        [
            ("camera", lambda row: str(row["camera"])),
            ("from (UTC)", lambda row: str(row["started_at"])[:23]),
            ("to (UTC)", lambda row: str(row["ended_at"] or "still open")[:23]),
            ("seconds", lambda row: f"{row['seconds']:.1f}"),
            ("reason", lambda row: str(row["reason"])),
        ],
    )


def _report_holes(holes: list[Hole], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "holes": [
                    {
                        "camera": hole.camera,
                        "started_at": hole.started_at.isoformat(),
                        "ended_at": hole.ended_at.isoformat(),
                        "seconds": round(hole.seconds, 3),
                    }
                    for hole in holes
                ]
            }
        )
    elif not holes:
        out.print("every camera's time line is covered by stored footage or gap rows")
    for hole in holes if not as_json else ():
        out.print(
            f"HOLE {hole.camera}: {hole.started_at:%Y-%m-%d %H:%M:%S.%f} to "
            f"{hole.ended_at:%Y-%m-%d %H:%M:%S.%f} UTC ({hole.seconds:.1f} s unexplained)"
        )
    if holes:
        raise typer.Exit(1)
