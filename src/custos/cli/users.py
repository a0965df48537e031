"""`custos user`: accounts and their credentials, and the account changes that wait.

Run on the server, these commands make every change at once, the ones that give power over
footage included: whoever holds the server's shell holds its key file and database too, so the
four-eyes rule of the web (`users.policy`) cannot bind them, and it is how the first accounts
come to exist. The audit log names the operating-system user. `custos user requests`,
`confirm` and `refuse` decide, from the server, the changes that signed-in admins asked for.
"""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli.common import call, opened, out, print_rows
from custos.permissions import Role
from custos.users.policy import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, RequestStatus

app = typer.Typer(no_args_is_help=True, help="Accounts and their credentials.")


@app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[Role, typer.Option(help="The user's role.", case_sensitive=False)],
    display_name: Annotated[str, typer.Option(help="Full name shown on pages.")] = "",
    token: Annotated[
        bool,
        typer.Option("--token", help="Service account: issue an API token instead of a password."),
    ] = False,
) -> None:
    """Create an account and print its one-time password (or its API token)."""
    from custos.users import service as users

    with opened(ctx) as runtime, runtime.sessions() as session:
        acting = call(runtime, session)
        user, password = users.create_user(
            acting,
            name=name,
            role=role,
            display_name=display_name,
            with_password=not token,
            passwords=runtime.passwords,
        )
        if token:
            secret, _expires = users.issue_token(
                acting, user.name, label="created with the account"
            )
            out.print(f"token for {user.name} ({role.value}): {secret}")
        else:
            out.print(f"one-time password for {user.name} ({role.value}): {password}")


@app.command("list")
def user_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List accounts."""
    from custos.users import service as users
    from custos.users.schemas import UserOut

    with opened(ctx) as runtime, runtime.sessions() as session:
        rows = [UserOut.model_validate(u) for u in users.list_users(session)]
    print_rows(
        rows,
        as_json,
        [
            ("name", lambda row: row.name),
            ("role", lambda row: row.role.value),
            ("state", lambda row: "active" if row.active else "disabled"),
            ("second factor", lambda row: "enrolled" if row.second_factor else "-"),
            ("display name", lambda row: row.display_name),
            ("created", lambda row: row.created_at.strftime("%Y-%m-%d %H:%M")),
        ],
        lambda row: row.model_dump(mode="json"),
    )


def _user_change(ctx: typer.Context, name: str, active: bool) -> None:
    from custos.users import service as users

    with opened(ctx) as runtime, runtime.sessions() as session:
        users.set_active(call(runtime, session), name, active)
    out.print(f"{name} {'enabled' if active else 'disabled'}")


@app.command("disable")
def user_disable(ctx: typer.Context, name: str) -> None:
    """Disable an account; its sessions and tokens end at once."""
    _user_change(ctx, name, False)


@app.command("enable")
def user_enable(ctx: typer.Context, name: str) -> None:
    """Enable a disabled account."""
    _user_change(ctx, name, True)


@app.command("reset-password")
def user_reset_password(ctx: typer.Context, name: str) -> None:
    """Give an account a new one-time password and print it."""
    from custos.users import service as users

    with opened(ctx) as runtime, runtime.sessions() as session:
        password = users.reset_password(call(runtime, session), name, passwords=runtime.passwords)
    out.print(f"one-time password for {name}: {password}")


@app.command("reset-factor")
def user_reset_factor(ctx: typer.Context, name: str) -> None:
    """Remove an account's second factor (a lost phone): its sessions and tokens end, and it
    sets up a new authenticator at its next sign-in."""
    from custos.users import service as users

    with opened(ctx) as runtime, runtime.sessions() as session:
        users.remove_factor(call(runtime, session), name)
    out.print(f"the second factor of {name} is removed; a new one is set up at the next sign-in")


@app.command("role")
def user_role(
    ctx: typer.Context,
    name: str,
    role: Annotated[Role, typer.Option(help="The account's new role.", case_sensitive=False)],
) -> None:
    """Give an account another role; a role with power over footage comes with a new one-time
    password (printed) and ends the account's sessions and tokens."""
    from custos.users import service as users

    with opened(ctx) as runtime, runtime.sessions() as session:
        _user, password = users.set_role(
            call(runtime, session), name, role, passwords=runtime.passwords
        )
    out.print(f"{name} now has the {role.value} role")
    if password is not None:
        out.print(f"one-time password for {name}: {password}")


@app.command("requests")
def user_requests(
    ctx: typer.Context,
    every: Annotated[bool, typer.Option("--all", help="Decided requests too.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the account changes that wait for a second person (never a password)."""
    from custos.users import service as users
    from custos.users.schemas import request_out

    with opened(ctx) as runtime, runtime.sessions() as session:
        status = None if every else RequestStatus.PENDING
        rows = [request_out(r) for r in users.list_requests(session, status)]
    print_rows(
        rows,
        as_json,
        [
            ("id", lambda row: str(row.id)),
            ("account", lambda row: row.user),
            ("change", lambda row: row.kind.value),
            ("role", lambda row: row.role.value),
            ("asked by", lambda row: row.asked_by),
            ("asked", lambda row: row.asked_at.strftime("%Y-%m-%d %H:%M UTC")),
            ("status", lambda row: row.status.value),
        ],
        lambda row: row.model_dump(mode="json"),
    )


@app.command("confirm")
def user_confirm(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument(help="The request (`custos user requests`).")],
) -> None:
    """Confirm a waiting account change; prints the one-time password it issues, if any."""
    from custos.users import service as users

    with opened(ctx) as runtime, runtime.sessions() as session:
        confirmed = users.confirm_request(
            call(runtime, session), request_id, passwords=runtime.passwords
        )
        name, role = confirmed.user.name, confirmed.user.role.value
    out.print(f"request {request_id} confirmed: {name} ({role})")
    if confirmed.password is not None:
        out.print(f"one-time password for {name}: {confirmed.password}")


@app.command("refuse")
def user_refuse(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument(help="The request (`custos user requests`).")],
    reason: Annotated[str, typer.Option(help="Why the change is refused.")],
) -> None:
    """Refuse a waiting account change, with a reason; the account stays as it is."""
    from custos.users import service as users

    with opened(ctx) as runtime, runtime.sessions() as session:
        users.refuse_request(call(runtime, session), request_id, reason)
    out.print(f"request {request_id} refused")


@app.command("token")
def user_token(
    ctx: typer.Context,
    name: str,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    days: Annotated[
        int,
        typer.Option(
            min=1, max=MAX_TOKEN_DAYS, help=f"Lifetime in days (at most {MAX_TOKEN_DAYS})."
        ),
    ] = DEFAULT_TOKEN_DAYS,
) -> None:
    """Issue an API token for an account and print it; every token expires."""
    from custos.users import service as users

    with opened(ctx) as runtime, runtime.sessions() as session:
        secret, expires = users.issue_token(call(runtime, session), name, label=label, days=days)
    out.print(f"token for {name} (expires {expires:%Y-%m-%d}): {secret}")


@app.command("lockouts")
def user_lockouts(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """List the sign-in lock-outs in force: accounts at one address, and whole addresses."""
    from custos.users import service as users
    from custos.users.schemas import LockoutOut

    with opened(ctx) as runtime, runtime.sessions() as session:
        rows = [LockoutOut.model_validate(x) for x in users.lockouts(session, runtime.clock.now())]
    print_rows(
        rows,
        as_json,
        [
            ("account", lambda row: row.user or "(every account)"),
            ("address", lambda row: row.address),
            ("locked until", lambda row: row.locked_until.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ],
        lambda row: row.model_dump(mode="json"),
    )


@app.command("unlock")
def user_unlock(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The account (omit with --address).")] = None,
    address: Annotated[
        str | None, typer.Option(help="Lift only the lock-out at this client address.")
    ] = None,
) -> None:
    """Lift lock-outs: every one of an account, one at an address, or an address's own."""
    from custos.errors import InvalidInput
    from custos.users import service as users

    if name is None and address is None:
        raise InvalidInput("name an account, an --address, or both")
    with opened(ctx) as runtime, runtime.sessions() as session:
        if address is None:
            assert name is not None
            lifted = users.lift_account_lockout(call(runtime, session), name)
            out.print(f"{name} may sign in again from {', '.join(lifted)}")
        else:
            users.lift_lockout(call(runtime, session), address, name)
            whose = "every account" if name is None else name
            out.print(f"{whose} may sign in again from {address}")
