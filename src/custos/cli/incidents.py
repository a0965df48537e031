"""`custos incident`: footage kept longer because something happened, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli.common import call, opened, out, print_rows
from custos.clock import parse_time

app = typer.Typer(no_args_is_help=True, help="Incidents: footage kept longer, and why.")


@app.command("add")
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
    from custos.retention import incidents

    window = parse_time(start, "--from"), parse_time(end, "--to")
    with opened(ctx) as runtime, runtime.sessions() as session:
        incident = incidents.mark(
            call(runtime, session),
            cameras=camera,
            start=window[0],
            end=window[1],
            description=description,
            reference=reference,
            justification=justification,
            offence=offence,
        )
        out.print(f"incident {incident.id} marked on {', '.join(sorted(camera))}")


@app.command("unmark")
def incident_unmark(
    ctx: typer.Context,
    incident_id: Annotated[int, typer.Argument(help="The incident number.")],
    justification: Annotated[str, typer.Option(help="Why it is withdrawn.")],
) -> None:
    """Withdraw an incident; its footage returns to normal retention."""
    from custos.retention import incidents

    with opened(ctx) as runtime, runtime.sessions() as session:
        incidents.unmark(call(runtime, session), incident_id, justification)
        out.print(f"incident {incident_id} unmarked")


@app.command("list")
def incident_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List marked incidents."""
    from custos.retention import incidents

    with opened(ctx) as runtime, runtime.sessions() as session:
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
    print_rows(
        rows,
        as_json,
        [
            ("id", lambda row: str(row["id"])),
            ("cameras", lambda row: ",".join(row["cameras"])),  # type: ignore[arg-type]
            ("from (UTC)", lambda row: str(row["from"])[:19]),
            ("to (UTC)", lambda row: str(row["to"])[:19]),
            ("offence", lambda row: "yes" if row["offence"] else "no"),
            ("reference", lambda row: str(row["reference"])),
        ],
    )
