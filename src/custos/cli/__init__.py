"""The `custos` command: thin commands over services; the one place errors become exit codes.

Each command group has a module of its own; this one puts them together under the root command
and runs them. Importing it loads Typer and Rich and nothing heavy: the services, the database
and the media engines are imported by the commands that use them (`custos --help` and
`custos version` answer at once).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from custos.cli import (
    audit,
    cameras,
    deployment,
    dpia,
    emergencies,
    exports,
    holds,
    incidents,
    inspect,
    redact,
    retention,
    segments,
    storage,
    transparency,
    users,
)
from custos.cli.common import State, err
from custos.errors import (
    ConfigError,
    Conflict,
    CustosError,
    Forbidden,
    InvalidInput,
    NotFound,
    NotInitialised,
    PolicyViolation,
    SourceUnusable,
    StorageError,
    TamperDetected,
    Unauthenticated,
    UnsupportedMedia,
)

# Exit codes, one per kind of failure (docs/cli.md lists them).
EXIT_CODES: dict[type[CustosError], int] = {
    TamperDetected: 1,
    ConfigError: 3,
    NotInitialised: 3,
    InvalidInput: 4,
    NotFound: 5,
    Conflict: 6,
    Unauthenticated: 7,
    Forbidden: 7,
    PolicyViolation: 7,
    StorageError: 8,
    UnsupportedMedia: 9,
    SourceUnusable: 10,
}

app = typer.Typer(
    name="custos",
    no_args_is_help=True,
    add_completion=False,
    help="Custos: video monitoring with the law's guarantees enforced by the software.",
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Settings file (TOML); also CUSTOS_CONFIG.", show_default=False
        ),
    ] = None,
) -> None:
    ctx.obj = State(config)


app.command()(deployment.version)
app.command()(deployment.init)
app.command()(deployment.serve)
app.command()(deployment.web)
app.command()(deployment.demo)
app.command()(deployment.record)
app.command()(deployment.worker)
app.command("witness")(audit.witness_command)
app.command("verify")(exports.verify_command)
app.command("redact")(redact.redact_command)
app.command("inspect")(inspect.inspect_command)
app.add_typer(users.app, name="user")
app.add_typer(cameras.app, name="camera")
app.add_typer(segments.app, name="segments")
app.add_typer(audit.app, name="audit")
app.add_typer(incidents.app, name="incident")
app.add_typer(holds.app, name="hold")
app.add_typer(emergencies.app, name="emergency")
app.add_typer(retention.app, name="retention")
app.add_typer(storage.app, name="storage")
app.add_typer(exports.app, name="export")
app.add_typer(dpia.app, name="dpia")
app.add_typer(transparency.app, name="transparency")


def exit_code(error: CustosError) -> int:
    """The exit code of an error, by its nearest listed class."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def run(argv: Sequence[str]) -> int:
    """Run the command line `argv`; returns the exit code. Errors are printed, not raised."""
    try:
        result = app(args=list(argv), prog_name="custos", standalone_mode=False)
    except CustosError as error:
        err.print(f"[bold red]error:[/] {escape(error.message)}")
        return exit_code(error)
    except typer.Exit as error:
        return int(error.exit_code)
    except typer.Abort:
        err.print("aborted")
        return 130
    except typer.TyperException as error:  # usage errors: unknown option, bad choice, ...
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {escape(error.format_message())}")
        return error.exit_code
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
