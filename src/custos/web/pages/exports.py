"""Pages of exports: the export form of the review page, and what it answers: the recipient's
link, shown once."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from custos.access import service as access
from custos.clock import parse_time
from custos.deps import DbSession, Reviewer, RuntimeDep
from custos.errors import InvalidInput
from custos.exports import service
from custos.exports import views as export_views
from custos.exports.schemas import ExportIn
from custos.http import Id
from custos.web import forms
from custos.web.pages.access import EXPORT, review
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
    bookmark: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    recipient: Annotated[str, Form()] = "",
    days: Annotated[str, Form()] = "7",
    downloads: Annotated[str, Form()] = "1",
) -> Response:
    """Export a range of a granted window (typed, or around a bookmark) to a recipient."""
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
        marked = None
        if bookmark:
            marks = access.bookmarks_of(db, grant_id)
            marked = next((b for b in marks if str(b.id) == bookmark), None)
            if marked is None:
                raise InvalidInput("no such bookmark in this grant", field="bookmark")
        chosen = str(marked.window_id) if marked else window
        row = next((w for w in grant.windows if str(w.id) == chosen), None)
        if row is None:
            raise InvalidInput("choose a window of the grant, or a bookmark", field="window")
        if marked is not None:
            before, after = AROUND_BOOKMARK
            since = max(row.starts_at, marked.at - before)
            until = min(row.ends_at, marked.at + after)
        else:
            since = parse_time(start, "start") if start else row.starts_at
            until = parse_time(end, "end") if end else row.ends_at
        data = ExportIn.model_validate(
            {
                "recipient": recipient or 0,
                "from_s": (since - row.starts_at).total_seconds(),
                "to_s": (until - row.starts_at).total_seconds(),
                "days": days,
                "downloads": downloads,
            }
        )
        export, link = export_views.begin_export(call, runtime, grant_id, row.id, data)
        return export.id, link

    def _made(done: tuple[int, str]) -> Response:
        export_id, link = done
        export = service.get_export(db, export_id)
        return render(
            request,
            "export_made.html",
            status_code=201,
            principal=caller.principal,
            export=export,
            recipient=service.get_recipient(db, export.recipient_id),
            link=str(request.base_url).rstrip("/") + f"/exports/download/{link}",
        )

    return forms.act(
        db,
        form,
        _export,
        _made,
        lambda refused: review(request, db, runtime, caller, grant_id, refused),
        forms.Placement(
            fields={"recipient": "recipient", "from_s": "start", "to_s": "end", "from": "start"}
        ),
    )
