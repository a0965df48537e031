"""What the command modules share: the consoles, the settings, the runtime, the call, output.

Nothing here loads a service at import: `custos --help` and `custos version` import every
command module, so the services, the database and the media engines are imported by the
commands that use them, when they run.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from custos.config import Settings
    from custos.context import Actor, Call
    from custos.permissions import Permission
    from custos.runtime import Runtime

Row = TypeVar("Row")

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


class State:
    """What the commands share: the settings, loaded on first use so `--help` always works."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The settings, loaded once."""
        if self._settings is None:
            from custos.config import load_settings

            self._settings = load_settings(self.config)
        return self._settings


def state(ctx: typer.Context) -> State:
    """The state the root command put on the context."""
    shared: State = ctx.ensure_object(State) if ctx.obj is None else ctx.obj
    return shared


def actor() -> Actor:
    """Commands act as the local operating-system user."""
    from custos.context import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = str(os.getuid())
    return Actor(name=f"cli:{who}", client_address="local")


def call(runtime: Runtime, session: Session) -> Call:
    """The context of one command's action: its session, the operator, the loaded policy."""
    from custos.context import Call

    return Call(session, runtime.clock, actor(), runtime.policy.profile)


def read_token(token_file: Path) -> str:
    """An API token from a file (a file, so that it shows in no process list)."""
    from custos.errors import InvalidInput, Unauthenticated

    try:
        token = token_file.read_text().strip()
    except OSError as error:
        raise InvalidInput(f"--token-file: {error.strerror}: {token_file}") from None
    if not token:
        raise Unauthenticated(f"--token-file {token_file} is empty: the user's token goes there")
    return token


def token_call(
    runtime: Runtime, session: Session, token_file: Path, permission: Permission
) -> Call:
    """The context of an action taken as the user whose API token is in `token_file`, who
    must hold `permission`."""
    from custos.context import Call
    from custos.errors import Forbidden
    from custos.permissions import is_admitted, second_factor_problem
    from custos.users import service as users

    principal = users.principal_from_token(session, runtime.clock, read_token(token_file))
    if not is_admitted(principal.role, permission):
        raise Forbidden(f"{principal.name} ({principal.role.value}) may not {permission.value}")
    problem = second_factor_problem(principal.factor, "token", permission, changes=True)
    if problem:
        raise Forbidden(problem)
    return Call(session, runtime.clock, principal.actor(), runtime.policy.profile)


@contextmanager
def opened(ctx: typer.Context) -> Iterator[Runtime]:
    """The runtime for one command, closed however the command ends."""
    from custos.setup import open_runtime

    runtime = open_runtime(state(ctx).settings)
    try:
        yield runtime
    finally:
        runtime.close()


def print_json(data: Any) -> None:
    """Print `data` as JSON on standard output."""
    out.print_json(json.dumps(data, default=str))


Column = tuple[str, Callable[[Row], str]]  # a table column: its heading and its cell of a row


def print_rows(
    rows: Sequence[Row],
    as_json: bool,
    columns: Sequence[Column[Row]],
    to_json: Callable[[Row], Any] = lambda row: row,
) -> None:
    """A listing: `to_json` of every row with `--json`, else a table of `columns`."""
    if as_json:
        print_json([to_json(row) for row in rows])
        return
    from rich.table import Table

    table = Table(*(heading for heading, _ in columns))
    for row in rows:
        table.add_row(*(cell(row) for _, cell in columns))
    out.print(table)
