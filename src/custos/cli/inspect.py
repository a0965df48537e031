"""`custos inspect`: the compliance inspection from the shell."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from custos.cli.common import opened, out


def inspect_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="The signed report as JSON.")] = False,
) -> None:
    """List every finding now, gravest first; exit 1 when any is of high severity."""
    from custos.inspection import report, service

    with opened(ctx) as runtime, runtime.sessions() as session:
        now = runtime.clock.now()
        findings = service.inspect(session, runtime.policy.profile, now)
        signed = report.report(session, runtime.log_key, now, findings)
    if as_json:
        out.print_json(json.dumps(signed))
    elif not findings:
        out.print("no finding: every guarantee checked holds")
    else:
        for f in findings:
            out.print(f"{f.severity.value:<6} {f.rule:<24} {f.subject}: {f.detail}", markup=False)
    if any(f.severity.value == "high" for f in findings):
        raise typer.Exit(1)
