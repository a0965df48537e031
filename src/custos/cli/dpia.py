"""`custos dpia`: impact assessments from the shell, as the person who writes or approves them.

A draft is written from a TOML file (the fields of GDPR art. 35(7)); approving it takes a data
protection officer who did not write it. Both act as a user, by the API token in a file.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from custos.cli.common import opened, out, print_rows, token_call
from custos.errors import InvalidInput

app = typer.Typer(help="Impact assessments (DPIA): draft, approve, list.", no_args_is_help=True)

TokenFile = Annotated[
    Path, typer.Option(help="A file holding the API token of the one who acts (a DPO).")
]


def read_content(path: Path) -> Any:
    """An assessment's content from a TOML file, as the rules read it."""
    from custos.clock import parse_time
    from custos.dpia.policy import Content

    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise InvalidInput(f"{path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{path}: {error}") from None
    fields = set(Content.__dataclass_fields__)
    unknown = sorted(set(data) - fields)
    if unknown:
        raise InvalidInput(f"{path}: unknown fields {', '.join(unknown)}")
    review = data.get("review_by")
    if isinstance(review, datetime):
        review = review.isoformat()
    try:
        consultation = tuple(
            (str(item["body"]), str(item["answer"])) for item in data.get("consultation", [])
        )
    except (KeyError, TypeError):
        raise InvalidInput(
            f"{path}: each [[consultation]] gives body and answer", field="consultation"
        ) from None
    return Content(
        title=str(data.get("title", "")),
        description=str(data.get("description", "")),
        purposes=str(data.get("purposes", "")),
        necessity=str(data.get("necessity", "")),
        risks=str(data.get("risks", "")),
        vulnerable_groups=str(data.get("vulnerable_groups", "")),
        measures=str(data.get("measures", "")),
        consultation=consultation,
        dpo_opinion=str(data.get("dpo_opinion", "")),
        scope=tuple(str(s) for s in data.get("scope", [])),
        analytics=tuple(str(a) for a in data.get("analytics", [])),
        review_by=parse_time(str(review or ""), "review_by"),
        public_summary=str(data.get("public_summary", "")),
        zones_not_needed=str(data.get("zones_not_needed", "")),
    )


@app.command("draft")
def dpia_draft(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The assessment as TOML.")],
    token_file: TokenFile,
    reference: Annotated[
        str | None, typer.Option(help="DPIA-n: a new version of it (or your draft of it).")
    ] = None,
) -> None:
    """Write a draft: a new assessment, or the next version of one."""
    from custos.dpia import service
    from custos.permissions import Permission

    content = read_content(file)
    with opened(ctx) as runtime, runtime.sessions() as session:
        version = service.draft(
            token_call(runtime, session, token_file, Permission.DRAFT_DPIA), content, reference
        )
        out.print(f"drafted {service.reference_of(session, version)} v{version.version}")


@app.command("approve")
def dpia_approve(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="DPIA-n.")],
    version: Annotated[int, typer.Option(help="The draft version to approve.")],
    token_file: TokenFile,
) -> None:
    """Approve a draft, as a data protection officer who did not write it."""
    from custos.dpia import service
    from custos.permissions import Permission

    with opened(ctx) as runtime, runtime.sessions() as session:
        approved = service.approve(
            token_call(runtime, session, token_file, Permission.APPROVE_DPIA), reference, version
        )
        out.print(
            f"approved {reference} v{approved.version}, review by {approved.review_by:%Y-%m-%d}"
        )


@app.command("list")
def dpia_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every assessment: its version in force, where it stands, and what it covers."""
    from custos.dpia import service

    with opened(ctx) as runtime, runtime.sessions() as session:
        profile = runtime.policy.profile
        now = runtime.clock.now()
        rows: list[dict[str, Any]] = []
        for assessment in service.assessments(session):
            latest = assessment.versions[-1]
            force = service.approved_version(assessment)
            rows.append(
                {
                    "reference": assessment.reference,
                    "title": latest.title,
                    "approved_version": force.version if force else None,
                    "standing": service.standing_of(force, now, profile.dpia.grace_days)
                    if force
                    else "not approved",
                    "review_by": force.review_by.isoformat() if force else None,
                    "draft": latest.version if latest is not force else None,
                    "scope": (force or latest).scope,
                    "pre_existing": assessment.pre_existing,
                }
            )
    print_rows(
        rows,
        as_json,
        [
            ("reference", lambda r: str(r["reference"])),
            ("title", lambda r: str(r["title"])),
            ("in force", lambda r: f"v{r['approved_version']}" if r["approved_version"] else "—"),
            ("standing", lambda r: str(r["standing"])),
            ("review by", lambda r: str(r["review_by"] or "")[:10]),
            ("scope", lambda r: ", ".join(str(s) for s in r["scope"] or [])),
        ],
    )
