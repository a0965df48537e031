"""The register of device inspections over the real services: an inspection recorded by a
member of the case inside a state of emergency, its receipt's proof checked against the signed
log and on the public page; the copies sealed and erased at the sunset unless the inspection
shows an offence; the counts in the sunset report; every step audited."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.audit import merkle
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.context import Call
from custos.devices import service
from custos.devices.policy import Inspection
from custos.errors import Forbidden, InvalidInput, NotFound
from custos.retention import emergency
from custos.runtime import Runtime
from helpers import APPROVER, audit_events, call_of, investigator

HOUR = timedelta(hours=1)


def _inspection(at: datetime, **change: object) -> Inspection:
    fields: dict[str, object] = {
        "legal_basis": "Law on the state of emergency, art. 13",
        "officer": "Lt. A. Serikov, badge 4411",
        "inspected_at": at,
        "region": "Almaty",
        "place": "checkpoint on Al-Farabi Avenue",
        "device": "black Samsung phone",
        "examined": ["messages", "photos"],
        "copied": ["photos"],
        "person": "P1",
        **change,
    }
    return Inspection(**fields)  # type: ignore[arg-type]


def _case_and_regime(ivan: Call, db: Session, clock: FrozenClock) -> tuple[int, int]:
    case = cases.open_case(ivan, "12/2026-0990", "cpc-kz-199", "unrest on the square")
    cases.add_person(ivan, case.reference, "P1")
    regime = emergency.declare(
        call_of(db, clock), regions=["Almaty"], start=clock.now() - 48 * HOUR, end=None,
        decree_ref="Decree No. 12 of the President",
    )  # fmt: skip
    return case.id, regime.id


def test_an_inspection_is_registered_and_its_receipt_checks_on_the_public_page(
    db: Session, clock: FrozenClock, ivan: Call, runtime: Runtime, client: TestClient
) -> None:
    case_id, regime_id = _case_and_regime(ivan, db, clock)
    made = service.record_inspection(ivan, case_id, regime_id, _inspection(clock.now() - HOUR))
    [entry] = audit_events(db, event="device.inspected")
    assert (entry.object_id, entry.details["copied"]) == (made.reference, ["photos"])
    assert "Samsung" not in str(entry.details)  # the device is described on the record only

    proved = service.receipt(ivan, runtime.log_key, made)
    assert proved.index == made.entry_seq
    signed = proved.checkpoint
    assert merkle.verify_inclusion(
        proved.index, signed.tree_size, proved.leaf, proved.proof, signed.root_hash
    )
    leaf = base64.urlsafe_b64encode(proved.leaf).decode().rstrip("=")
    page = client.get(f"/transparency/receipt?entry={proved.index}&leaf={leaf}")
    assert page.status_code == 200
    assert 'data-registered="yes"' in page.text
    assert "unrest" not in page.text  # nothing else of the entry
    assert "P1" not in page.text
    other = base64.urlsafe_b64encode(bytes(32)).decode()
    for query in (f"entry={proved.index}&leaf={other}", f"entry=999999&leaf={leaf}",
                  "entry=x&leaf=nonsense"):  # fmt: skip
        refused = client.get(f"/transparency/receipt?{query}")
        assert refused.status_code == 200
        assert 'data-registered="no"' in refused.text


def test_only_a_member_records_and_only_inside_the_regime(
    db: Session, clock: FrozenClock, ivan: Call
) -> None:
    case_id, regime_id = _case_and_regime(ivan, db, clock)
    at = clock.now() - HOUR
    with pytest.raises(NotFound):  # not his case: as if it did not exist
        service.record_inspection(
            call_of(db, clock, investigator("olga")), case_id, regime_id, _inspection(at)
        )
    with pytest.raises(Forbidden):
        service.record_inspection(call_of(db, clock, APPROVER), case_id, regime_id, _inspection(at))
    with pytest.raises(InvalidInput, match="not during state of emergency"):
        service.record_inspection(ivan, case_id, regime_id, _inspection(at - 72 * HOUR))
    with pytest.raises(InvalidInput, match="not Astana"):
        service.record_inspection(ivan, case_id, regime_id, _inspection(at, region="Astana"))
    with pytest.raises(NotFound, match="no state of emergency 99"):
        service.record_inspection(ivan, case_id, 99, _inspection(at))
    assert audit_events(db, event="device.inspected") == []


def test_copies_are_sealed_and_erased_at_the_sunset_unless_an_offence_is_shown(
    db: Session, clock: FrozenClock, ivan: Call, runtime: Runtime
) -> None:
    case_id, regime_id = _case_and_regime(ivan, db, clock)
    at = clock.now() - HOUR
    plain = service.record_inspection(ivan, case_id, regime_id, _inspection(at))
    shown = service.record_inspection(ivan, case_id, regime_id, _inspection(at))
    photo = b"\xff\xd8 a photo as copied from the phone"
    with pytest.raises(InvalidInput, match="records photos as copied, not 'messages'"):
        service.store_copy(ivan, runtime.sealer, runtime.blobs, plain.reference, "messages", photo)
    kept = service.store_copy(ivan, runtime.sealer, runtime.blobs, plain.reference, "photos", photo)
    evidence = service.store_copy(
        ivan, runtime.sealer, runtime.blobs, shown.reference, "photos", photo
    )
    assert photo not in runtime.blobs.get(kept.blob_key)  # sealed
    assert service.open_copy(db, runtime.sealer, runtime.blobs, kept.id) == photo
    service.mark_offence(ivan, shown.reference, "calls to violence in the messages")
    [stored, _] = audit_events(db, event="device.copy_stored")
    assert stored.details["digest"] == kept.digest

    rules = replace(runtime.rules, emergency_grace=timedelta(days=3))  # before the default
    emergency.end_regime(call_of(db, clock), regime_id, clock.now())
    assert service.sweep(db, clock, runtime.blobs, rules) == []  # not before the sunset
    clock.set(clock.now() + rules.emergency_grace + HOUR)
    assert service.sweep(db, clock, runtime.blobs, rules) == [kept.id]
    with pytest.raises(NotFound):
        service.open_copy(db, runtime.sealer, runtime.blobs, kept.id)
    assert not runtime.blobs.exists(kept.blob_key)
    assert service.open_copy(db, runtime.sealer, runtime.blobs, evidence.id) == photo
    [erased] = audit_events(db, event="device.copies_erased")
    assert (erased.object_id, erased.details["reason"]) == (plain.reference, "emergency_sunset")

    (report,) = emergency.publish_sunset_reports(
        db, clock, rules, {"device_inspections": service.sunset_counts}
    )
    counts = report.report["device_inspections"]
    assert counts["inspections"] == 2  # type: ignore[index]
    assert counts["copies_erased_at_sunset"] == 1  # type: ignore[index]
    assert counts["copies_kept"] == {"evidence of an offence": 1, "legal hold": 0}  # type: ignore[index]
