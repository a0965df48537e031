"""The canonical serialisation of an audit entry: the exact bytes its Merkle leaf hashes.

Version 1 is one line of JSON, UTF-8, no whitespace, with the keys in exactly this order:

    v             1
    seq           the entry's position in the log, from 0
    at            UTC time, RFC 3339 with microseconds and "Z": 2026-11-30T12:00:00.000000Z
    actor         who acted (user name, "cli:<os user>", "recorder@<host>", "system")
    role          the actor's role, or null
    action        collect | alter | consult | disclose | combine | erase | configure | authenticate
    event         what happened, e.g. "camera.registered", "recording.segment_sealed"
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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VERSION = 1


@dataclass(frozen=True)
class EntryRecord:
    """The content of one audit entry, as it is hashed into the log."""

    seq: int
    at: datetime
    actor: str
    actor_role: str | None
    action: str
    event: str
    object_type: str | None
    object_id: str | None
    case_ref: str | None
    grant_ref: str | None
    legal_basis: str | None
    justification: str | None
    recipient: str | None
    client_address: str | None
    outcome: str
    details: str  # canonical JSON text of an object (see canonical_details)


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
    return line(
        record.seq,
        format_time(record.at),
        record.actor,
        record.actor_role,
        record.action,
        record.event,
        record.object_type,
        record.object_id,
        record.case_ref,
        record.grant_ref,
        record.legal_basis,
        record.justification,
        record.recipient,
        record.client_address,
        record.outcome,
        record.details,
    )


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

    Split out so that verifying a million entries can feed raw database rows straight in.
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


def parse(line: bytes) -> EntryRecord:
    """Read a canonical line back; ValueError if it is not version 1 canonical form."""
    data = json.loads(line)
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise ValueError(f"unknown audit entry version {data.get('v')!r}")
    record = EntryRecord(
        seq=data["seq"],
        at=datetime.strptime(data["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
        actor=data["actor"],
        actor_role=data["role"],
        action=data["action"],
        event=data["event"],
        object_type=data["object_type"],
        object_id=data["object_id"],
        case_ref=data["case"],
        grant_ref=data["grant"],
        legal_basis=data["legal_basis"],
        justification=data["justification"],
        recipient=data["recipient"],
        client_address=data["client"],
        outcome=data["outcome"],
        details=canonical_details(data["details"]),
    )
    if canonical_bytes(record) != line:
        raise ValueError("the line is not in canonical form")
    return record
