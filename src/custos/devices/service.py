"""The register of device inspections: recorded inside a case and a state of emergency, the
copied data sealed beside the footage, the person's receipt, and the sweep that erases the
copies when their time is up. Every step audited in the transaction that makes it.

The receipt is the inclusion proof of the audit entry that registered the inspection, in a
signed checkpoint: anyone holding it can check on the public transparency page that the
inspection was registered, and learns nothing else from the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit import log
from custos.audit.policy import Action
from custos.audit.service import record
from custos.cases import service as cases
from custos.cases.policy import CaseAct, CaseStatus
from custos.clock import Clock
from custos.context import Actor, Call, Context
from custos.db import by_reference
from custos.devices import policy
from custos.devices.models import DeviceCopy, DeviceInspection
from custos.devices.policy import DataCategory, Inspection, Regime
from custos.errors import Conflict, InvalidInput, NotFound
from custos.profile import Rules
from custos.retention import emergency
from custos.retention import holds as retention_holds
from custos.storage.blobs import BlobStore
from custos.storage.crypto import Sealer

MOST_COPY_BYTES = 256 * 1024 * 1024  # one upload; more is more than one copy


def _regime(session: Session, regime_id: int) -> Regime:
    found = emergency.get_regime(session, regime_id)
    return Regime(found.id, frozenset(found.regions), found.starts_at, found.ends_at)


def record_inspection(
    call: Call, case_id: int, regime_id: int, inspection: Inspection
) -> DeviceInspection:
    """Register an inspection a member of an open case made under a state of emergency."""
    session = call.session
    case = cases.reach(call, case_id, CaseAct.INSPECT_DEVICE)
    if case.status is not CaseStatus.OPEN:
        raise Conflict(f"case {case.reference} is closed")
    regime = _regime(session, regime_id)
    living = {p.label for p in cases.persons(session, case) if p.cleared_at is None}
    problem = policy.record_problem(inspection, regime, living, call.clock.now())
    if problem:
        raise InvalidInput(problem[1], field=problem[0])
    row = DeviceInspection(
        case_id=case.id,
        regime_id=regime.id,
        legal_basis=inspection.legal_basis.strip(),
        officer=inspection.officer.strip(),
        inspected_at=inspection.inspected_at,
        region=inspection.region,
        place=inspection.place.strip(),
        device=inspection.device.strip(),
        examined=sorted(set(inspection.examined)),
        copied=sorted(set(inspection.copied)),
        person=inspection.person,
        recorded_by=call.actor.name,
        recorded_at=call.clock.now(),
        entry_seq=0,
        offence=False,
        offence_reason="",
        offence_by=None,
        offence_at=None,
    )
    session.add(row)
    session.flush()
    row.entry_seq = record(
        session, call.clock, call.actor, Action.COLLECT, "device.inspected",
        object_type="device_inspection", object_id=row.reference,
        context=Context(case_ref=case.reference, legal_basis=row.legal_basis),
        details={
            "regime": regime.id, "region": row.region, "at": row.inspected_at.isoformat(),
            "examined": row.examined, "copied": row.copied, "person": row.person,
        },
    )  # fmt: skip
    session.commit()
    return row


def get_inspection(session: Session, reference: str) -> DeviceInspection:
    """Inspection DI-n, or NotFound (whoever asks: see `visible`)."""
    return by_reference(
        session, DeviceInspection, reference, "DI-", f"no device inspection {reference}"
    )


def visible(call: Call, reference: str, act: CaseAct = CaseAct.SEE) -> DeviceInspection:
    """Inspection DI-n if the caller may do `act` in its case; as not found otherwise."""
    found = get_inspection(call.session, reference)
    cases.reach(call, found.case_id, act, unknown=f"no device inspection {reference}")
    return found


def inspections(session: Session, viewer: Actor) -> list[DeviceInspection]:
    """The inspections of the cases `viewer` sees, newest first."""
    query = sa.select(DeviceInspection).order_by(DeviceInspection.id.desc())
    seen = cases.visible_case_ids(session, viewer)
    if seen is not None:
        query = query.where(DeviceInspection.case_id.in_(seen))
    return list(session.scalars(query))


def store_copy(
    call: Call,
    sealer: Sealer,
    blobs: BlobStore,
    reference: str,
    category: str,
    data: bytes,
) -> DeviceCopy:
    """Seal data copied from the device under a data key of its own and store it; only in a
    category the record says was copied."""
    inspection = visible(call, reference, CaseAct.INSPECT_DEVICE)
    if category not in inspection.copied:
        copied = ", ".join(inspection.copied) or "nothing"
        raise InvalidInput(
            f"{reference} records {copied} as copied, not '{category}'", field="category"
        )
    if not data:
        raise InvalidInput("the copy is empty", field="data")
    if len(data) > MOST_COPY_BYTES:
        raise InvalidInput(f"one copy holds at most {MOST_COPY_BYTES} bytes", field="data")
    call.session.commit()  # nothing staged: no transaction is held while the blob is written
    copy_id = uuid.uuid4().hex
    sealed = sealer.seal(data, copy_id.encode())
    key = f"devices/{inspection.id}/{copy_id}.sealed"
    blobs.put(key, sealed.ciphertext)  # before the row: a row always names a stored blob
    row = DeviceCopy(
        id=copy_id, inspection_id=inspection.id, category=category, size=len(data),
        digest=sealed.digest, blob_key=key, wrapped_key=sealed.wrapped_key,
        nonce=sealed.nonce, kek_id=sealed.kek_id, stored_by=call.actor.name,
        stored_at=call.clock.now(), erased_at=None, erased_reason="",
    )  # fmt: skip
    call.session.add(row)
    call.session.flush()
    _audit(call, inspection, Action.COLLECT, "device.copy_stored",
           {"copy": copy_id, "category": category, "digest": sealed.digest,
            "bytes": len(data)})  # fmt: skip
    try:
        call.session.commit()
    except Exception:
        call.session.rollback()
        blobs.delete(key)
        raise
    return row


def mark_offence(call: Call, reference: str, reason: str) -> DeviceInspection:
    """Record that the inspection shows an offence: its copies are kept for the incident period
    instead of being erased at the sunset."""
    inspection = visible(call, reference, CaseAct.INSPECT_DEVICE)
    if inspection.offence:
        raise Conflict(f"{reference} shows an offence already")
    if not reason.strip():
        raise InvalidInput("say which offence the inspection shows", field="reason")
    inspection.offence, inspection.offence_reason = True, reason.strip()
    inspection.offence_by, inspection.offence_at = call.actor.name, call.clock.now()
    _audit(call, inspection, Action.ALTER, "device.offence_shown", {}, reason.strip())
    call.session.commit()
    return inspection


def _audit(
    call: Call,
    inspection: DeviceInspection,
    action: Action,
    event: str,
    details: dict[str, object],
    justification: str | None = None,
) -> int:
    case = cases.get_case_by_id(call.session, inspection.case_id)
    return record(
        call.session, call.clock, call.actor, action, event,
        object_type="device_inspection", object_id=inspection.reference,
        context=Context(case_ref=case.reference, legal_basis=inspection.legal_basis,
                        justification=justification),
        details=details,
    )  # fmt: skip


# --- the receipt ---------------------------------------------------------------------------------


def receipt(call: Call, log_key: bytes, inspection: DeviceInspection) -> checkpoints.Inclusion:
    """The person's receipt for an inspection the caller reached (`visible`): the inclusion
    proof of the entry that registered it, in a signed checkpoint (one is signed now if none
    covers the entry yet)."""
    session = call.session
    signed = checkpoints.latest_checkpoint(session)
    if signed is None or signed.tree_size <= inspection.entry_seq:
        checkpoints.sign_checkpoint(
            session, call.clock, checkpoints.log_signer(session, log_key), only_if_grown=True
        )
    proved = checkpoints.prove_leaf(
        session, inspection.entry_seq, log.leaf_at(session, inspection.entry_seq)
    )
    assert proved is not None  # a checkpoint covers the entry now
    return proved


# --- retention ------------------------------------------------------------------------------------


def _held(session: Session, case_reference: str, person: str) -> bool:
    return any(
        hold.case_ref == case_reference and hold.person_ref in (None, person)
        for hold in retention_holds.list_holds(session)
    )


def expiry(session: Session, inspection: DeviceInspection, rules: Rules) -> datetime | None:
    """When the inspection's copies are erased (None: not while a hold lasts)."""
    case = cases.get_case_by_id(session, inspection.case_id)
    regime = emergency.get_regime(session, inspection.regime_id)
    return policy.copy_expiry(
        inspection.inspected_at, regime.ends_at, inspection.offence,
        _held(session, case.reference, inspection.person),
        rules.default, rules.incident, rules.emergency_grace,
    )  # fmt: skip


SYSTEM = Actor("retention-sweeper", "system")


def sweep(session: Session, clock: Clock, blobs: BlobStore, rules: Rules) -> list[str]:
    """Erase the copies whose time is up: the data key first (what makes the blob unreadable,
    audited in its transaction), then the blob. Returns the ids of the copies erased."""
    now = clock.now()
    erased: list[str] = []
    stored = sa.select(DeviceInspection).where(
        DeviceInspection.id.in_(
            sa.select(DeviceCopy.inspection_id).where(DeviceCopy.erased_at.is_(None))
        )
    )
    for inspection in list(session.scalars(stored)):
        expires = expiry(session, inspection, rules)
        if expires is None or expires > now:
            continue
        regime = emergency.get_regime(session, inspection.regime_id)
        at_sunset = regime.ends_at is not None and expires == regime.ends_at + rules.emergency_grace
        why = "emergency_sunset" if at_sunset else "retention"
        live = [c for c in inspection.copies if c.erased_at is None]
        for copy in live:
            copy.wrapped_key, copy.nonce, copy.erased_at, copy.erased_reason = None, None, now, why
        case = cases.get_case_by_id(session, inspection.case_id)
        record(
            session, clock, SYSTEM, Action.ERASE, "device.copies_erased",
            object_type="device_inspection", object_id=inspection.reference,
            context=Context(case_ref=case.reference, legal_basis=inspection.legal_basis),
            details={"copies": [{"copy": c.id, "digest": c.digest} for c in live],
                     "reason": why, "due": expires.isoformat()},
        )  # fmt: skip
        session.commit()
        blobs.delete_many([c.blob_key for c in live])
        erased += [c.id for c in live]
    return erased


def sunset_counts(session: Session, regime_id: int) -> dict[str, object]:
    """What a state of emergency's inspections reached and what became of their copies:
    counts only, for the sunset report."""
    rows: Sequence[DeviceInspection] = list(
        session.scalars(sa.select(DeviceInspection).where(DeviceInspection.regime_id == regime_id))
    )
    copies = [c for i in rows for c in i.copies]
    kept = [c for c in copies if c.erased_at is None]
    offence = {i.id for i in rows if i.offence}
    return {
        "inspections": len(rows),
        "with_copies": sum(1 for i in rows if i.copies),
        "categories_examined": {
            category.value: sum(1 for i in rows if category in i.examined)
            for category in DataCategory
        },
        "copies": len(copies),
        "copies_erased_at_sunset": sum(1 for c in copies if c.erased_reason == "emergency_sunset"),
        "copies_erased_earlier": sum(
            1 for c in copies if c.erased_at is not None and c.erased_reason != "emergency_sunset"
        ),
        "copies_kept": {
            "evidence of an offence": sum(1 for c in kept if c.inspection_id in offence),
            "legal hold": sum(1 for c in kept if c.inspection_id not in offence),
        },
    }


def open_copy(session: Session, sealer: Sealer, blobs: BlobStore, copy_id: str) -> bytes:
    """The plaintext of a stored copy (NotFound once erased)."""
    copy = session.get(DeviceCopy, copy_id)
    if copy is None or copy.wrapped_key is None or copy.nonce is None:
        raise NotFound(f"no stored copy {copy_id}")
    return sealer.open(blobs.get(copy.blob_key), copy.wrapped_key, copy.nonce, copy.id.encode())
