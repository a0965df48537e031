"""HTTP API of impact assessments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from custos.deps import DbSession, DpiaApprover, DpiaDrafter, DpiaViewer, RuntimeDep
from custos.dpia import service
from custos.dpia.models import Assessment
from custos.dpia.schemas import AssessmentIn, AssessmentOut, VersionOut
from custos.http import answers
from custos.runtime import Runtime

router = APIRouter(prefix="/api/dpias", tags=["dpia"])

Reference = Annotated[str, Path(pattern=r"^DPIA-\d{1,9}$", description="DPIA-n")]


def shown(assessment: Assessment, runtime: Runtime) -> AssessmentOut:
    """An assessment as the API and the pages show it."""
    force = service.approved_version(assessment)
    grace = runtime.policy.profile.dpia.grace_days
    return AssessmentOut(
        reference=assessment.reference,
        pre_existing=assessment.pre_existing,
        standing=service.standing_of(force, runtime.clock.now(), grace) if force else None,
        in_force=force.version if force else None,
        versions=[VersionOut.model_validate(v) for v in assessment.versions],
    )


@router.get("")
def list_assessments(db: DbSession, runtime: RuntimeDep, caller: DpiaViewer) -> list[AssessmentOut]:
    """Every impact assessment, with its versions."""
    return [shown(a, runtime) for a in service.assessments(db)]


@router.get("/{reference}", responses=answers(404))
def get_assessment(
    reference: Reference, db: DbSession, runtime: RuntimeDep, caller: DpiaViewer
) -> AssessmentOut:
    """One impact assessment, with its versions."""
    return shown(service.get_assessment(db, reference), runtime)


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(422))
def draft_assessment(
    body: AssessmentIn, db: DbSession, runtime: RuntimeDep, caller: DpiaDrafter
) -> AssessmentOut:
    """Draft a new assessment (version 1); a DPO who is not you approves it."""
    version = service.draft(caller.call(db, runtime), body.content())
    return shown(service.get_assessment(db, service.reference_of(db, version)), runtime)


@router.post(
    "/{reference}/versions", status_code=status.HTTP_201_CREATED, responses=answers(403, 404)
)
def draft_version(
    reference: Reference,
    body: AssessmentIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DpiaDrafter,
) -> AssessmentOut:
    """Draft the next version of an assessment, or change your draft of it."""
    service.draft(caller.call(db, runtime), body.content(), reference)
    return shown(service.get_assessment(db, reference), runtime)


@router.post("/{reference}/versions/{version}/approve", responses=answers(403, 404, 409))
def approve_version(
    reference: Reference,
    version: Annotated[int, Path(ge=1, le=100_000)],
    db: DbSession,
    runtime: RuntimeDep,
    caller: DpiaApprover,
) -> AssessmentOut:
    """Approve a draft another person wrote (a DPO, with the second factor); the version
    approved before is superseded."""
    service.approve(caller.call(db, runtime), reference, version)
    return shown(service.get_assessment(db, reference), runtime)
