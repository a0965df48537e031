"""`custos emergency`: states of emergency, and the sunset of their footage."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli.common import call, opened, out
from custos.clock import parse_time

app = typer.Typer(no_args_is_help=True, help="States of emergency and their sunset.")


@app.command("declare")
def emergency_declare(
    ctx: typer.Context,
    region: Annotated[list[str], typer.Option(help="Region; repeat for several.")],
    start: Annotated[str, typer.Option("--from", help="When it began.")],
    decree: Annotated[str, typer.Option(help="Reference of the decree.")],
    end: Annotated[str | None, typer.Option("--to", help="When it ended, if it has.")] = None,
) -> None:
    """Record a state of emergency; footage from its regions during it is tagged."""
    from custos.retention import emergency

    with opened(ctx) as runtime, runtime.sessions() as session:
        regime = emergency.declare(
            call(runtime, session),
            regions=region,
            start=parse_time(start, "--from"),
            end=parse_time(end, "--to") if end else None,
            decree_ref=decree,
        )
        out.print(f"state of emergency {regime.id} recorded over {', '.join(regime.regions)}")


@app.command("end")
def emergency_end(
    ctx: typer.Context,
    regime_id: Annotated[int, typer.Argument(help="The state of emergency's number.")],
    at: Annotated[str, typer.Option("--at", help="When it ended.")],
) -> None:
    """Record the end of a state of emergency; its sunset is planned from then."""
    from custos.retention import emergency

    with opened(ctx) as runtime, runtime.sessions() as session:
        regime = emergency.end_regime(call(runtime, session), regime_id, parse_time(at, "--at"))
        assert regime.ends_at is not None
        sunset = regime.ends_at + runtime.rules.emergency_grace
        out.print(
            f"state of emergency {regime_id} ended; sunset erasure from {sunset:%Y-%m-%d %H:%M} UTC"
        )
