"""The entry's fields are defined once; the canonical form, the table and the API agree with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, get_args, get_type_hints

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.audit import log
from custos.audit.canonical import (
    CANONICAL_KEYS,
    ENTRY_FIELDS,
    EntryFields,
    EntryRecord,
    canonical_bytes,
    canonical_details,
)
from custos.audit.log import NewEntry, record_of
from custos.audit.models import AuditEntry
from custos.audit.schemas import EntryOut
from custos.clock import FrozenClock

AT = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)


def _hints() -> dict[str, Any]:
    return get_type_hints(EntryFields)


def _every_field_set() -> dict[str, str]:
    """A distinct value for every field but the details."""
    return {name: f"<{name}>" for name in ENTRY_FIELDS if name != "details"}


def test_the_canonical_form_has_every_field_in_order() -> None:
    record = EntryRecord(seq=3, at=AT, details=canonical_details({"k": 1}), **_every_field_set())
    written = json.loads(canonical_bytes(record))
    assert list(written) == ["v", "seq", "at", *CANONICAL_KEYS]
    assert CANONICAL_KEYS[-1] == "details"
    for name, key in zip(ENTRY_FIELDS[:-1], CANONICAL_KEYS[:-1], strict=True):
        assert written[key] == f"<{name}>"
    assert written["details"] == {"k": 1}


def test_the_table_has_a_column_for_every_field() -> None:
    table = AuditEntry.__table__
    assert isinstance(table, sa.Table)
    assert {c.name for c in table.columns} == {"seq", "at", *ENTRY_FIELDS}
    hints = _hints()
    for name in ENTRY_FIELDS:
        if name != "details":
            assert table.c[name].nullable == (type(None) in get_args(hints[name])), name
    assert not table.c.details.nullable


def test_the_api_output_has_the_same_fields_and_types() -> None:
    shown = EntryOut.model_fields
    assert list(shown) == ["seq", "at", *ENTRY_FIELDS]
    hints = get_type_hints(EntryRecord)
    for name in ("seq", "at", *ENTRY_FIELDS[:-1]):
        assert shown[name].annotation == hints[name], name
    assert shown["details"].annotation == dict[str, object]


def test_every_field_is_stored_and_read_back(db: Session, clock: FrozenClock) -> None:
    values = _every_field_set()
    seq = log.append(db, clock, [NewEntry(details={"k": "é"}, **values)])
    stored = db.get(AuditEntry, seq)
    assert stored is not None
    assert record_of(stored) == EntryRecord(seq=seq, at=clock.now(), details='{"k":"é"}', **values)
    shown = EntryOut.model_validate(stored)
    assert {name: getattr(shown, name) for name in values} == values
    assert shown.details == {"k": "é"}
