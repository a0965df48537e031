"""`custos audit` and `custos witness`: the verifiable audit log, and checking it from outside."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from custos.cli.common import call, err, opened, out
from custos.errors import TamperDetected

app = typer.Typer(no_args_is_help=True, help="The verifiable audit log.")


@app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context) -> None:
    """Sign a checkpoint of the audit log now."""
    from custos.audit import checkpoint as checkpoints

    with opened(ctx) as runtime, runtime.sessions() as session:
        signed = checkpoints.sign_checkpoint(
            session, runtime.clock, checkpoints.log_signer(session, runtime.log_key)
        )
        assert signed is not None
        out.print(f"signed checkpoint #{signed.id}: {signed.tree_size} entries")
        typer.echo(signed.note, nl=False)


@app.command("verify")
def audit_verify(
    ctx: typer.Context,
    bundle: Annotated[
        Path | None,
        typer.Option(help="Check an exported bundle offline instead of the database."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, help="Processes hashing entries; by default one per CPU core."),
    ] = os.cpu_count() or 1,
) -> None:
    """Recompute the log from its entries and check every node and checkpoint."""
    from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

    from custos.audit import checkpoint as checkpoints
    from custos.audit.verify import verify_bundle, verify_log

    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("verifying entries", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        if bundle is not None:
            report = verify_bundle(bundle, workers=workers, progress=advance)
        else:
            with opened(ctx) as runtime, runtime.reading() as session:
                verifier = checkpoints.log_signer(session, runtime.log_key).verifier
                report = verify_log(session, verifier, workers=workers, progress=advance)
    if not report.ok:
        raise TamperDetected(f"audit log verification failed: {report.problem}")
    out.print(f"audit log verified: {report.entries} entries, {report.checkpoints} checkpoint(s)")


@app.command("export")
def audit_export(
    ctx: typer.Context, target: Annotated[Path, typer.Argument(help="Folder to write.")]
) -> None:
    """Write a bundle (entries, latest checkpoint, public key) that verifies with no database."""
    from custos.audit import checkpoint as checkpoints
    from custos.audit.verify import export_bundle

    with opened(ctx) as runtime, runtime.sessions() as session:
        signer = checkpoints.log_signer(session, runtime.log_key)
        checkpoints.sign_checkpoint(session, runtime.clock, signer, only_if_grown=True)
        size = export_bundle(session, signer.verifier, target)
    out.print(
        f"exported {size} entries to {target}; check with: custos audit verify --bundle {target}"
    )


@app.command("witness-add")
def audit_witness_add(
    ctx: typer.Context, vkey: Annotated[str, typer.Argument(help="The witness's verifier key.")]
) -> None:
    """Register an outside witness whose cosignatures the log accepts and shows."""
    from custos.audit import checkpoint as checkpoints

    with opened(ctx) as runtime, runtime.sessions() as session:
        witness = checkpoints.add_witness(call(runtime, session), vkey)
        out.print(f"witness {witness.name} registered")


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
    from custos.audit import witness

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
