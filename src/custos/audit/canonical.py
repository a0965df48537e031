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

Strings are JSON-escaped with non-ASCII characters kept as UTF-8. Anyone can rebuild the
leaf from an exported entry: leaf = SHA-256(0x00 || these bytes).
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
    details: dict[str, Any]


def format_time(at: datetime) -> str:
    """RFC 3339 UTC with microseconds, the form hashed into the log."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalise_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """Details as the database will give them back (JSON types only), so hashes stay stable."""
    loaded: dict[str, Any] = json.loads(json.dumps(details or {}, default=str))
    return loaded


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def canonical_bytes(record: EntryRecord) -> bytes:
    """The version 1 serialisation of `record`."""
    return (
        f'{{"v":{VERSION},"seq":{record.seq},"at":"{format_time(record.at)}"'
        f',"actor":{_encode(record.actor)},"role":{_encode(record.actor_role)}'
        f',"action":{_encode(record.action)},"event":{_encode(record.event)}'
        f',"object_type":{_encode(record.object_type)},"object_id":{_encode(record.object_id)}'
        f',"case":{_encode(record.case_ref)},"grant":{_encode(record.grant_ref)}'
        f',"legal_basis":{_encode(record.legal_basis)}'
        f',"justification":{_encode(record.justification)}'
        f',"recipient":{_encode(record.recipient)},"client":{_encode(record.client_address)}'
        f',"outcome":{_encode(record.outcome)},"details":{_encode(record.details)}}}'
    ).encode()


def parse(line: bytes) -> EntryRecord:
    """Read a canonical line back; ValueError if it is not version 1 canonical form."""
    data = json.loads(line)
    if data.get("v") != VERSION:
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
        details=data["details"],
    )
    if canonical_bytes(record) != line:
        raise ValueError("the line is not in canonical form")
    return record
