"""`custos transparency report`: the public figures recomputed offline from an audit export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from custos.cli.common import out, state

app = typer.Typer(help="Transparency figures, recomputed from the audit log.", no_args_is_help=True)


@app.command("report")
def transparency_report(
    ctx: typer.Context,
    bundle: Annotated[Path, typer.Option(help="An audit export (`custos audit export DIR`).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    minimum: Annotated[
        int | None, typer.Option(help="Show counts below this as '< k' (the policy's by default).")
    ] = None,
) -> None:
    """Verify an audit export, then recompute the monthly figures of /transparency/ from its
    entries alone: no database, no network. Exit 1 if the export does not verify."""
    from custos.profile import load_profile
    from custos.transparency import service
    from custos.transparency.policy import FIGURES, published

    found = service.from_bundle(bundle)
    k = minimum or load_profile(state(ctx).settings.policy).profile.transparency.minimum_count
    shown = published(found.figures, k)
    if as_json:
        payload = {"checkpoint": {"size": found.size, "root": found.root}, "minimum_count": k,
                   "figures": shown}  # fmt: skip
        out.print_json(json.dumps(payload))
        return
    out.print(f"checkpoint: size {found.size}, root {found.root}; counts below {k} as '< {k}'")
    titles = {f.key: f.title for f in FIGURES}
    for month, values in shown.items():
        out.print(f"[bold]{month}[/bold]")
        for key, value in values.items():
            out.print(f"  {titles.get(key, key)}: {value}", markup=False)
