"""`custos export`: handing evidence to a court, a prosecutor, defence counsel or the person
filmed, and `custos verify`, which checks a package offline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from custos.cli.common import call, opened, out, print_rows, read_token
from custos.clock import parse_time
from custos.errors import InvalidInput, TamperDetected
from custos.exports.policy import RecipientRole, Span

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


@app.command("create")
def export_create(
    ctx: typer.Context,
    grant: Annotated[int, typer.Option(help="The grant's number (G-n: n).")],
    recipient: Annotated[int, typer.Option(help="The recipient's number.")],
    output: Annotated[Path, typer.Option("--out", help="A new folder for the package.")],
    token_file: Annotated[
        Path, typer.Option(help="A file holding the API token of the grant's holder.")
    ],
    start: Annotated[str | None, typer.Option("--from", help="From (default: the start).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="To (default: the window's end).")] = None,
    window: Annotated[
        int | None, typer.Option(help="The granted window's number (with --from, --to).")
    ] = None,
    ranges: Annotated[
        list[str] | None,
        typer.Option(
            "--range",
            help="WINDOW or WINDOW,FROM,TO; repeated, one package with a video per range.",
        ),
    ] = None,
) -> None:
    """Export part of a granted window, or several ranges of its windows as one package, to a
    recipient, as the grant's holder.

    The holder's API token is read from --token-file (a file, so that it shows in no process
    list): only the investigator who holds the grant exports, as on the web.
    """
    from custos.access import service as access
    from custos.context import Call
    from custos.exports import making, service
    from custos.users import service as users

    token = read_token(token_file)
    with opened(ctx) as runtime:
        with runtime.sessions() as session:
            key_id = making.export_key(session, runtime).verifier.key_id.hex()
            principal = users.principal_from_token(session, runtime.clock, token)
            holder = Call(session, runtime.clock, principal.actor(), runtime.policy.profile)
            starts = {w.id: w.starts_at for w in access.get_grant(session, grant).windows}
            export, plans = service.start_export(
                holder,
                runtime.sealer,
                grant_id=grant,
                spans=_spans(window, start, end, ranges or [], starts),
                recipient_id=recipient,
                export_key_id=key_id,
            )
            actor = holder.actor
        made = making.make_package(runtime, actor, export.id, plans, output)
        out.print(f"export {made.id} sealed in {made.folder}")
        out.print(f"manifest SHA-256 {made.manifest_sha256}")


def _spans(
    window: int | None,
    start: str | None,
    end: str | None,
    ranges: list[str],
    starts: dict[int, datetime],
) -> list[Span]:
    """The ranges asked for: --window (with --from, --to), or each --range."""
    if (window is None) == (not ranges):
        raise InvalidInput("give --window (with --from, --to) or one or more --range")
    if window is not None:
        base = starts.get(window)
        return [Span(window, _seconds(start, base, "--from"), _seconds(end, base, "--to"))]
    if start is not None or end is not None:
        raise InvalidInput("--from and --to go with --window; a --range carries its own times")
    spans = []
    for given in ranges:
        parts = given.split(",")
        if len(parts) not in (1, 3) or not parts[0].strip().isdigit():
            raise InvalidInput(f"--range {given}: give WINDOW or WINDOW,FROM,TO")
        number = int(parts[0])
        base = starts.get(number)
        if len(parts) == 1:
            spans.append(Span(number))
        else:
            spans.append(
                Span(
                    number,
                    _seconds(parts[1].strip(), base, "--range"),
                    _seconds(parts[2].strip(), base, "--range"),
                )
            )
    return spans


def _seconds(value: str | None, base: Any, option: str) -> float | None:
    if value is None:
        return None
    if base is None:
        raise InvalidInput(f"{option}: the window is not in the grant")
    return float((parse_time(value, option) - base).total_seconds())


@app.command("list")
def export_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the exports, newest first: what went to whom, and where it stands."""
    from custos.exports import service

    with opened(ctx) as runtime, runtime.sessions() as session:
        names = {r.id: r.name for r in service.recipients(session, retired=True)}
        rows: list[dict[str, Any]] = [
            {
                "id": e.id,
                "grant": e.grant_id,
                "camera": e.camera,
                "from": e.starts_at.isoformat(),
                "to": e.ends_at.isoformat(),
                "recipient": names.get(e.recipient_id, str(e.recipient_id)),
                "by": e.created_by,
                "state": e.state.value,
                "folder": e.folder,
                "problem": e.problem,
            }
            for e in service.exports(session)
        ]
    print_rows(
        rows,
        as_json,
        [
            ("id", lambda row: str(row["id"])),
            ("grant", lambda row: f"G-{row['grant']}"),
            ("camera", lambda row: str(row["camera"])),
            ("from", lambda row: str(row["from"])[:19]),
            ("to", lambda row: str(row["to"])[:19]),
            ("recipient", lambda row: str(row["recipient"])),
            ("state", lambda row: str(row["state"])),
        ],
    )


def verify_command(
    package: Annotated[Path, typer.Argument(help="The package folder.")],
    root: Annotated[
        Path | None, typer.Option(help="Trust the videos under this root (PEM), not the package's.")
    ] = None,
    log_key: Annotated[
        str | None, typer.Option(help="The log key published at /transparency/key.")
    ] = None,
) -> None:
    """Check an evidence package offline: files, manifest signature, checkpoint, audit proofs,
    and each video's content credentials. No database, no network."""
    from custos.exports import verifier
    from custos.exports.credentials import read_credentials

    problems = verifier.verify_package(package, log_key)
    anchor = (root or package / "keys" / "content-root.pem").read_bytes()
    videos = sorted((package / "video").glob("*.mp4")) if (package / "video").is_dir() else []
    if not videos:
        problems.append("video: the package holds no video")
    for video in videos:
        credentials = read_credentials(video, anchor)
        if credentials.state != "Trusted":
            why = "; ".join(credentials.failures[:3]) or credentials.state
            problems.append(f"c2pa: video/{video.name} is {credentials.state}: {why}")
        else:
            out.print(f"video/{video.name}: content credentials Trusted")
    if problems:
        for problem in problems:
            out.print(f"FAILED {problem}")
        raise TamperDetected(f"the package does not hold: {len(problems)} item(s) failed")
    out.print("OK: files, manifest signature, checkpoint, audit entries and videos all hold")
