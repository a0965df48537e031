"""`custos retention`: what is due for erasure and why, and the sweeper that erases it."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli.common import opened, out, print_json
from custos.clock import parse_time

app = typer.Typer(no_args_is_help=True, help="Retention: the plan and the sweeper.")


@app.command("plan")
def retention_plan(
    ctx: typer.Context,
    at: Annotated[
        str | None, typer.Option("--at", help="Show what is due by then (never erases).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Dry run: what would be erased by a moment, and why. Nothing is erased."""
    from custos.retention import service as retention

    with opened(ctx) as runtime, runtime.sessions() as session:
        moment = parse_time(at, "--at") if at else runtime.clock.now()
        items = retention.due(session, runtime.rules, moment)
    if as_json:
        print_json(
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


@app.command("sweep")
def retention_sweep(ctx: typer.Context) -> None:
    """Erase what is due now (crypto-shredding), relieve storage pressure, publish sunsets."""
    from custos.jobs import run_retention

    with opened(ctx) as runtime:
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
