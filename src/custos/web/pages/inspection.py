"""The compliance inspection page: findings gravest first, and the signed report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from custos.deps import DbSession, Inspector, RuntimeDep
from custos.inspection.views import signed_now
from custos.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/inspection")
def inspection_page(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: Inspector
) -> Response:
    """Every finding now; the report as signed JSON and as PDF."""
    return render(
        request, "inspection.html", principal=caller.principal, report=signed_now(db, runtime)
    )
