"""HTTP API of compliance inspection: the findings now, and the signed report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from custos.deps import DbSession, Inspector, RuntimeDep
from custos.inspection import report, service

router = APIRouter(prefix="/api/inspection", tags=["inspection"])


def signed_now(db: DbSession, runtime: RuntimeDep) -> dict[str, Any]:
    """An inspection now, as a signed report."""
    now = runtime.clock.now()
    findings = service.inspect(db, runtime.policy.profile, now)
    return report.report(db, runtime.log_key, now, findings)


@router.get("")
def inspection(db: DbSession, runtime: RuntimeDep, caller: Inspector) -> JSONResponse:
    """Every finding now, gravest first, signed by the log's key."""
    return JSONResponse(signed_now(db, runtime))


@router.get(
    "/report.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}}
)
def inspection_pdf(db: DbSession, runtime: RuntimeDep, caller: Inspector) -> Response:
    """The same report as a PDF document."""
    return Response(
        report.report_pdf(signed_now(db, runtime)),
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="inspection.pdf"'},
    )
