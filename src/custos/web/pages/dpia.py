"""Pages of impact assessments: the registry, one assessment with its versions, the forms that
draft a version and approve one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response

from custos.cameras import service as cameras
from custos.clock import parse_time
from custos.deps import Caller, DbSession, DpiaApprover, DpiaDrafter, DpiaViewer, RuntimeDep
from custos.dpia import service
from custos.dpia.models import AssessmentVersion
from custos.dpia.policy import Analytics, Content, covers, keeps_recording
from custos.dpia.views import shown
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

DRAFT = "draft"
APPROVE = "approve"
CONSULTED_ROWS = 3
Reference = Annotated[str, Path(pattern=r"^DPIA-\d{1,9}$")]
TEXTS = (
    "title",
    "description",
    "purposes",
    "necessity",
    "risks",
    "vulnerable_groups",
    "measures",
    "dpo_opinion",
    "public_summary",
    "zones_not_needed",
)


def _registry(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: Caller, form: forms.Form
) -> Response:
    listed = [
        (shown(a, runtime), a.versions[-1], _covered(db, a.versions[-1].scope))
        for a in service.assessments(db)
    ]
    return render(
        request,
        "dpias.html",
        status_code=form.status,
        principal=caller.principal,
        assessments=listed,
        uncovered=_uncovered(db, runtime),
        analytics=list(Analytics),
        rows=range(CONSULTED_ROWS),
        form=form,
    )


def _covered(db: DbSession, scope: list[str]) -> list[str]:
    return [c.name for c in cameras.list_cameras(db) if covers(scope, cameras.facts_of(c))]


def _uncovered(db: DbSession, runtime: RuntimeDep) -> list[str]:
    """The cameras no approved assessment lets record now (current or within its grace)."""
    grace = runtime.policy.profile.dpia.grace_days
    approved = service.assessed(db, runtime.clock.now(), grace)
    return [
        c.name
        for c in cameras.list_cameras(db)
        if not keeps_recording(cameras.facts_of(c), approved)
    ]


@router.get("/dpias")
def registry(request: Request, db: DbSession, runtime: RuntimeDep, caller: DpiaViewer) -> Response:
    """The impact assessments, what each covers and where it stands; a new draft's form."""
    return _registry(request, db, runtime, caller, forms.Form(DRAFT))


def _typed(
    texts: dict[str, str],
    body: list[str],
    answer: list[str],
    scope: str,
    analytics: list[str],
    review_by: str,
) -> dict[str, forms.Typed]:
    return forms.typed(
        **texts,
        body=body,
        answer=answer,
        scope=scope,
        analytics=analytics,
        review_by=review_by,
    )


def _content(form: forms.Form) -> Content:
    consulted = tuple(
        (b, a) for b, a in zip(form.all("body"), form.all("answer"), strict=False) if b or a
    )
    review = form.value("review_by").strip()
    return Content(
        **{name: form.value(name) for name in TEXTS},
        consultation=consulted,
        scope=tuple(line.strip() for line in form.value("scope").splitlines() if line.strip()),
        analytics=tuple(form.all("analytics")),
        review_by=parse_time(f"{review}T00:00:00" if len(review) == 10 else review, "review_by"),
    )


class DraftForm:
    """The fields of the draft form, as FastAPI reads them."""

    def __init__(
        self,
        title: Annotated[str, Form()] = "",
        description: Annotated[str, Form()] = "",
        purposes: Annotated[str, Form()] = "",
        necessity: Annotated[str, Form()] = "",
        risks: Annotated[str, Form()] = "",
        vulnerable_groups: Annotated[str, Form()] = "",
        measures: Annotated[str, Form()] = "",
        dpo_opinion: Annotated[str, Form()] = "",
        public_summary: Annotated[str, Form()] = "",
        zones_not_needed: Annotated[str, Form()] = "",
        body: Annotated[list[str] | None, Form()] = None,
        answer: Annotated[list[str] | None, Form()] = None,
        scope: Annotated[str, Form()] = "",
        analytics: Annotated[list[str] | None, Form()] = None,
        review_by: Annotated[str, Form()] = "",
    ) -> None:
        texts = {
            "title": title,
            "description": description,
            "purposes": purposes,
            "necessity": necessity,
            "risks": risks,
            "vulnerable_groups": vulnerable_groups,
            "measures": measures,
            "dpo_opinion": dpo_opinion,
            "public_summary": public_summary,
            "zones_not_needed": zones_not_needed,
        }
        self.form = forms.Form(
            DRAFT, _typed(texts, body or [], answer or [], scope, analytics or [], review_by)
        )


@router.post("/dpias")
def draft_new(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DpiaDrafter,
    typed: Annotated[DraftForm, Depends()],
) -> Response:
    """Draft a new assessment; a DPO who did not write it approves it."""
    return _draft(
        db,
        runtime,
        caller,
        typed.form,
        None,
        lambda refused: _registry(request, db, runtime, caller, refused),
    )


def _draft(
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    form: forms.Form,
    reference: str | None,
    again: Callable[[forms.Form], Response],
) -> Response:
    """Save the draft form (a new assessment, or a version of `reference`), then show it."""
    return forms.act(
        db,
        form,
        lambda: service.draft(caller.call(db, runtime), _content(form), reference),
        lambda version: f"/dpias/{service.reference_of(db, version)}",
        again,
        forms.Placement(fields={"consultation": "body"}),
    )


def _assessment_page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    reference: str,
    form: forms.Form | None = None,
) -> Response:
    assessment = service.get_assessment(db, reference)
    latest = assessment.versions[-1]
    form = form or forms.Form(DRAFT, _values_of(latest))
    return render(
        request,
        "dpia.html",
        status_code=form.status,
        principal=caller.principal,
        assessment=shown(assessment, runtime),
        latest=latest,
        covered=_covered(db, latest.scope),
        analytics=list(Analytics),
        rows=range(max(CONSULTED_ROWS, len(latest.consultation) + 1)),
        form=form,
    )


def _values_of(version: AssessmentVersion) -> dict[str, forms.Typed]:
    """A version's content as the draft form shows it: the next version starts from it."""
    return {
        **{name: str(getattr(version, name)) for name in TEXTS},
        "body": [body for body, _ in version.consultation],
        "answer": [answer for _, answer in version.consultation],
        "scope": "\n".join(version.scope),
        "analytics": list(version.analytics),
        "review_by": version.review_by.date().isoformat(),
    }


@router.get("/dpias/{reference}")
def assessment_page(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DpiaViewer,
) -> Response:
    """One assessment: its versions, what it covers; the forms to draft and approve."""
    return _assessment_page(request, db, runtime, caller, reference)


@router.post("/dpias/{reference}/versions")
def draft_version(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DpiaDrafter,
    typed: Annotated[DraftForm, Depends()],
) -> Response:
    """Draft the next version (or change your draft)."""
    return _draft(
        db,
        runtime,
        caller,
        typed.form,
        reference,
        lambda refused: _assessment_page(request, db, runtime, caller, reference, refused),
    )


@router.post("/dpias/{reference}/versions/{version}/approve")
def approve_version(
    reference: Reference,
    version: Annotated[int, Path(ge=1, le=100_000)],
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DpiaApprover,
) -> Response:
    """Approve a draft another person wrote."""
    return forms.act(
        db,
        forms.Form(APPROVE, {"version": str(version)}),
        lambda: service.approve(caller.call(db, runtime), reference, version),
        lambda _: f"/dpias/{reference}",
        lambda refused: _assessment_page(request, db, runtime, caller, reference, refused),
    )
