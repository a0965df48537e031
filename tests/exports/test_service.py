"""The recipients list: kept by the DPO, every change audited, retired rather than deleted."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.context import Actor
from custos.errors import Conflict, InvalidInput
from custos.exports import service
from custos.exports.policy import RecipientRole
from helpers import audit_events, call_of

DPO = Actor("dora", "dpo", client_address="127.0.0.1")


def test_recipients_are_listed_retired_and_every_change_audited(
    db: Session, clock: FrozenClock
) -> None:
    call = call_of(db, clock, DPO)
    court = service.add_recipient(
        call, name=" Judge A. Seitkali ", organisation="Almaty City Court", role=RecipientRole.COURT
    )
    person = service.add_recipient(
        call, name="Aigerim K.", organisation="", role=RecipientRole.DATA_SUBJECT, contact="post"
    )
    assert court.name == "Judge A. Seitkali"
    assert [r.name for r in service.recipients(db)] == ["Aigerim K.", "Judge A. Seitkali"]
    with pytest.raises(Conflict, match="listed already"):
        service.add_recipient(
            call,
            name="Judge A. Seitkali",
            organisation="Almaty City Court",
            role=RecipientRole.COURT,
        )
    with pytest.raises(InvalidInput, match="organisation of the prosecutor"):
        service.add_recipient(call, name="B", organisation="", role=RecipientRole.PROSECUTOR)
    with pytest.raises(InvalidInput, match="say why"):
        service.retire_recipient(call, person.id, " ")
    service.retire_recipient(call, person.id, "the request was answered")
    with pytest.raises(Conflict, match="retired already"):
        service.retire_recipient(call, person.id, "again")
    assert [r.id for r in service.recipients(db)] == [court.id]
    assert {r.id for r in service.recipients(db, retired=True)} == {court.id, person.id}
    added = audit_events(db, event="export.recipient_added")
    assert [(e.actor, e.object_id, e.details["role"]) for e in added] == [
        ("dora", str(court.id), "court"),
        ("dora", str(person.id), "data_subject"),
    ]
    (retired,) = audit_events(db, event="export.recipient_retired")
    assert retired.details == {"reason": "the request was answered"}
