"""An inspection over a system seeded with violations lists each one once; over a clean
system, nothing. The report is signed by the log's key, and the page and the shell show it."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.models import Grant, PersonLink, Viewing
from custos.audit import checkpoint as checkpoints
from custos.audit.note import COSIGNATURE_ED25519, NoteSigner, parse_note, parse_vkey, verify
from custos.clock import FrozenClock
from custos.context import Actor
from custos.dpia import service as dpia
from custos.dpia.models import Assessment, AssessmentVersion
from custos.dpia.policy import Content, VersionState
from custos.inspection import report, service
from custos.permissions import Role
from custos.retention import holds
from custos.runtime import Runtime
from custos.users.models import AccountRequest, User
from custos.users.policy import ChangeKind, RequestStatus
from helpers import (
    APPROVER,
    INVESTIGATOR,
    bearer,
    call_of,
    register_camera,
    withdraw_zone_statements,
)

from .conftest import Scene

DANA, OLGA = Actor("dana", "dpo"), Actor("olga", "dpo")


def _content(clock: FrozenClock, scope: tuple[str, ...], days: int = 100) -> Content:
    said = "for the inspection"
    return Content(
        title="Old gate", description=said, purposes=said, necessity=said, risks=said,
        vulnerable_groups=said, measures=said, consultation=(), dpo_opinion="",
        scope=scope, analytics=("faces",), review_by=clock.now() + timedelta(days=days),
        public_summary=said,
    )  # fmt: skip


def _rules(db: Session, runtime: Runtime, clock: FrozenClock) -> list[tuple[str, str]]:
    return [(f.rule, f.subject) for f in service.inspect(db, runtime.policy.profile, clock.now())]


def _watched(db: Session, runtime: Runtime, clock: FrozenClock) -> None:
    """A fresh checkpoint, cosigned by a registered witness."""
    witness = NoteSigner("ngo.example/w1", bytes([7]) * 32, COSIGNATURE_ED25519)
    if checkpoints.witness_count(db) == 0:
        checkpoints.add_witness(call_of(db, clock), witness.verifier.vkey())
    signed = checkpoints.sign_checkpoint(db, clock, checkpoints.log_signer(db, runtime.log_key))
    assert signed is not None
    text = parse_note(signed.note).text
    stamp = int(clock.now().timestamp())
    checkpoints.accept_cosignatures(db, clock, text + "\n" + witness.cosign(text, stamp).line())


def test_a_clean_system_has_no_finding(db: Session, runtime: Runtime, clock: FrozenClock) -> None:
    register_camera(runtime, "square", "rtsp://square.example/1")
    _watched(db, runtime, clock)
    assert _rules(db, runtime, clock) == []


def test_each_seeded_violation_is_listed_once(
    db: Session,
    runtime: Runtime,
    clock: FrozenClock,
    scene: Scene,
    grant: Callable[..., Grant],
    archive: Callable[..., list[str]],
) -> None:
    unused = grant()  # revoked unused, while the footage is recent enough to be granted
    access.revoke_grant(call_of(db, clock, APPROVER), unused.id, "no longer needed")
    # A person named on footage and cleared afterwards; a track named as someone the grant
    # does not concern. Both grants were watched.
    named = grant({"identification": True})
    window = named.windows[0]
    for person in ("P1", "P7"):
        db.add(
            PersonLink(
                grant_id=named.id, window_id=window.id, person=person, track=1, kind="face",
                members=[], first_s=0.0, last_s=1.0, reason="r", linked_by="ivan",
                linked_at=clock.now(), removed_at=None, removed_by=None,
            )
        )  # fmt: skip
    db.add(
        Viewing(
            grant_id=named.id, window_id=window.id, holder="ivan", opened_at=clock.now(),
            last_seen_at=clock.now(), closed_at=clock.now(),
        )
    )  # fmt: skip
    db.commit()
    clock.advance(timedelta(minutes=5))
    access.clear_person(call_of(db, clock, INVESTIGATOR), scene.reference, "P1", "alibi confirmed")
    db.execute(sa.delete(AssessmentVersion))
    db.execute(sa.delete(Assessment))
    db.commit()
    # An assessment whose review passed, over a camera that records under it.
    old = dpia.draft(call_of(db, clock, DANA), _content(clock, ("camera:old-gate",)))
    old_ref = dpia.reference_of(db, old)
    dpia.approve(call_of(db, clock, OLGA), old_ref, 1)
    register_camera(runtime, "old-gate", "rtsp://gate.example/1")
    clock.advance(timedelta(days=101))
    # The pre-existing assessment nobody reviewed, covering a school camera with no zone and
    # the hall, whose footage was not erased when due.
    pre = Assessment(reference="DPIA-9", created_at=clock.now(), created_by="system",
                     pre_existing=True)  # fmt: skip
    db.add(pre)
    db.flush()
    content = _content(clock, ("camera:school-1", "camera:hall", "camera:store"))
    db.add(
        AssessmentVersion(
            dpia_id=pre.id, version=1, state=VersionState.APPROVED, title=content.title,
            description="x", purposes="x", necessity="x", risks="x", vulnerable_groups="x",
            measures="x", consultation=[], dpo_opinion="", scope=list(content.scope),
            analytics=["faces"], review_by=content.review_by, public_summary="x",
            zones_not_needed="x",
            author="system", written_at=clock.now(), approved_by="system",
            approved_at=clock.now(), superseded_at=None,
        )
    )  # fmt: skip
    db.commit()
    register_camera(runtime, "school-1", "rtsp://school.example/1", tags=["school"])
    withdraw_zone_statements(db)  # a later version takes back why it needed no zones
    archive("store", clock.now() - timedelta(days=40), 2)  # due 10 days ago
    # A hold whose review passed, a grant revoked unused, an account change confirmed by the
    # one who asked for it.
    hold = holds.place_hold(
        call_of(db, clock, Actor("anna", "approver")),
        case_ref=scene.reference,
        scopes=[holds.Scope("hall", scene.start, scene.start + timedelta(minutes=1))],
        reason="evidence",
    )
    hold.review_due = clock.now() - timedelta(days=1)
    stray = holds.place_hold(
        call_of(db, clock, Actor("anna", "approver")),
        case_ref="99/2026-0001",
        scopes=[holds.Scope("hall", scene.start, scene.start + timedelta(minutes=1))],
        reason="typed by hand",
    )
    asker = User(name="mallory", role=Role.ADMIN, display_name="", created_at=clock.now())
    db.add(asker)
    db.flush()
    db.add(
        AccountRequest(
            kind=ChangeKind.CREATE, user_name="eve", role=Role.APPROVER,
            status=RequestStatus.CONFIRMED, asked_by_id=asker.id, asked_at=clock.now(),
            decided_by="mallory", decided_at=clock.now(),
        )
    )  # fmt: skip
    db.commit()

    found = _rules(db, runtime, clock)
    assert sorted(found) == sorted(
        [
            ("camera_without_dpia", "old-gate"),
            ("dpia_overdue", old_ref),
            ("dpia_pre_existing", "DPIA-9"),
            ("sensitive_without_zones", "school-1"),
            ("erasure_overdue", "store"),
            ("hold_review_overdue", f"hold {hold.id}"),
            ("grant_never_used", unused.reference),
            ("self_confirmed", "eve"),
            ("hold_without_case", f"hold {stray.id}"),
            ("unmasked_then_cleared", named.reference),
            ("unmasking_without_person", named.reference),
            ("checkpoint_age", "audit log"),
            ("no_witness", "audit log"),
        ]
    )
    assert found[0][0] in ("camera_without_dpia", "erasure_overdue", "self_confirmed")  # high first


def test_the_report_is_signed_by_the_log_and_shown_to_oversight(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    clock: FrozenClock,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    register_camera(runtime, "school-1", "rtsp://school.example/1", tags=["school"])
    withdraw_zone_statements(db)
    auditor = bearer(make_user(Role.AUDITOR)[1])
    answer = client.get("/api/inspection", headers=auditor)
    assert answer.status_code == 200
    signed = answer.json()
    rules = [f["rule"] for f in signed["findings"]]
    assert "sensitive_without_zones" in rules
    body = {k: v for k, v in signed.items() if k not in ("sha256", "signature")}
    assert hashlib.sha256(report.canonical(body)).hexdigest() == signed["sha256"]
    assert signed["sha256"] in signed["signature"]
    key = parse_vkey(client.get("/transparency/key").text)
    assert verify(parse_note(signed["signature"]), key)
    pdf = client.get("/api/inspection/report.pdf", headers=auditor)
    assert pdf.headers["content-type"] == "application/pdf"
    printed = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "sensitive_without_zones" in printed.replace("\n", "")
    page = client.get("/inspection", headers=auditor)
    assert page.status_code == 200
    assert 'data-rule="sensitive_without_zones"' in page.text
    investigator = bearer(make_user(Role.INVESTIGATOR)[1])
    assert client.get("/api/inspection", headers=investigator).status_code == 403
