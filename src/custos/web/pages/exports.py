"""Pages of exports: the export form of the review page, and what it answers: the recipient's
link, shown once; revoking an export and issuing its recipient a new link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from custos.access import service as access
from custos.access.models import Bookmark, Grant
from custos.clock import parse_time
from custos.deps import Caller, CaseViewer, DbSession, Reviewer, RuntimeDep
from custos.errors import InvalidInput
from custos.exports import delivery, service
from custos.exports import views as export_views
from custos.exports.policy import Span
from custos.exports.schemas import Delivery, LinkIn
from custos.http import Id
from custos.web import forms
from custos.web.pages.access import EXPORT, review
from custos.web.pages.cases import case_page
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

AROUND_BOOKMARK = (timedelta(seconds=5), timedelta(seconds=10))  # before and after its moment


@router.post("/grants/{grant_id}/exports")
def export_from_review(
    grant_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Reviewer,
    window: Annotated[str, Form()] = "",
    bookmark: Annotated[list[str] | None, Form()] = None,
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    recipient: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "7",
    downloads: Annotated[str, Form()] = "1",
) -> Response:
    """Export a range of a granted window (typed), or the moments around bookmarks (one video
    each, in one package), to a recipient."""
    form = forms.Form(
        EXPORT,
        forms.typed(
            window=window,
            bookmark=bookmark,
            start=start,
            end=end,
            recipient=recipient,
            days=days,
            downloads=downloads,
        ),
    )

    def _export() -> tuple[int, str]:
        call = caller.call(db, runtime)
        grant = access.get_grant(db, grant_id)
        if bookmark:
            spans = around_bookmarks(grant, access.bookmarks_of(db, grant_id), bookmark)
        else:
            row = next((w for w in grant.windows if str(w.id) == window), None)
            if row is None:
                raise InvalidInput("choose a window of the grant, or bookmarks", field="window")
            since = parse_time(start, "start") if start else row.starts_at
            until = parse_time(end, "end") if end else row.ends_at
            spans = [
                Span(
                    row.id,
                    (since - row.starts_at).total_seconds(),
                    (until - row.starts_at).total_seconds(),
                )
            ]
        data = Delivery.model_validate(
            {"recipient": recipient or 0, "days": days, "downloads": downloads}
        )
        export, link = export_views.begin_export(call, runtime, grant_id, spans, data)
        return export.id, link

    return forms.act(
        db,
        form,
        _export,
        lambda done: _link_page(request, db, caller, *done),
        lambda refused: review(request, db, runtime, caller, grant_id, refused),
        forms.Placement(
            fields={
                "recipient": "recipient",
                "from_s": "start",
                "to_s": "end",
                "from": "start",
                "ranges": "bookmark",
            }
        ),
    )


def _link_page(
    request: Request,
    db: DbSession,
    caller: Caller,
    export_id: int,
    link: str,
    renewed: bool = False,
) -> Response:
    """The recipient's link, shown this once."""
    export = service.get_export(db, export_id)
    return render(
        request,
        "export_made.html",
        status_code=201,
        principal=caller.principal,
        export=export,
        recipient=service.get_recipient(db, export.recipient_id),
        link=str(request.base_url).rstrip("/") + f"/exports/download/{link}",
        renewed=renewed,
    )


@router.post("/exports/{export_id}/revoke")
def revoke_export(
    export_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CaseViewer,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Stop an export's delivery from its case's page: the link refuses, the copy is shredded."""
    export = service.visible_export(caller.call(db, runtime), export_id)
    return forms.act(
        db,
        forms.Form(f"revoke:{export_id}", forms.typed(reason=reason)),
        lambda: delivery.revoke(caller.call(db, runtime), runtime.blobs, export_id, reason),
        lambda _: f"/cases/{export.case_id}#exports",
        lambda refused: case_page(request, db, runtime, caller, export.case_id, refused),
    )


@router.post("/exports/{export_id}/link")
def renew_link(
    export_id: Id,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: CaseViewer,
    days: Annotated[str, Form()] = "7",
    downloads: Annotated[str, Form()] = "1",
) -> Response:
    """Give an export's recipient a new link (the earlier one stops working), shown once."""
    export = service.visible_export(caller.call(db, runtime), export_id)

    def _renew() -> str:
        terms = LinkIn.model_validate({"days": days, "downloads": downloads})
        return delivery.issue_link(
            caller.call(db, runtime), export_id, days=terms.days, downloads=terms.downloads
        )

    return forms.act(
        db,
        forms.Form(f"link:{export_id}", forms.typed(days=days, downloads=downloads)),
        _renew,
        lambda link: _link_page(request, db, caller, export_id, link, renewed=True),
        lambda refused: case_page(request, db, runtime, caller, export.case_id, refused),
    )


def around_bookmarks(grant: Grant, marks: Sequence[Bookmark], chosen: Sequence[str]) -> list[Span]:
    """One range per chosen bookmark, from 5 s before its moment to 10 s after (within its
    window), in time order; ranges that touch in one window are joined into one."""
    before, after = AROUND_BOOKMARK
    windows = {w.id: w for w in grant.windows}
    ranges: list[tuple[int, datetime, datetime]] = []
    for wanted in chosen:
        marked = next((b for b in marks if str(b.id) == wanted), None)
        if marked is None or marked.window_id not in windows:
            raise InvalidInput("no such bookmark in this grant", field="bookmark")
        row = windows[marked.window_id]
        ranges.append(
            (row.id, max(row.starts_at, marked.at - before), min(row.ends_at, marked.at + after))
        )
    joined: list[tuple[int, datetime, datetime]] = []
    for row_id, since, until in sorted(ranges):
        if joined and joined[-1][0] == row_id and since <= joined[-1][2]:
            joined[-1] = (row_id, joined[-1][1], max(until, joined[-1][2]))
        else:
            joined.append((row_id, since, until))
    joined.sort(key=lambda r: r[1])
    return [
        Span(
            row_id,
            (since - windows[row_id].starts_at).total_seconds(),
            (until - windows[row_id].starts_at).total_seconds(),
        )
        for row_id, since, until in joined
    ]
