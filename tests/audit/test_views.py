"""The transparency routes over HTTP (public, hashes only) and the log for auditors."""

from __future__ import annotations

import base64
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.audit import checkpoint as checkpoints
from custos.audit import log, merkle
from custos.audit.log import NewEntry
from custos.audit.note import (
    COSIGNATURE_ED25519,
    NoteSigner,
    parse_checkpoint,
    parse_note,
    parse_vkey,
    verify,
)
from custos.clock import FrozenClock
from custos.permissions import Role
from helpers import audit_events, bearer


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_checkpoint_key_and_proofs_verify_together(
    client: TestClient, db: Session, clock: FrozenClock, signer: NoteSigner, filled: int
) -> None:
    assert client.get("/transparency/checkpoint").status_code == 404
    checkpoints.sign_checkpoint(db, clock, signer)
    key = parse_vkey(client.get("/transparency/key").text)
    note = parse_note(client.get("/transparency/checkpoint").text)
    assert verify(note, key)
    head = parse_checkpoint(note.text)
    inclusion = client.get(
        "/transparency/proof/inclusion", params={"index": 3, "size": head.size}
    ).json()
    assert merkle.verify_inclusion(
        3, head.size, _b64(inclusion["leaf_hash"]), [_b64(h) for h in inclusion["proof"]], head.root
    )
    consistency = client.get(
        "/transparency/proof/consistency", params={"from": 5, "to": head.size}
    ).json()
    assert merkle.verify_consistency(
        5,
        head.size,
        _b64(consistency["from_root"]),
        head.root,
        [_b64(h) for h in consistency["proof"]],
    )
    assert set(inclusion) == {"index", "size", "leaf_hash", "root_hash", "proof"}  # no content


def test_bad_proof_requests_are_422(client: TestClient, filled: int) -> None:
    assert (
        client.get(
            "/transparency/proof/inclusion", params={"index": 0, "size": filled + 5}
        ).status_code
        == 422
    )
    assert (
        client.get("/transparency/proof/consistency", params={"from": 0, "to": 3}).status_code
        == 422
    )
    assert (
        client.get("/transparency/proof/inclusion", params={"index": "x", "size": 3}).status_code
        == 422
    )


def test_cosignatures_submitted_over_http(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    signer: NoteSigner,
    filled: int,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    witness = NoteSigner("ngo.example/w2", bytes([5]) * 32, COSIGNATURE_ED25519)
    admin = bearer(make_user(Role.ADMIN)[1])
    assert (
        client.post(
            "/api/audit/witnesses", headers=admin, json={"vkey": witness.verifier.vkey()}
        ).status_code
        == 201
    )
    checkpoints.sign_checkpoint(db, clock, signer)
    text = parse_note(client.get("/transparency/checkpoint").text).text
    response = client.post(
        "/transparency/cosignatures",
        content=text + "\n" + witness.cosign(text, 9).line(),
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 201
    assert response.json() == {"accepted": ["ngo.example/w2"]}
    assert client.get("/transparency/checkpoint").text.count("\u2014 ") == 2


def test_reading_the_log_is_itself_logged(
    client: TestClient, db: Session, filled: int, make_user: Callable[..., tuple[str, str]]
) -> None:
    name, token = make_user(Role.AUDITOR)
    found = client.get(
        "/api/audit/entries", headers=bearer(token), params={"actor": "user1", "limit": 3}
    ).json()
    assert [e["actor"] for e in found] == ["user1"] * 3
    assert found[0]["seq"] > found[1]["seq"]
    [read] = audit_events(db, event="audit.entries_read")
    assert (read.actor, read.action) == (name, "consult")
    assert read.details == {"filters": {"actor": "user1"}, "returned": 3}


def test_auditor_page_shows_size_checkpoints_and_filters(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    signer: NoteSigner,
    filled: int,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    checkpoints.sign_checkpoint(db, clock, signer)
    _, token = make_user(Role.DPO)
    page = client.get(
        "/audit", headers={**bearer(token), "Accept": "text/html"}, params={"event": "test.4"}
    )
    assert page.status_code == 200
    assert "data-checkpoint=" in page.text
    assert page.text.count('data-seq="') == 1
    assert "cam-4" in page.text
    assert (
        client.get(
            "/audit",
            headers={**bearer(token), "Accept": "text/html"},
            params={"since": "yesterday"},
        ).status_code
        == 422
    )


def test_the_page_and_the_api_filter_by_prefix_and_hide_collection(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    filled: int,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    log.append(
        db,
        clock,
        [
            NewEntry(actor="recorder@x", action="collect", event=event, outcome="success")
            for event in ("recording.segments_collected", "recording.gap_opened")
        ],
    )
    db.commit()
    _, token = make_user(Role.AUDITOR)
    html = {**bearer(token), "Accept": "text/html"}
    prefixed = client.get("/audit", headers=html, params={"event": "recording."})
    assert prefixed.text.count('data-seq="') == 2
    starred = client.get("/audit", headers=html, params={"event": "test.1*"})
    assert starred.text.count('data-seq="') == 11  # test.1 and test.10 to test.19
    hidden = client.get("/audit", headers=html, params={"event": "rec*", "hide_collection": "1"})
    assert hidden.text.count('data-seq="') == 0
    assert 'name="hide_collection" value="1" checked' in hidden.text
    found = client.get(
        "/api/audit/entries",
        headers=bearer(token),
        params={"event_prefix": "recording.", "limit": 100},
    ).json()
    assert {e["event"] for e in found} == {"recording.segments_collected", "recording.gap_opened"}
    shown = client.get(
        "/api/audit/entries", headers=bearer(token), params={"hide_collection": True, "limit": 1000}
    ).json()
    assert all(e["action"] != "collect" for e in shown)
    assert len(shown) >= 25
