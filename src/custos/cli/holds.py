"""`custos hold`: legal holds, which keep what a case needs from being erased."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli.common import call, opened, out, print_rows
from custos.clock import parse_time
from custos.errors import InvalidInput

app = typer.Typer(no_args_is_help=True, help="Legal holds on cases.")


@app.command("place")
def hold_place(
    ctx: typer.Context,
    case: Annotated[str, typer.Option(help="The case reference.")],
    camera: Annotated[list[str], typer.Option(help="Camera name; repeat, one per --from/--to.")],
    start: Annotated[list[str], typer.Option("--from", help="Window start; one per --camera.")],
    end: Annotated[list[str], typer.Option("--to", help="Window end; one per --camera.")],
    reason: Annotated[str, typer.Option(help="Why the footage must be kept.")],
    review: Annotated[str | None, typer.Option(help="Review date (default: the policy's).")] = None,
    person: Annotated[str | None, typer.Option(help="Pseudonymous label of the person.")] = None,
) -> None:
    """Place a legal hold: nothing it covers is erased until it is released."""
    from custos.retention import holds

    if not len(camera) == len(start) == len(end):
        raise InvalidInput("give one --from and one --to for every --camera")
    scopes = [
        holds.Scope(c, parse_time(a, "--from"), parse_time(b, "--to"))
        for c, a, b in zip(camera, start, end, strict=True)
    ]
    with opened(ctx) as runtime, runtime.sessions() as session:
        hold = holds.place_hold(
            call(runtime, session),
            case_ref=case,
            scopes=scopes,
            reason=reason,
            review_due=parse_time(review, "--review") if review else None,
            person_ref=person,
        )
        out.print(f"hold {hold.id} placed on case {case}; review due {hold.review_due:%Y-%m-%d}")


@app.command("release")
def hold_release(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="The hold number.")],
    reason: Annotated[str, typer.Option(help="Why the hold ends.")],
) -> None:
    """Release a hold; what it covered returns to normal retention."""
    from custos.retention import holds

    with opened(ctx) as runtime, runtime.sessions() as session:
        holds.release_hold(call(runtime, session), hold_id, reason)
        out.print(f"hold {hold_id} released")


@app.command("list")
def hold_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List live holds, the ones due for review first."""
    from custos.retention import holds

    with opened(ctx) as runtime, runtime.sessions() as session:
        now = runtime.clock.now()
        rows = [
            {
                "id": h.id,
                "case": h.case_ref,
                "person": h.person_ref,
                "review_due": h.review_due.isoformat(),
                "overdue": h.review_due <= now,
                "scopes": [
                    [s.camera_id, s.starts_at.isoformat(), s.ends_at.isoformat()] for s in h.scopes
                ],
            }
            for h in holds.list_holds(session)
        ]
    print_rows(
        rows,
        as_json,
        [
            ("id", lambda row: str(row["id"])),
            ("case", lambda row: str(row["case"])),
            ("person", lambda row: str(row["person"] or "")),
            ("review due", lambda row: str(row["review_due"])[:10]),
            ("", lambda row: "REVIEW OVERDUE" if row["overdue"] else ""),
        ],
    )
