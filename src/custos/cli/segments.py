"""`custos segments`: the recorded segments and the gaps between them (never their content)."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli.common import opened, print_rows

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
            "sha256": segment.sha256,
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
) -> None:
    """List the gaps in recording and why they happened."""
    from custos.recording import service as recording

    with opened(ctx) as runtime, runtime.sessions() as session:
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
    print_rows(
        data,
        as_json,
        [
            ("camera", lambda row: str(row["camera"])),
            ("from (UTC)", lambda row: str(row["started_at"])[:23]),
            ("to (UTC)", lambda row: str(row["ended_at"] or "still open")[:23]),
            ("reason", lambda row: str(row["reason"])),
        ],
    )
