"""`custos hold`: legal holds, which keep what an open case needs from being erased."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from custos.cli.common import call, opened, out, print_rows
from custos.clock import parse_time
from custos.errors import InvalidInput

app = typer.Typer(no_args_is_help=True, help="Legal holds inside open cases.")


@app.command("place")
def hold_place(
    ctx: typer.Context,
    case: Annotated[str, typer.Option(help="The reference of an open case.")],
    camera: Annotated[list[str], typer.Option(help="Camera name; repeat, one per --from/--to.")],
    start: Annotated[list[str], typer.Option("--from", help="Window start; one per --camera.")],
    end: Annotated[list[str], typer.Option("--to", help="Window end; one per --camera.")],
    reason: Annotated[str, typer.Option(help="Why the footage must be kept.")],
    review: Annotated[str | None, typer.Option(help="Review date (default: the policy's).")] = None,
    person: Annotated[
        str | None, typer.Option(help="Pseudonymous label of a person of the case.")
    ] = None,
) -> None:
    """Place a legal hold inside an open case: nothing it covers is erased until it is released."""
    from custos.cases import holds as case_holds
    from custos.retention import holds

    if not len(camera) == len(start) == len(end):
        raise InvalidInput("give one --from and one --to for every --camera")
    scopes = [
        holds.Scope(c, parse_time(a, "--from"), parse_time(b, "--to"))
        for c, a, b in zip(camera, start, end, strict=True)
    ]
    with opened(ctx) as runtime, runtime.sessions() as session:
        hold = case_holds.place_hold(
            call(runtime, session),
            case_ref=case,
            scopes=scopes,
            reason=reason,
            review_due=parse_time(review, "--review") if review else None,
            person_ref=person,
        )
        out.print(f"hold {hold.id} placed on case {case}; review due {hold.review_due:%Y-%m-%d}")


@app.command("review")
def hold_review(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="The hold number.")],
    until: Annotated[str, typer.Option("--until", help="Keep until (the next review date).")],
    reason: Annotated[str, typer.Option(help="Why the hold is still needed.")],
) -> None:
    """Review a hold: still needed, kept until a new date, when it is due for review again."""
    from custos.cases import holds as case_holds

    keep_until = parse_time(until, "--until")
    with opened(ctx) as runtime, runtime.sessions() as session:
        hold = case_holds.review_hold(call(runtime, session), hold_id, keep_until, reason)
        out.print(f"hold {hold_id} kept; next review due {hold.review_due:%Y-%m-%d %H:%M} UTC")


@app.command("release")
def hold_release(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="The hold number.")],
    reason: Annotated[str, typer.Option(help="Why the hold ends.")],
) -> None:
    """Release a hold; what it covered returns to normal retention."""
    from custos.cases import holds as case_holds

    with opened(ctx) as runtime, runtime.sessions() as session:
        case_holds.release_hold(call(runtime, session), hold_id, reason)
        out.print(f"hold {hold_id} released")


@app.command("list")
def hold_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    orphaned: Annotated[
        bool,
        typer.Option("--orphaned", help="Only holds that name no open case (unknown or closed)."),
    ] = False,
) -> None:
    """List live holds, the ones due for review first; cameras by name."""
    from custos.cases import holds as case_holds

    with opened(ctx) as runtime, runtime.sessions() as session:
        now = runtime.clock.now()
        rows: list[dict[str, Any]] = [
            {
                "id": entry.hold.id,
                "case": entry.hold.case_ref,
                "person": entry.hold.person_ref,
                "review_due": entry.hold.review_due.isoformat(),
                "overdue": entry.hold.review_due <= now,
                "orphaned": entry.orphaned is not None,
                "orphan_reason": entry.orphaned,
                "scopes": [
                    [s.camera, s.start.isoformat(), s.end.isoformat()] for s in entry.scopes
                ],
            }
            for entry in case_holds.list_holds(session, orphaned_only=orphaned)
        ]
    print_rows(
        rows,
        as_json,
        [
            ("id", lambda row: str(row["id"])),
            ("case", lambda row: str(row["case"])),
            ("person", lambda row: str(row["person"] or "")),
            ("cameras", lambda row: ", ".join(sorted({str(s[0]) for s in row["scopes"]}))),
            ("review due", lambda row: str(row["review_due"])[:10]),
            ("", lambda row: _flags(row)),
        ],
    )


def _flags(row: dict[str, Any]) -> str:
    flags = []
    if row["orphaned"]:
        flags.append(f"ORPHANED: {row['orphan_reason']}")
    if row["overdue"]:
        flags.append("REVIEW OVERDUE")
    return "; ".join(flags)
