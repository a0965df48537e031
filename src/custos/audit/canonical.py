"""The canonical serialisation of an audit entry: the exact bytes its Merkle leaf hashes.

Version 1 is one line of JSON, UTF-8, no whitespace, with the keys in exactly this order:

    v             1
    seq           the entry's position in the log, from 0
    at            UTC time, RFC 3339 with microseconds and "Z": 2026-11-30T12:00:00.000000Z
    actor         who acted (user name, "cli:<os user>", "recorder@<host>", "system")
    role          the actor's role, or null
    action        collect | alter | consult | disclose | combine | erase | configure | authenticate
    event         what happened, e.g. "camera.registered", "recording.segments_collected"
    object_type   the kind of object acted on, or null
    object_id     its id, or null
    case          the criminal case reference, or null
    grant         the access grant reference, or null
    legal_basis   the legal ground invoked, or null
    justification the reason given, or null
    recipient     to whom data was disclosed, or null
    client        the client address, or null
    outcome       success | failure | denied
    details       an object with keys sorted; metadata only, never footage

Strings are JSON-escaped (only quote, backslash and control characters) with all other
characters kept as UTF-8; values in details that JSON has no type for are written as strings.
Anyone can rebuild the leaf from an exported entry: leaf = SHA-256(0x00 || these bytes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Generic, TypeVar

VERSION = 1

DetailsT = TypeVar("DetailsT")


def _key(name: str) -> dict[str, str]:
    """Field metadata: the name of the field in the canonical form, where it differs."""
    return {"key": name}


@dataclass(frozen=True, kw_only=True)
class EntryFields(Generic[DetailsT]):
    """What an audit entry says apart from its position and time: the one list of its fields.

    The fields are declared in the order of the canonical form, `details` last; where the
    canonical key is not the field's name, its metadata names it. The columns of
    `audit_entries`, the row an append inserts, the stored entry read back and the API's output
    all use these names. `details` is a mapping in an entry to append (`log.NewEntry`) and its
    canonical text in an entry as hashed (`EntryRecord`).

    A new field changes every leaf of the log, so it also needs a new version of `line`.
    """

    actor: str
    actor_role: str | None = field(default=None, metadata=_key("role"))
    action: str
    event: str
    object_type: str | None = None
    object_id: str | None = None
    case_ref: str | None = field(default=None, metadata=_key("case"))
    grant_ref: str | None = field(default=None, metadata=_key("grant"))
    legal_basis: str | None = None
    justification: str | None = None
    recipient: str | None = None
    client_address: str | None = field(default=None, metadata=_key("client"))
    outcome: str
    details: DetailsT


ENTRY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(EntryFields))
"""The names of an entry's fields in canonical order, `details` last; also its column names."""

CANONICAL_KEYS: tuple[str, ...] = tuple(f.metadata.get("key", f.name) for f in fields(EntryFields))
"""The keys of those fields in the canonical form, in the same order."""

field_values: attrgetter[tuple[Any, ...]] = attrgetter(*ENTRY_FIELDS)
"""An entry's field values in canonical order: the arguments of `line` after seq and time."""


@dataclass(frozen=True, kw_only=True)
class EntryRecord(EntryFields[str]):
    """The content of one audit entry, as it is hashed into the log.

    Its `details` is the canonical JSON text of an object (see `canonical_details`).
    """

    seq: int
    at: datetime


def format_time(at: datetime) -> str:
    """RFC 3339 UTC with microseconds, the form hashed into the log."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_details = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
).encode
# The C implementation: quotes, escapes '"', '\\' and control characters, keeps the rest.
_string = json.encoder.encode_basestring


def canonical_details(details: dict[str, Any] | None) -> str:
    """Details as canonical JSON text: keys sorted, compact, UTF-8; non-JSON values as strings.

    This text is stored as it is, so the log never has to re-encode details to check them.
    """
    try:
        return _details(details or {})
    except TypeError:  # keys of mixed types cannot be sorted: make them all strings first
        return _details(json.loads(json.dumps(details, default=str)))


def canonical_bytes(record: EntryRecord) -> bytes:
    """The version 1 serialisation of `record`."""
    return line(record.seq, format_time(record.at), *field_values(record))


def line(
    seq: int,
    at: str,
    actor: str,
    role: str | None,
    action: str,
    event: str,
    object_type: str | None,
    object_id: str | None,
    case_ref: str | None,
    grant_ref: str | None,
    legal_basis: str | None,
    justification: str | None,
    recipient: str | None,
    client: str | None,
    outcome: str,
    details: str,
) -> bytes:
    """The canonical line from its fields, `at` already formatted and `details` already canonical.

    The arguments after `at` are an entry's field values in the order of `ENTRY_FIELDS`. Split
    out so that verifying a million entries can feed raw database rows straight in; written out
    key by key because this is the version 1 form itself (tests hold it to `CANONICAL_KEYS`).
    """
    s, n = _string, "null"  # inlined rather than a helper call: this runs per entry on verify
    return (
        f'{{"v":1,"seq":{seq},"at":"{at}","actor":{s(actor)}'
        f',"role":{n if role is None else s(role)}'
        f',"action":{s(action)},"event":{s(event)}'
        f',"object_type":{n if object_type is None else s(object_type)}'
        f',"object_id":{n if object_id is None else s(object_id)}'
        f',"case":{n if case_ref is None else s(case_ref)}'
        f',"grant":{n if grant_ref is None else s(grant_ref)}'
        f',"legal_basis":{n if legal_basis is None else s(legal_basis)}'
        f',"justification":{n if justification is None else s(justification)}'
        f',"recipient":{n if recipient is None else s(recipient)}'
        f',"client":{n if client is None else s(client)}'
        f',"outcome":{s(outcome)},"details":{details}}}'
    ).encode()


# A JSON string exactly as `_string` writes one: '"', '\\' and control characters escaped, the
# five short escapes where they exist and \u00XX (lower case) for the rest, nothing else.
_CANONICAL_STRING = (
    r'"[^"\\\x00-\x1f]*(?:\\(?:["\\bfnrt]|u00(?:0[0-7bef]|1[0-9a-f]))[^"\\\x00-\x1f]*)*"'
)
_LINE = re.compile(
    r'\{"v":1,"seq":(0|[1-9][0-9]*),"at":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'
    r'\.[0-9]{6})Z"'
    + "".join(
        f',"{key}":' + (f"(?:null|{_CANONICAL_STRING})" if f.default is None else _CANONICAL_STRING)
        for key, f in zip(CANONICAL_KEYS[:-1], fields(EntryFields)[:-1], strict=True)
    )
    + r',"details":(\{.*\})\}',
    re.DOTALL,
)


def canonical_position(line: bytes) -> int | None:
    """The position a version 1 canonical line carries, or None where it is not one.

    The quick form of `parse` for checking millions of lines: one pattern for the whole line,
    the time checked as a date, the details re-encoded. It accepts no line `parse` refuses;
    where it says None, `parse` gives the reason.
    """
    try:
        match = _LINE.fullmatch(line.decode())
        if match is None:
            return None
        datetime.fromisoformat(match[2])
        details = match[3]
        return int(match[1]) if _details(json.loads(details)) == details else None
    except (UnicodeDecodeError, ValueError, TypeError):
        return None


def parse(line: bytes) -> EntryRecord:
    """Read a canonical line back; ValueError if it is not version 1 canonical form."""
    data = json.loads(line)
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise ValueError(f"unknown audit entry version {data.get('v')!r}")
    values = {name: data[key] for name, key in zip(ENTRY_FIELDS, CANONICAL_KEYS, strict=True)}
    values["details"] = canonical_details(values["details"])
    record = EntryRecord(
        seq=data["seq"],
        at=datetime.strptime(data["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
        **values,
    )
    if canonical_bytes(record) != line:
        raise ValueError("the line is not in canonical form")
    return record
