"""HTTP API of device inspections during a state of emergency."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from custos.audit.checkpoint import Inclusion
from custos.deps import DbSession, DeviceInspectionViewer, DeviceInspector, RuntimeDep
from custos.devices import service
from custos.devices.models import DeviceInspection
from custos.devices.policy import DataCategory
from custos.devices.schemas import CopyOut, InspectionIn, InspectionOut, OffenceIn, ReceiptOut
from custos.http import answers

router = APIRouter(prefix="/api/device-inspections", tags=["device inspections"])

OCTETS, BINARY = "application/octet-stream", {"type": "string", "format": "binary"}
Reference = Annotated[str, Path(pattern=r"^DI-\d{1,9}$", description="DI-n")]


def shown(inspection: DeviceInspection) -> InspectionOut:
    """An inspection as the API and the pages show it."""
    return InspectionOut(
        reference=inspection.reference,
        case_id=inspection.case_id,
        regime_id=inspection.regime_id,
        legal_basis=inspection.legal_basis,
        officer=inspection.officer,
        inspected_at=inspection.inspected_at,
        region=inspection.region,
        place=inspection.place,
        device=inspection.device,
        examined=inspection.examined,
        copied=inspection.copied,
        person=inspection.person,
        recorded_by=inspection.recorded_by,
        recorded_at=inspection.recorded_at,
        entry=inspection.entry_seq,
        offence=inspection.offence,
        offence_reason=inspection.offence_reason,
        copies=[
            CopyOut(
                id=c.id,
                category=c.category,
                size=c.size,
                digest=c.digest,
                stored_at=c.stored_at,
                erased_at=c.erased_at,
                erased_reason=c.erased_reason,
            )
            for c in inspection.copies
        ],
    )


def b64url(digest: bytes) -> str:
    """A hash as the receipt's check link carries it."""
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def receipt_of(reference: str, proved: Inclusion) -> ReceiptOut:
    """The receipt as the API and the pages show it."""
    return ReceiptOut(
        reference=reference,
        entry=proved.index,
        leaf_hash=base64.b64encode(proved.leaf).decode(),
        tree_size=proved.checkpoint.tree_size,
        root_hash=base64.b64encode(proved.checkpoint.root_hash).decode(),
        signed_at=proved.checkpoint.signed_at,
        proof=[base64.b64encode(h).decode() for h in proved.proof],
        check=f"/transparency/receipt?entry={proved.index}&leaf={b64url(proved.leaf)}",
    )


@router.get("")
def list_inspections(
    db: DbSession, runtime: RuntimeDep, caller: DeviceInspectionViewer
) -> list[InspectionOut]:
    """The inspections of the cases the caller sees, newest first."""
    return [shown(i) for i in service.inspections(db, caller.actor)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(404, 409, 422))
def record_inspection(
    body: InspectionIn, db: DbSession, runtime: RuntimeDep, caller: DeviceInspector
) -> InspectionOut:
    """Register an inspection made in a case under a state of emergency."""
    call = caller.call(db, runtime)
    return shown(service.record_inspection(call, body.case_id, body.regime_id, body.inspection()))


@router.get("/{reference}", responses=answers(404))
def get_inspection(
    reference: Reference, db: DbSession, runtime: RuntimeDep, caller: DeviceInspectionViewer
) -> InspectionOut:
    """One inspection."""
    return shown(service.visible(caller.call(db, runtime), reference))


@router.post(
    "/{reference}/copies",
    status_code=status.HTTP_201_CREATED,
    responses=answers(404, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def store_copy(
    reference: Reference,
    request: Request,
    category: Annotated[DataCategory, Query(description="which copied category it holds")],
    db: DbSession,
    runtime: RuntimeDep,
    caller: DeviceInspector,
) -> InspectionOut:
    """Seal and store data copied from the device (the request's body, as it was copied)."""
    data = await request.body()
    call = caller.call(db, runtime)
    service.store_copy(call, runtime.sealer, runtime.blobs, reference, category.value, data)
    return shown(service.visible(call, reference))


@router.post("/{reference}/offence", responses=answers(404, 409))
def mark_offence(
    reference: Reference,
    body: OffenceIn,
    db: DbSession,
    runtime: RuntimeDep,
    caller: DeviceInspector,
) -> InspectionOut:
    """Record that the inspection shows an offence: its copies are kept as evidence."""
    return shown(service.mark_offence(caller.call(db, runtime), reference, body.reason))


@router.get("/{reference}/receipt", responses=answers(404))
def receipt(
    reference: Reference, db: DbSession, runtime: RuntimeDep, caller: DeviceInspectionViewer
) -> ReceiptOut:
    """The person's receipt: the inclusion proof of the entry that registered it."""
    call = caller.call(db, runtime)
    proved = service.receipt(call, runtime.log_key, service.visible(call, reference))
    return receipt_of(reference, proved)
