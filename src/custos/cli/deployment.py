"""Setting a deployment up and running it: `init`, `serve`, `web`, `record`, `demo`, `version`.

`serve` runs the web server and the recorders in one process; `web` only the web server and
`record` only the recorders, for deployments that run them apart (docs/cli.md says why).
"""

from __future__ import annotations

from typing import Annotated

import typer

from custos import __version__
from custos.cli.common import actor, opened, out, state


def version() -> None:
    """Print the version."""
    out.print(__version__)


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def init(ctx: typer.Context) -> None:
    """Set up the data folder, key file, blob store and database; safe to run again."""
    from custos.setup import INITIAL_PASSWORD_FILE, initialise
    from custos.users.service import FIRST_ADMIN

    settings = state(ctx).settings
    done = initialise(settings)
    created_key, password = done.key_created, done.admin_password
    out.print(f"data folder   {settings.data_dir.resolve()}")
    out.print(f"database      {_shown_url(settings.database)} (schema up to date)")
    out.print(f"blob store    {settings.blob_location}")
    out.print(f"key file      {settings.kek_path} ({'created' if created_key else 'kept'})")
    if password is not None:
        out.print(
            f"first admin   {FIRST_ADMIN} / {password}  (one-time password, also in "
            f"{settings.data_dir / INITIAL_PASSWORD_FILE})"
        )


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    record: Annotated[bool, typer.Option(help="Run the recorders of active cameras too.")] = True,
) -> None:
    """Run the web server, the recorders and a worker of the job queue: all of Custos in one."""
    _serve(ctx, host, port, record=record, work=True)


def web(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web server only; the recorders (`custos record`) and the workers of the job
    queue (`custos worker`) run elsewhere."""
    _serve(ctx, host, port, record=False, work=False)


def _serve(ctx: typer.Context, host: str, port: int, *, record: bool, work: bool) -> None:
    from custos import server

    with opened(ctx) as runtime:
        recorders = "" if record else " (no recorders: run `custos record` for them)"
        workers = "" if work else " (no jobs: run `custos worker` for them)"
        typer.echo(f"Custos is serving at {_url(host, port)}{recorders}{workers}")
        server.serve(runtime, host, port, record=record, work=work)


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - display only
    return f"http://{shown}:{port}/"


def demo(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Initialise, register the demo cameras, print where to sign in, serve and record."""
    from custos import server
    from custos.setup import initialise
    from custos.users.service import FIRST_ADMIN

    initialise(state(ctx).settings)
    with opened(ctx) as runtime:
        password = server.prepare_demo(runtime, actor())
        typer.echo("Custos demo is ready.")
        typer.echo(f"  URL:       {_url(host, port)}")
        typer.echo(f"  User:      {FIRST_ADMIN}")
        if password is not None:
            typer.echo(f"  Password:  {password}")
            typer.echo("  (one-time password: you will be asked to choose your own)")
        else:
            typer.echo(
                "  Password:  changed since set-up; `custos user reset-password admin` "
                "issues a new one-time password"
            )
        server.serve(runtime, host, port, record=True)


def worker(
    ctx: typer.Context,
    seconds: Annotated[
        float | None,
        typer.Option("--for", min=1, help="Stop after this many seconds (default: until Ctrl-C)."),
    ] = None,
) -> None:
    """Work the job queue in the foreground: retention, checkpoints, health alerts, idle
    viewings and the tracks of granted footage (`custos serve` runs one too; run more on other
    machines against the same database, storage and queue: each period runs once)."""
    from custos import server

    with opened(ctx) as runtime:
        server.work(runtime, seconds)


def record(
    ctx: typer.Context,
    seconds: Annotated[
        float | None,
        typer.Option("--for", min=1, help="Stop after this many seconds (default: until Ctrl-C)."),
    ] = None,
) -> None:
    """Record every active camera in the foreground; stopping seals the segments in progress."""
    from custos import server

    with opened(ctx) as runtime:
        finished = server.record(runtime, seconds)
    for recorder in finished:
        line = f"{recorder.feed.name}: {recorder.segments_stored} segments stored"
        lost = recorder.spool.dropped + recorder.spool.lost_on_close
        if lost:
            line += (
                f", {lost} not stored ({recorder.spool.dropped} dropped while storage refused, "
                f"{recorder.spool.lost_on_close} unwritten at stop): their time is a gap"
            )
        out.print(line)
