"""The canonical form of audit entries: stable, documented, and parsed back exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.audit.canonical import (
    EntryRecord,
    canonical_bytes,
    canonical_details,
    canonical_position,
    parse,
)

AT = datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC)


def _record(**changes: object) -> EntryRecord:
    fields: dict[str, object] = dict(
        seq=7,
        at=AT,
        actor="ivan",
        actor_role="investigator",
        action="consult",
        event="footage.viewed",
        object_type="segment",
        object_id="ab12",
        case_ref="CASE-1",
        grant_ref="G-9",
        legal_basis="CPC art. 199",
        justification="identify the suspect",
        recipient=None,
        client_address="10.0.0.4",
        outcome="success",
        details=canonical_details({"b": 1, "a": "é"}),
    )
    fields.update(changes)
    return EntryRecord(**fields)  # type: ignore[arg-type]


def test_the_documented_form() -> None:
    assert (
        canonical_bytes(_record())
        == (
            '{"v":1,"seq":7,"at":"2026-11-30T12:00:00.123456Z","actor":"ivan","role":"investigator",'
            '"action":"consult","event":"footage.viewed","object_type":"segment","object_id":"ab12",'
            '"case":"CASE-1","grant":"G-9","legal_basis":"CPC art. 199",'
            '"justification":"identify the suspect","recipient":null,"client":"10.0.0.4",'
            '"outcome":"success","details":{"a":"é","b":1}}'
        ).encode()
    )


text = st.text(max_size=40)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)


@given(
    actor=text,
    event=text,
    object_id=st.none() | text,
    justification=st.none() | text,
    details=st.dictionaries(text, json_value, max_size=4),
)
def test_parse_gives_back_the_same_entry(
    actor: str,
    event: str,
    object_id: str | None,
    justification: str | None,
    details: dict[str, object],
) -> None:
    record = _record(
        actor=actor,
        event=event,
        object_id=object_id,
        justification=justification,
        details=canonical_details(details),
    )
    line = canonical_bytes(record)
    assert b"\n" not in line
    assert parse(line) == record
    assert canonical_position(line) == record.seq


def _parses_at(line: bytes) -> int | None:
    try:
        return parse(line).seq
    except (ValueError, KeyError, TypeError):
        return None


@given(
    actor=text,
    details=st.dictionaries(text, json_value, max_size=3),
    at=st.integers(0, 300),
    cut=st.integers(0, 20),
    insert=st.binary(max_size=3) | st.sampled_from([b" ", b"\\", b'"', b"\\u0041", b"0", b"\n"]),
)
def test_the_quick_check_accepts_no_line_parse_refuses(
    actor: str, details: dict[str, object], at: int, cut: int, insert: bytes
) -> None:
    line = canonical_bytes(_record(actor=actor, details=canonical_details(details)))
    at = min(at, len(line))
    changed = line[:at] + insert + line[at + cut :]
    quick = canonical_position(changed)
    assert quick is None or quick == _parses_at(changed)


def test_the_quick_check_refuses_what_is_not_canonical() -> None:
    line = canonical_bytes(_record())
    assert canonical_position(line) == 7
    for bad in (
        line.replace(b'"seq":7,', b'"seq":07,'),
        line.replace(b'"seq":7,', b'"seq": 7,'),
        line.replace(b'"v":1', b'"v":2'),
        line.replace(b"T12:00:00", b"T25:00:00"),
        line.replace(b'"outcome":"success"', b'"outcome":null'),
        line.replace(b'"actor":"', b'"actor":"\\u0041'),
        line[:-1] + b',"extra":1}',
        line.replace(b'"details":{', b'"details":{"b":1,"a":2,'),
        line + b"\n",
        b"\xff" + line,
    ):
        assert canonical_position(bad) is None, bad
        assert _parses_at(bad) is None, bad


def test_non_canonical_lines_are_refused() -> None:
    line = canonical_bytes(_record())
    with pytest.raises(ValueError, match="canonical"):
        parse(line.replace(b'"seq":7,', b'"seq": 7,'))
    with pytest.raises(ValueError, match="version"):
        parse(line.replace(b'"v":1', b'"v":2'))


def test_details_are_canonical_json_text() -> None:
    assert canonical_details({"t": (1, 2), "when": AT, "b": None}) == (
        f'{{"b":null,"t":[1,2],"when":"{AT}"}}'
    )
    assert canonical_details({1: "one", "two": 2}) == '{"1":"one","two":2}'
    assert canonical_details(None) == "{}"
