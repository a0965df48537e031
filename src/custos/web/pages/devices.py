"""Pages of the register of device inspections: the register with its form, one inspection
with its receipt and the forms that store a copy and record an offence; and the printable
receipt the person is given."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import Response

from custos.cases import service as cases
from custos.cases.policy import CaseKind, CaseStatus
from custos.clock import parse_time
from custos.deps import Caller, DbSession, DeviceInspectionViewer, DeviceInspector, RuntimeDep
from custos.devices import service
from custos.devices.models import DeviceInspection
from custos.devices.policy import CATEGORY_NAMES, Inspection
from custos.devices.views import receipt_of, shown
from custos.errors import InvalidInput
from custos.retention import emergency
from custos.web import forms
from custos.web.templating import render

router = APIRouter(include_in_schema=False)

RECORD, COPY, OFFENCE = "record", "copy", "offence"
Reference = Annotated[str, Path(pattern=r"^DI-\d{1,9}$")]


def _register(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: Caller, form: forms.Form
) -> Response:
    open_cases = [
        c
        for c in cases.visible_cases(db, caller.actor, CaseStatus.OPEN)
        if c.kind is CaseKind.CRIMINAL
    ]
    return render(
        request,
        "device_inspections.html",
        status_code=form.status,
        principal=caller.principal,
        inspections=[shown(i) for i in service.inspections(db, caller.actor)],
        cases=open_cases,
        regimes=emergency.list_regimes(db),
        categories=CATEGORY_NAMES,
        form=form,
    )


@router.get("/device-inspections")
def register(
    request: Request, db: DbSession, runtime: RuntimeDep, caller: DeviceInspectionViewer
) -> Response:
    """The inspections of the caller's cases, newest first; the form that records one."""
    return _register(request, db, runtime, caller, forms.Form(RECORD))


@router.post("/device-inspections")
def record(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DeviceInspector,
    case_id: Annotated[str, Form()] = "",
    regime_id: Annotated[str, Form()] = "",
    legal_basis: Annotated[str, Form()] = "",
    officer: Annotated[str, Form()] = "",
    inspected_at: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    device: Annotated[str, Form()] = "",
    examined: Annotated[list[str] | None, Form()] = None,
    copied: Annotated[list[str] | None, Form()] = None,
    person: Annotated[str, Form()] = "",
) -> Response:
    """Register an inspection; the person's receipt is on its page."""
    form = forms.Form(
        RECORD,
        forms.typed(
            case_id=case_id, regime_id=regime_id, legal_basis=legal_basis, officer=officer,
            inspected_at=inspected_at, region=region, place=place, device=device,
            examined=examined, copied=copied, person=person,
        ),
    )  # fmt: skip

    def _record() -> DeviceInspection:
        if not case_id.strip().isdigit():
            raise InvalidInput("choose the case", field="case_id")
        if not regime_id.strip().isdigit():
            raise InvalidInput("choose the state of emergency", field="regime_id")
        inspection = Inspection(
            legal_basis=legal_basis, officer=officer,
            inspected_at=parse_time(inspected_at, "inspected_at"), region=region.strip(),
            place=place, device=device, examined=examined or [], copied=copied or [],
            person=person.strip(),
        )  # fmt: skip
        call = caller.call(db, runtime)
        return service.record_inspection(call, int(case_id), int(regime_id), inspection)

    return forms.act(
        db,
        form,
        _record,
        lambda made: f"/device-inspections/{made.reference}",
        lambda refused: _register(request, db, runtime, caller, refused),
    )


def _page(
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: Caller,
    reference: str,
    form: forms.Form | None = None,
    template: str = "device_inspection.html",
) -> Response:
    call = caller.call(db, runtime)
    found = service.visible(call, reference)
    proved = service.receipt(call, runtime.log_key, found)
    form = form or forms.Form(COPY)
    return render(
        request,
        template,
        status_code=form.status,
        principal=caller.principal,
        inspection=shown(found),
        case=cases.get_case_by_id(db, found.case_id),
        regime=emergency.get_regime(db, found.regime_id),
        receipt=receipt_of(reference, proved),
        expires=service.expiry(db, found, runtime.rules),
        categories=CATEGORY_NAMES,
        operator=runtime.settings.organisation,
        form=form,
    )


@router.get("/device-inspections/{reference}")
def inspection_page(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DeviceInspectionViewer,
) -> Response:
    """One inspection: the record, the copies and until when they are kept, the receipt."""
    return _page(request, db, runtime, caller, reference)


@router.get("/device-inspections/{reference}/receipt")
def receipt_page(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DeviceInspectionViewer,
) -> Response:
    """The receipt to print and hand to the person whose device was inspected."""
    return _page(request, db, runtime, caller, reference, template="device_receipt.html")


@router.post("/device-inspections/{reference}/copies")
async def store_copy(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DeviceInspector,
    category: Annotated[str, Form()] = "",
    data: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Seal and store a file of data copied from the device."""
    form = forms.Form(COPY, forms.typed(category=category))
    content = await data.read() if data is not None else b""
    return forms.act(
        db,
        form,
        lambda: service.store_copy(
            caller.call(db, runtime), runtime.sealer, runtime.blobs, reference, category, content
        ),
        lambda _done: f"/device-inspections/{reference}",
        lambda refused: _page(request, db, runtime, caller, reference, refused),
    )


@router.post("/device-inspections/{reference}/offence")
def mark_offence(
    reference: Reference,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DeviceInspector,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Record that the inspection shows an offence: its copies are kept as evidence."""
    form = forms.Form(OFFENCE, forms.typed(reason=reason))
    return forms.act(
        db,
        form,
        lambda: service.mark_offence(caller.call(db, runtime), reference, reason),
        lambda _done: f"/device-inspections/{reference}",
        lambda refused: _page(request, db, runtime, caller, reference, refused),
    )
