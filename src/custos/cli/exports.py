"""`custos export`: handing evidence to a court, a prosecutor, defence counsel or the person
filmed; for now, the recipients it may go to."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from custos.cli.common import call, opened, out, print_rows
from custos.exports.policy import RecipientRole

app = typer.Typer(no_args_is_help=True, help="Exported evidence and its recipients.")
recipients_app = typer.Typer(no_args_is_help=True, help="Who evidence may be handed to.")
app.add_typer(recipients_app, name="recipient")


@recipients_app.command("add")
def recipient_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="The recipient's name, as the package names it.")],
    role: Annotated[RecipientRole, typer.Option(help="What the recipient is.")],
    organisation: Annotated[
        str, typer.Option(help="The court, office or firm (not for a person filmed).")
    ] = "",
    contact: Annotated[str, typer.Option(help="How the package reaches them.")] = "",
) -> None:
    """List a recipient."""
    from custos.exports import service

    with opened(ctx) as runtime, runtime.sessions() as session:
        recipient = service.add_recipient(
            call(runtime, session),
            name=name,
            organisation=organisation,
            role=role,
            contact=contact,
        )
        out.print(f"recipient {recipient.id} listed: {recipient.name} ({recipient.role})")


@recipients_app.command("retire")
def recipient_retire(
    ctx: typer.Context,
    recipient_id: Annotated[int, typer.Argument(help="The recipient's number.")],
    reason: Annotated[str, typer.Option(help="Why nothing more may go to them.")],
) -> None:
    """Take a recipient off the list."""
    from custos.exports import service

    with opened(ctx) as runtime, runtime.sessions() as session:
        service.retire_recipient(call(runtime, session), recipient_id, reason)
        out.print(f"recipient {recipient_id} retired")


@recipients_app.command("list")
def recipient_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    retired: Annotated[bool, typer.Option("--retired", help="The retired ones too.")] = False,
) -> None:
    """List the recipients by name."""
    from custos.exports import service

    with opened(ctx) as runtime, runtime.sessions() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": r.id,
                "name": r.name,
                "organisation": r.organisation,
                "role": r.role.value,
                "contact": r.contact,
                "retired": r.retired_at.isoformat() if r.retired_at else None,
            }
            for r in service.recipients(session, retired=retired)
        ]
    print_rows(
        rows,
        as_json,
        [
            ("id", lambda row: str(row["id"])),
            ("name", lambda row: str(row["name"])),
            ("organisation", lambda row: str(row["organisation"])),
            ("role", lambda row: str(row["role"])),
            ("retired", lambda row: str(row["retired"] or "")),
        ],
    )
