"""`custos storage`: the blob store, and a check of everything stored in it."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli.common import err, opened, out, print_json
from custos.errors import TamperDetected

app = typer.Typer(no_args_is_help=True, help="The blob store.")


@app.command("check")
def storage_check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    decode: Annotated[
        bool, typer.Option(help="Also decode every frame (slower, catches more).")
    ] = True,
) -> None:
    """Open every stored segment in memory: blob present, hash, key, decryption, decoding."""
    from rich.progress import Progress

    from custos.recording import service as recording

    with opened(ctx) as runtime, runtime.sessions() as session:
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
        print_json(
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
