"""Every route × every role: no credentials → 401, role not admitted → 403, admitted role → 2xx.

The table below is the specification of who may call what. A route missing from it, or
declaring other roles than it says, fails the suite. An investigator is admitted to a case's
routes as a member the case's opener added; at the end, the routes of one case × membership:
an investigator outside the case is answered 404 on each, as for a case that does not exist,
and listings show each caller only the cases they see.
"""

from __future__ import annotations

import functools
import itertools
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.policy import Window
from custos.audit import checkpoint as checkpoints
from custos.audit.note import COSIGNATURE_ED25519, NoteSigner, parse_note
from custos.audit.policy import Outcome
from custos.breaches import service as breaches
from custos.breaches.policy import Facts as BreachFacts
from custos.cameras import service as cameras
from custos.cameras.policy import Withheld
from custos.cameras.schemas import CameraCreate
from custos.cases import holds as case_holds
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.context import Actor, Call
from custos.deps import Admits, public, signing_in
from custos.devices import service as devices
from custos.devices.policy import Inspection as DeviceFacts
from custos.dpia import service as dpia
from custos.dpia.policy import Content
from custos.dpia.schemas import AssessmentIn
from custos.errors import Unauthenticated
from custos.exports import delivery
from custos.exports import service as exports
from custos.exports import views as export_views
from custos.exports.policy import ExportState, RecipientRole, Span
from custos.jobs import prepare_once
from custos.permissions import SECOND_FACTOR_ROLES, Role
from custos.profile import load_profile
from custos.recording.media import SegmentFile, make_clip
from custos.recording.service import CameraFeed, SegmentWriter
from custos.retention import emergency, holds, incidents
from custos.retention.pressure import ExhaustionGate
from custos.retention.service import SegmentPlanner
from custos.runtime import Runtime
from custos.storage.certificates import create_content_identity
from custos.storage.keys import create_signing_key
from custos.subjects import service as subjects
from custos.subjects.policy import Asked
from custos.users import factor
from custos.users import policy as account_rules
from custos.users import service as users
from helpers import (
    CHEAP_PASSWORDS,
    audit_events,
    bearer,
    call_of,
    code_now,
    enrol_factor,
    investigator,
    person_photo,
    segments_of,
    still_clip,
)

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
CONFIRMERS = frozenset({Role.ADMIN, Role.DPO})
CAMERA_MANAGERS = frozenset({Role.ADMIN, Role.OPERATOR})
OVERSIGHT = frozenset({Role.AUDITOR, Role.DPO})
OPERATOR = frozenset({Role.OPERATOR})
APPROVER = frozenset({Role.APPROVER})
INCIDENT_VIEWERS = frozenset({Role.OPERATOR, Role.APPROVER, Role.DPO})
HOLD_VIEWERS = frozenset({Role.APPROVER, Role.DPO})
CASE_WORKERS = frozenset({Role.INVESTIGATOR, Role.APPROVER})
INVESTIGATOR = frozenset({Role.INVESTIGATOR})
RECIPIENT_VIEWERS = frozenset({Role.INVESTIGATOR, Role.APPROVER, Role.DPO})
DPO = frozenset({Role.DPO})
DPIA_VIEWERS = frozenset({Role.DPO, Role.ADMIN, Role.OPERATOR, Role.AUDITOR})
DPIA_DRAFTERS = frozenset({Role.DPO, Role.ADMIN})
INSPECTORS = frozenset({Role.DPO, Role.AUDITOR})
BREACH_VIEWERS = frozenset({Role.DPO, Role.ADMIN, Role.AUDITOR})
BREACH_MANAGERS = frozenset({Role.DPO, Role.ADMIN})
SUBJECT_VIEWERS = frozenset({Role.DPO, Role.AUDITOR})
INSPECTION_VIEWERS = frozenset({Role.INVESTIGATOR, Role.APPROVER})
PROFILE = load_profile("kz-nvms").profile
RULES = PROFILE.retention_rules
OWN_PASSWORD = "matrix own password"
LOCKED_AT = "198.51.100.7"
_names = itertools.count()
# The investigator who opens the matrix's cases and adds the caller to them.
OPENER = investigator("matrix-opener")
LOG_KEY = bytes(range(32))


@dataclass
class Ctx:
    """What a request builder may use: the database, the clock, the runtime, the caller's name
    and role, and whether the cases it builds are to have the caller as a member."""

    db: Session
    clock: FrozenClock
    runtime: Runtime
    caller: str | None
    role: Role | None = None
    member: bool = True


@dataclass
class Request:
    url: str
    json: Any = None
    data: dict[str, Any] | None = None
    content: str | None = None
    files: dict[str, tuple[str, bytes]] | None = None


def _breach_facts(ctx: Ctx) -> dict[str, Any]:
    return {
        "summary": "a laptop with an export left on a train",
        "discovered_at": (ctx.clock.now() - timedelta(hours=2)).isoformat(),
        "categories": ["exports"],
        "people_affected": 3,
        "measures": "the export's link revoked",
    }


def _subject_body(ctx: Ctx) -> dict[str, Any]:
    return {
        "received_at": (ctx.clock.now() - timedelta(hours=1)).isoformat(),
        "channel": "letter",
        "identity_check": "ID card copy",
        "times_and_places": "the square, yesterday at noon",
        "contact": "by post",
    }


def _subject_request(ctx: Ctx) -> str:
    body = _subject_body(ctx)
    made = subjects.receive(
        call_of(ctx.db, ctx.clock),
        Asked(ctx.clock.now() - timedelta(hours=1), body["channel"], body["identity_check"],
              body["times_and_places"], body["contact"]),
    )  # fmt: skip
    return made.reference


def _subject_act(ctx: Ctx, verb: str) -> Request:
    return Request(f"/api/subject-requests/{_subject_request(ctx)}/{verb}", json={"text": "x"})


def _breach(ctx: Ctx) -> str:
    facts = _breach_facts(ctx)
    breach = breaches.record_breach(
        call_of(ctx.db, ctx.clock),
        BreachFacts(
            summary=facts["summary"], discovered_at=ctx.clock.now() - timedelta(hours=2),
            categories=("exports",), people_affected=3, consequences="", measures="m",
        ),
    )  # fmt: skip
    return breach.reference


def _camera(ctx: Ctx, status: str = "active") -> str:
    name = f"matrix-cam-{next(_names)}"
    cameras.register_camera(
        call_of(ctx.db, ctx.clock),
        CameraCreate.model_validate(
            {
                "name": name,
                "source_url": "rtsp://cam.example/live",
                "category": "other",
                "region": "Almaty",
                "status": status,
            }
        ),
    )
    return name


@functools.cache
def _clip() -> str:
    """A short video file, the source of a camera whose live picture can be taken."""
    folder = Path(tempfile.mkdtemp(prefix="custos-matrix-"))
    make_clip(folder / "live.mp4", 1, width=320, height=240)
    return str(folder / "live.mp4")


def _live_camera(ctx: Ctx) -> str:
    name = f"matrix-live-{next(_names)}"
    cameras.register_camera(
        call_of(ctx.db, ctx.clock),
        CameraCreate.model_validate(
            {"name": name, "source_url": _clip(), "category": "other", "region": "Almaty"}
        ),
    )
    return name


def _zoned_camera(ctx: Ctx) -> str:
    name = _camera(ctx)
    cameras.add_zone(call_of(ctx.db, ctx.clock), name, "door", [(0, 0), (0.2, 0), (0, 0.2)], "x")
    return name


def _user(ctx: Ctx, active: bool = True) -> str:
    name = f"matrix-user-{next(_names)}"
    users.create_user(
        call_of(ctx.db, ctx.clock), name=name, role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    if not active:
        users.set_active(call_of(ctx.db, ctx.clock), name, False)
    return name


def _user_with_factor(ctx: Ctx) -> str:
    """An approver whose authenticator is set up."""
    name = f"matrix-approver-{next(_names)}"
    users.create_user(
        call_of(ctx.db, ctx.clock), name=name, role=Role.APPROVER, passwords=CHEAP_PASSWORDS
    )
    enrol_factor(ctx.db, ctx.clock, ctx.runtime.sealer, name)
    return name


def _fresh_code(ctx: Ctx, enrolled: bool) -> str:
    """The code the caller's authenticator shows now, its factor set up anew: enrolled, or
    waiting for its first code. Callers without a factor send a code of the right shape."""
    if ctx.caller is None or ctx.role not in SECOND_FACTOR_ROLES:
        return "123456"
    user = users.get_user(ctx.db, ctx.caller)
    factor.remove(user)
    ctx.db.commit()
    secret = enrol_factor(ctx.db, ctx.clock, ctx.runtime.sealer, ctx.caller)
    if not enrolled:
        user.totp_enrolled_at = None
        ctx.db.commit()
    return code_now(secret, ctx.clock)


def _locked_user(ctx: Ctx) -> str:
    """An account locked out from one client address by failed sign-ins there."""
    name = _user(ctx)
    for _ in range(account_rules.ACCOUNT_FAILURES):
        with pytest.raises(Unauthenticated):
            users.login(
                ctx.db,
                ctx.clock,
                name,
                "not the password",
                LOCKED_AT,
                timedelta(hours=1),
                passwords=CHEAP_PASSWORDS,
            )
    return name


def _with_own_password(ctx: Ctx) -> None:
    """Give the caller a known password of their own (token users have none).

    Set as the holder would have chosen it: a reset would end the caller's token with it.
    """
    if ctx.caller is None:
        return
    user = users.get_user(ctx.db, ctx.caller)
    user.password_hash = CHEAP_PASSWORDS.hash(OWN_PASSWORD)
    user.must_change_password = False
    ctx.db.flush()


def _password_change(ctx: Ctx, page: bool) -> Request:
    _with_own_password(ctx)
    if page:
        return Request(
            "/account/password",
            data={
                "current_password": OWN_PASSWORD,
                "new_password": "another long secret",
                "confirm_password": "another long secret",
            },
        )
    return Request(
        "/api/me/password",
        json={"current_password": OWN_PASSWORD, "new_password": "another long secret"},
    )


def _login_form(ctx: Ctx) -> Request:
    name = _user(ctx)
    password = users.reset_password(call_of(ctx.db, ctx.clock), name, passwords=CHEAP_PASSWORDS)
    return Request("/login", data={"name": name, "password": password, "next": "/cameras"})


def _account_request(ctx: Ctx) -> int:
    """A pending request, asked by an admin who is not the caller, for a new investigator."""
    asker = f"matrix-asker-{next(_names)}"
    admin, _ = users.create_user(
        call_of(ctx.db, ctx.clock), name=asker, role=Role.ADMIN, passwords=CHEAP_PASSWORDS
    )
    changed = users.make_or_ask(
        call_of(ctx.db, ctx.clock, Actor(asker, "admin", admin.id)),
        account_rules.ChangeKind.CREATE,
        f"matrix-new-{next(_names)}",
        role=Role.INVESTIGATOR,
        passwords=CHEAP_PASSWORDS,
    )
    assert changed.request is not None
    return changed.request.id


def _new_witness() -> NoteSigner:
    return NoteSigner(f"w{next(_names)}.example/w", os.urandom(32), COSIGNATURE_ED25519)


def _logged(ctx: Ctx, url: str) -> Request:
    """`url`, once the log holds at least one entry."""
    _camera(ctx)
    return Request(url)


def _checkpoint_signed(ctx: Ctx) -> Request:
    checkpoints.sign_checkpoint(ctx.db, ctx.clock, checkpoints.log_signer(ctx.db, LOG_KEY))
    return Request("/transparency/checkpoint")


def _figures(ctx: Ctx) -> Request:
    """The figures need a checkpoint by the runtime's own key (they verify the log first)."""
    signer = checkpoints.log_signer(ctx.db, ctx.runtime.log_key)
    checkpoints.sign_checkpoint(ctx.db, ctx.clock, signer)
    return Request("/transparency/figures.json")


def _cosignature(ctx: Ctx) -> Request:
    witness = _new_witness()
    checkpoints.add_witness(call_of(ctx.db, ctx.clock), witness.verifier.vkey())
    signed = checkpoints.sign_checkpoint(ctx.db, ctx.clock, checkpoints.log_signer(ctx.db, LOG_KEY))
    assert signed is not None
    text = parse_note(signed.note).text
    return Request(
        "/transparency/cosignatures", content=text + "\n" + witness.cosign(text, 1).line()
    )


def _window(ctx: Ctx) -> tuple[datetime, datetime]:
    end = ctx.clock.now() - timedelta(minutes=5)
    return end - timedelta(minutes=10), end


def _incident(ctx: Ctx) -> int:
    start, end = _window(ctx)
    return incidents.mark(
        call_of(ctx.db, ctx.clock),
        cameras=[_camera(ctx)],
        start=start,
        end=end,
        description="d",
        reference="r",
        justification="j",
        offence=False,
    ).id


def _open_case(ctx: Ctx) -> str:
    """The reference of a newly opened case (holds go only inside open cases)."""
    reference = f"H-{next(_names)}"
    cases.open_case(call_of(ctx.db, ctx.clock, OPENER), reference, "cpc-kz-199", "arson")
    return reference


def _hold(ctx: Ctx) -> int:
    start, end = _window(ctx)
    return case_holds.place_hold(
        call_of(ctx.db, ctx.clock),
        case_ref=_open_case(ctx),
        scopes=[holds.Scope(_camera(ctx), start, end)],
        reason="r",
    ).id


def _keep_until(ctx: Ctx) -> str:
    return (ctx.clock.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")


def _regime(ctx: Ctx) -> int:
    start, _ = _window(ctx)
    return emergency.declare(
        call_of(ctx.db, ctx.clock),
        regions=["Almaty"],
        start=start,
        end=None,
        decree_ref="D-1",
    ).id


@pytest.fixture(autouse=True)
def _no_export_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """An export asked for here stays recorded, unmade: the routes are what is tested."""
    monkeypatch.setattr(export_views, "in_background", lambda job: None)


def _export_keys(ctx: Ctx, published: str) -> Request:
    """What `custos init` makes for exports, made if missing; the published one asked for."""
    settings = ctx.runtime.settings
    create_signing_key(settings.export_key_path)
    create_content_identity(settings.content_keys_dir, "Matrix", datetime.now(UTC))
    return Request(f"/transparency/{published}")


def _recipient(ctx: Ctx) -> int:
    return exports.add_recipient(
        call_of(ctx.db, ctx.clock),
        name=f"Judge {next(_names)}",
        organisation="Almaty City Court",
        role=RecipientRole.COURT,
    ).id


def _incident_body(ctx: Ctx) -> dict[str, Any]:
    start, end = _window(ctx)
    return {
        "cameras": [_camera(ctx)],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "description": "fight",
        "reference": "report 1",
        "justification": "evidence",
    }


def _hold_body(ctx: Ctx) -> dict[str, Any]:
    start, end = _window(ctx)
    return {
        "case_ref": _open_case(ctx),
        "reason": "trial",
        "scopes": [{"camera": _camera(ctx), "start": start.isoformat(), "end": end.isoformat()}],
    }


def _form_window(ctx: Ctx) -> dict[str, str]:
    start, end = _window(ctx)
    return {"start": start.strftime("%Y-%m-%dT%H:%M:%S"), "end": end.strftime("%Y-%m-%dT%H:%M:%S")}


# --- cases and access -----------------------------------------------------------------------

DECIDER = Actor("matrix-decider", "approver")


def _case(ctx: Ctx) -> int:
    """An open case with one person, P1, opened by another investigator, who added the caller
    (if an investigator, and unless `ctx.member` says otherwise) to its members."""
    reference = f"M-{next(_names)}"
    opener = call_of(ctx.db, ctx.clock, OPENER)
    case = cases.open_case(opener, reference, "cpc-kz-199", "theft")
    cases.add_person(opener, reference, "P1")
    if ctx.caller and ctx.role is Role.INVESTIGATOR and ctx.member:
        cases.add_member(opener, reference, ctx.caller, "works on the case")
    return case.id


def _inspection_body(ctx: Ctx) -> dict[str, Any]:
    """An inspection in a case the caller works on (see `_case`), under a state of emergency."""
    regime = emergency.declare(
        call_of(ctx.db, ctx.clock), regions=["Almaty"], start=ctx.clock.now() - timedelta(days=2),
        end=None, decree_ref="Decree No. 12",
    )  # fmt: skip
    return {
        "case_id": _case(ctx), "regime_id": regime.id, "legal_basis": "Law art. 13",
        "officer": "Lt. Serikov",
        "inspected_at": (ctx.clock.now() - timedelta(hours=1)).isoformat(),
        "region": "Almaty", "place": "checkpoint", "device": "black phone",
        "examined": ["photos"], "copied": ["photos"], "person": "P1",
    }  # fmt: skip


def _inspection(ctx: Ctx) -> str:
    """An inspection recorded by the case's opener, in a case the caller works on."""
    body = _inspection_body(ctx)
    case_id, regime_id = body.pop("case_id"), body.pop("regime_id")
    body["inspected_at"] = ctx.clock.now() - timedelta(hours=1)
    opener = call_of(ctx.db, ctx.clock, OPENER)
    return devices.record_inspection(opener, case_id, regime_id, DeviceFacts(**body)).reference


def _inspection_form(ctx: Ctx) -> Request:
    body = _inspection_body(ctx)
    at = (ctx.clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    return Request("/device-inspections", data={**body, "inspected_at": at})


def _investigator(ctx: Ctx) -> str:
    """A new investigator account, to be made a member."""
    name = f"matrix-investigator-{next(_names)}"
    users.create_user(
        call_of(ctx.db, ctx.clock), name=name, role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS
    )
    return name


def _member_removal(ctx: Ctx, page: bool) -> Request:
    """A case with a second member, and the request that removes them."""
    case_id = _case(ctx)
    name = _investigator(ctx)
    reference = cases.get_case_by_id(ctx.db, case_id).reference
    cases.add_member(call_of(ctx.db, ctx.clock, OPENER), reference, name, "for a week")
    url = f"/cases/{case_id}/members/{name}/remove"
    if page:
        return Request(url, data={"reason": "the week is over"})
    return Request(f"/api{url}", json={"reason": "the week is over"})


def _recorded(ctx: Ctx) -> tuple[str, datetime, str]:
    """A camera with one stored segment from ten minutes ago: (camera, its start, segment)."""
    name = _camera(ctx)
    camera = cameras.get_camera(ctx.db, name)
    feed = CameraFeed(camera.id, name, "rtsp://x/y", False, 10, camera.region)
    writer = SegmentWriter(
        ctx.runtime.sessions,
        ctx.clock,
        ctx.runtime.sealer,
        ctx.runtime.blobs,
        SegmentPlanner(RULES),
        ExhaustionGate(),
    )
    start = ctx.clock.now() - timedelta(minutes=10)
    return name, start, writer.store(feed, _piece(), start).id


@functools.cache
def _piece() -> SegmentFile:
    return segments_of(Path(_clip()), 2)[0]


@functools.cache
def _face_piece() -> SegmentFile:
    """Two seconds of a camera filming one person: a face to track and to name."""
    folder = Path(tempfile.mkdtemp(prefix="custos-matrix-face-"))
    picture = np.full((240, 320, 3), 90, dtype=np.uint8)
    picture[20:220, 180:293] = person_photo(113, 200)
    return segments_of(still_clip(folder / "face.mp4", picture, frames=20, rate=10), 2)[0]


def _linkable(ctx: Ctx) -> tuple[int, int, int]:
    """A live grant allowing identification, its window's tracks prepared: (grant, window,
    the face's track). Held by the caller if they are an investigator in its case."""
    name = _camera(ctx)
    camera = cameras.get_camera(ctx.db, name)
    feed = CameraFeed(camera.id, name, "rtsp://x/y", False, 10, camera.region)
    writer = SegmentWriter(
        ctx.runtime.sessions,
        ctx.clock,
        ctx.runtime.sealer,
        ctx.runtime.blobs,
        SegmentPlanner(RULES),
        ExhaustionGate(),
    )
    start = ctx.clock.now() - timedelta(minutes=10)
    writer.store(feed, _face_piece(), start)
    mine = ctx.caller and ctx.role is Role.INVESTIGATOR and ctx.member
    holder = investigator(ctx.caller) if mine and ctx.caller else OPENER
    filed = access.file_request(
        call_of(ctx.db, ctx.clock, holder),
        case_id=_case(ctx),
        windows=[Window(name, start, start + timedelta(seconds=2))],
        persons=["P1"],
        purpose="p",
        justification="j",
        identification=True,
    )
    grant = access.approve(call_of(ctx.db, ctx.clock, DECIDER), filed.id)
    while prepare_once(ctx.runtime, "matrix-worker"):
        pass
    window = grant.windows[0].id
    tracks = access.window_tracks(
        call_of(ctx.db, ctx.clock, holder), ctx.runtime.sealer, grant.id, window
    )
    [face] = [t for t in tracks.tracks.tracks if t.kind == "face"]
    return grant.id, window, face.track


def _link_body(ctx: Ctx) -> Request:
    grant, window, track = _linkable(ctx)
    return Request(
        f"/api/grants/{grant}/links",
        json={"window_id": window, "track": track, "person": "P1", "reason": "it is P1"},
    )


def _bookmark(ctx: Ctx) -> Request:
    grant, window, _segment = _grant(ctx)
    body = {"window_id": window, "at_s": 0.5, "note": "here"}
    return Request(f"/api/grants/{grant}/bookmarks", json=body)


def _link(ctx: Ctx) -> Request:
    grant, window, track = _linkable(ctx)
    mine = ctx.caller and ctx.role is Role.INVESTIGATOR and ctx.member
    holder = investigator(ctx.caller) if mine and ctx.caller else OPENER
    link = access.link_track(
        call_of(ctx.db, ctx.clock, holder),
        ctx.runtime.sealer,
        grant,
        window,
        track=track,
        person="P1",
        reason="it is P1",
    )
    return Request(f"/api/grants/{grant}/links/{link.id}/remove", json={"reason": "not P1"})


def _request_body(ctx: Ctx, case_id: int | None = None) -> dict[str, Any]:
    start, end = _window(ctx)
    return {
        "case_id": case_id or _case(ctx),
        "windows": [{"camera": _camera(ctx), "start": start.isoformat(), "end": end.isoformat()}],
        "persons": ["P1"],
        "purpose": "who took the bag",
        "justification": "the theft happened there",
    }


def _request(ctx: Ctx) -> int:
    """A pending request filed by someone other than any caller."""
    body = _request_body(ctx)
    filed = access.file_request(
        call_of(ctx.db, ctx.clock, OPENER),
        case_id=body["case_id"],
        windows=[Window(body["windows"][0]["camera"], *_window(ctx))],
        persons=["P1"],
        purpose="p",
        justification="j",
        identification=False,
    )
    return filed.id


def _grant(ctx: Ctx, export: bool = False) -> tuple[int, int, str]:
    """A live grant over recorded footage: (grant, its window, the segment inside it).

    Held by the caller if they are an investigator and a member of its case, else by the
    investigator who opened the case; with `export`, it allows export."""
    camera, start, segment = _recorded(ctx)
    mine = ctx.caller and ctx.role is Role.INVESTIGATOR and ctx.member
    holder = investigator(ctx.caller) if mine and ctx.caller else OPENER
    filed = access.file_request(
        call_of(ctx.db, ctx.clock, holder),
        case_id=_case(ctx),
        windows=[Window(camera, start, start + timedelta(seconds=2))],
        persons=["P1"],
        purpose="p",
        justification="j",
        identification=False,
        export=export,
    )
    grant = access.approve(call_of(ctx.db, ctx.clock, DECIDER), filed.id)
    return grant.id, grant.windows[0].id, segment


def _export_request(ctx: Ctx) -> Request:
    _export_keys(ctx, "")
    grant, window, _segment = _grant(ctx, export=True)
    return Request(
        f"/api/grants/{grant}/windows/{window}/exports", json={"recipient": _recipient(ctx)}
    )


def _withheld(ctx: Ctx) -> str:
    name = _camera(ctx)
    cameras.withhold(call_of(ctx.db, ctx.clock), name, Withheld.NATIONAL_SECURITY, "checkpoint")
    return name


def _assessment(ctx: Ctx) -> dict[str, object]:
    return {
        "title": "Square cameras", "description": "d", "purposes": "p", "necessity": "n",
        "risks": "r", "vulnerable_groups": "none: an empty square", "measures": "m",
        "scope": ["region:Almaty"], "analytics": ["faces"],
        "review_by": (ctx.clock.now() + timedelta(days=90)).isoformat(),
        "public_summary": "s",
    }  # fmt: skip


def _assessment_form(ctx: Ctx) -> dict[str, object]:
    form = {k: v for k, v in _assessment(ctx).items() if k not in ("scope", "review_by")}
    return {**form, "scope": "region:Almaty", "review_by": str(_assessment(ctx)["review_by"])[:10]}


def _approval(ctx: Ctx) -> Request:
    """A draft by another DPO, to approve."""
    drafted = dpia.draft(call_of(ctx.db, ctx.clock, Actor("dana", "dpo")), _content(ctx))
    return Request(f"/api/dpias/{dpia.reference_of(ctx.db, drafted)}/versions/1/approve")


def _content(ctx: Ctx) -> Content:
    return AssessmentIn.model_validate(_assessment(ctx)).content()


def _package_request(ctx: Ctx) -> Request:
    _export_keys(ctx, "")
    grant, window, _segment = _grant(ctx, export=True)
    return Request(
        f"/api/grants/{grant}/exports",
        json={"recipient": _recipient(ctx), "ranges": [{"window": window}]},
    )


def _export_form(ctx: Ctx) -> Request:
    _export_keys(ctx, "")
    grant, window, _segment = _grant(ctx, export=True)
    return Request(
        f"/grants/{grant}/exports", data={"window": str(window), "recipient": _recipient(ctx)}
    )


def _export(ctx: Ctx) -> tuple[int, str]:
    """An export of a grant the caller holds (or the case's opener, if not theirs), its package
    stored as if made, and its link."""
    grant, window, _segment = _grant(ctx, export=True)
    mine = ctx.caller and ctx.role is Role.INVESTIGATOR and ctx.member
    holder = call_of(ctx.db, ctx.clock, investigator(ctx.caller) if mine and ctx.caller else OPENER)
    export, _plans = exports.start_export(
        holder,
        ctx.runtime.sealer,
        grant_id=grant,
        spans=[Span(window)],
        recipient_id=_recipient(ctx),
        export_key_id="00",
    )
    link = delivery.issue_link(holder, export.id)
    empty_zip = b"PK\x05\x06" + bytes(18)
    runtime = ctx.runtime
    delivery.store_package(ctx.db, ctx.clock, runtime.sealer, runtime.blobs, export.id, empty_zip)
    exports.get_export(ctx.db, export.id).state = ExportState.READY  # as if made
    ctx.db.commit()
    return export.id, link


def _viewing(ctx: Ctx) -> int:
    """A viewing of a window of a grant the caller holds (or its case's opener, if not theirs)."""
    grant, window, _segment = _grant(ctx)
    mine = ctx.caller and ctx.role is Role.INVESTIGATOR and ctx.member
    viewer = investigator(ctx.caller) if mine and ctx.caller else OPENER
    return access.open_viewing(call_of(ctx.db, ctx.clock, viewer), grant, window).id


def _video_url(ctx: Ctx) -> str:
    grant, window, segment = _grant(ctx)
    return f"/api/grants/{grant}/windows/{window}/segments/{segment}/video"


def _request_form(ctx: Ctx) -> Request:
    body = _request_body(ctx)
    window = body["windows"][0]
    return Request(
        f"/cases/{body['case_id']}/requests",
        data={
            "camera": window["camera"],
            **_form_window(ctx),
            "persons": "P1",
            "purpose": "p",
            "justification": "j",
        },
    )


def _approve_form(ctx: Ctx) -> Request:
    request_id = _request(ctx)
    filed = access.get_request(ctx.db, request_id)
    (window,) = access.windows_of(ctx.db, filed.windows)
    return Request(
        f"/requests/{request_id}/approve",
        data={
            "keep": "0",
            "camera": window.camera,
            "start": window.start.strftime("%Y-%m-%dT%H:%M:%S"),
            "end": window.end.strftime("%Y-%m-%dT%H:%M:%S"),
            "hold": "1",
        },
    )


def _new_camera_body(_ctx: Ctx) -> dict[str, Any]:
    return {
        "name": f"new-cam-{next(_names)}",
        "source_url": "rtsp://cam.example/x",
        "category": "public_safety",
        "region": "Astana",
    }


@dataclass
class Route:
    method: str
    path: str
    roles: frozenset[Role] | None  # None: public
    build: Callable[[Ctx], Request] = field(default=lambda ctx: Request(""))
    page: bool = False
    # The admitted roles the request can succeed for (None: all of them); the others are
    # answered 409, as the route does not apply to them.
    applies: frozenset[Role] | None = None

    def request(self, ctx: Ctx) -> Request:
        built = self.build(ctx)
        if built.url:
            return built
        return Request(self.path, built.json, built.data, built.content, built.files)


ROUTES: list[Route] = [
    # system and sign-in: public
    Route("GET", "/healthz", None),
    Route("GET", "/metrics", None),
    Route("GET", "/", None, page=True),
    Route("GET", "/login", None, page=True),
    Route("POST", "/login", None, _login_form, page=True),
    Route("POST", "/logout", None, page=True),
    # the second factor: any signed-in caller, before the code is given too; it applies to the
    # roles that hold one (the others are answered 409: there is no factor to give)
    Route("GET", "/login/code", ALL, page=True),
    Route(
        "POST",
        "/login/code",
        ALL,
        lambda ctx: Request("/login/code", data={"code": _fresh_code(ctx, enrolled=True)}),
        page=True,
        applies=SECOND_FACTOR_ROLES,
    ),
    Route("GET", "/account/second-factor", ALL, page=True),
    Route(
        "POST",
        "/account/second-factor",
        ALL,
        lambda ctx: Request(
            "/account/second-factor", data={"code": _fresh_code(ctx, enrolled=False)}
        ),
        page=True,
        applies=SECOND_FACTOR_ROLES,
    ),
    Route(
        "POST",
        "/api/me/second-factor",
        ALL,
        lambda ctx: Request(
            "/api/me/second-factor", json={"code": _fresh_code(ctx, enrolled=True)}
        ),
        applies=SECOND_FACTOR_ROLES,
    ),
    # own account
    Route("GET", "/api/me", ALL),
    Route("POST", "/api/me/password", ALL, lambda ctx: _password_change(ctx, page=False)),
    Route(
        "POST", "/api/me/tokens", ALL, lambda ctx: Request("/api/me/tokens", json={"label": "x"})
    ),
    Route("GET", "/account", ALL, page=True),
    Route(
        "POST", "/account/password", ALL, lambda ctx: _password_change(ctx, page=True), page=True
    ),
    Route(
        "POST",
        "/account/tokens",
        ALL,
        lambda ctx: Request("/account/tokens", data={"label": "x"}),
        page=True,
    ),
    # users: admins only
    Route("GET", "/api/users", ADMIN),
    Route(
        "POST",
        "/api/users",
        ADMIN,
        lambda ctx: Request("/api/users", json={"name": f"new-{next(_names)}", "role": "auditor"}),
    ),
    Route("GET", "/api/users/{name}", ADMIN, lambda ctx: Request(f"/api/users/{_user(ctx)}")),
    Route(
        "POST",
        "/api/users/{name}/disable",
        ADMIN,
        lambda ctx: Request(f"/api/users/{_user(ctx)}/disable"),
    ),
    Route(
        "POST",
        "/api/users/{name}/enable",
        ADMIN,
        lambda ctx: Request(f"/api/users/{_user(ctx, active=False)}/enable"),
    ),
    Route(
        "POST",
        "/api/users/{name}/reset-password",
        ADMIN,
        lambda ctx: Request(f"/api/users/{_user(ctx)}/reset-password"),
    ),
    Route(
        "POST",
        "/api/users/{name}/reset-factor",
        ADMIN,
        lambda ctx: Request(f"/api/users/{_user_with_factor(ctx)}/reset-factor"),
    ),
    Route(
        "POST",
        "/api/users/{name}/unlock",
        ADMIN,
        lambda ctx: Request(f"/api/users/{_locked_user(ctx)}/unlock"),
    ),
    Route(
        "POST",
        "/api/users/{name}/role",
        ADMIN,
        lambda ctx: Request(f"/api/users/{_user(ctx)}/role", json={"role": "auditor"}),
    ),
    # account changes that wait for a second person: admins and the DPO decide them
    Route("GET", "/api/account-requests", CONFIRMERS),
    Route(
        "GET",
        "/api/account-requests/{request_id}",
        CONFIRMERS,
        lambda ctx: Request(f"/api/account-requests/{_account_request(ctx)}"),
    ),
    Route(
        "POST",
        "/api/account-requests/{request_id}/confirm",
        CONFIRMERS,
        lambda ctx: Request(f"/api/account-requests/{_account_request(ctx)}/confirm"),
    ),
    Route(
        "POST",
        "/api/account-requests/{request_id}/refuse",
        CONFIRMERS,
        lambda ctx: Request(
            f"/api/account-requests/{_account_request(ctx)}/refuse", json={"reason": "no"}
        ),
    ),
    Route(
        "POST",
        "/users/requests/{request_id}/confirm",
        CONFIRMERS,
        lambda ctx: Request(f"/users/requests/{_account_request(ctx)}/confirm"),
        page=True,
    ),
    Route(
        "POST",
        "/users/requests/{request_id}/refuse",
        CONFIRMERS,
        lambda ctx: Request(
            f"/users/requests/{_account_request(ctx)}/refuse", data={"reason": "no"}
        ),
        page=True,
    ),
    Route("GET", "/api/lockouts", ADMIN),
    Route(
        "POST",
        "/api/lockouts/lift",
        ADMIN,
        lambda ctx: Request(
            "/api/lockouts/lift", json={"address": LOCKED_AT, "user": _locked_user(ctx)}
        ),
    ),
    Route("GET", "/users", CONFIRMERS, page=True),
    Route(
        "POST",
        "/users/{name}/role",
        ADMIN,
        lambda ctx: Request(f"/users/{_user(ctx)}/role", data={"role": "auditor"}),
        page=True,
    ),
    Route(
        "POST",
        "/users/{name}/unlock",
        ADMIN,
        lambda ctx: Request(f"/users/{_locked_user(ctx)}/unlock"),
        page=True,
    ),
    Route(
        "POST",
        "/users/lockouts/lift",
        ADMIN,
        lambda ctx: Request(
            "/users/lockouts/lift", data={"address": LOCKED_AT, "user": _locked_user(ctx)}
        ),
        page=True,
    ),
    Route(
        "POST",
        "/users",
        ADMIN,
        lambda ctx: Request("/users", data={"name": f"new-{next(_names)}", "role": "dpo"}),
        page=True,
    ),
    Route(
        "POST",
        "/users/{name}/disable",
        ADMIN,
        lambda ctx: Request(f"/users/{_user(ctx)}/disable"),
        page=True,
    ),
    Route(
        "POST",
        "/users/{name}/enable",
        ADMIN,
        lambda ctx: Request(f"/users/{_user(ctx, active=False)}/enable"),
        page=True,
    ),
    Route(
        "POST",
        "/users/{name}/reset-password",
        ADMIN,
        lambda ctx: Request(f"/users/{_user(ctx)}/reset-password"),
        page=True,
    ),
    Route(
        "POST",
        "/users/{name}/reset-factor",
        ADMIN,
        lambda ctx: Request(f"/users/{_user_with_factor(ctx)}/reset-factor"),
        page=True,
    ),
    # cameras: everyone reads the registry, admins and operators change it
    Route("GET", "/api/cameras", ALL),
    Route("GET", "/api/cameras/{name}", ALL, lambda ctx: Request(f"/api/cameras/{_camera(ctx)}")),
    Route(
        "POST",
        "/api/cameras",
        CAMERA_MANAGERS,
        lambda ctx: Request("/api/cameras", json=_new_camera_body(ctx)),
    ),
    Route(
        "PATCH",
        "/api/cameras/{name}",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/api/cameras/{_camera(ctx)}", json={"location": "moved"}),
    ),
    Route(
        "POST",
        "/api/cameras/{name}/suspend",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/api/cameras/{_camera(ctx)}/suspend", json={"reason": "test"}),
    ),
    Route(
        "POST",
        "/api/cameras/{name}/withhold",
        CAMERA_MANAGERS,
        lambda ctx: Request(
            f"/api/cameras/{_camera(ctx)}/withhold",
            json={"reason": "national_security", "note": "a checkpoint"},
        ),
    ),
    Route(
        "POST",
        "/api/cameras/{name}/publish",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/api/cameras/{_withheld(ctx)}/publish", json={"reason": "t"}),
    ),
    Route(
        "POST",
        "/api/cameras/{name}/activate",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/api/cameras/{_camera(ctx, 'draft')}/activate", json={}),
    ),
    Route(
        "PUT",
        "/api/cameras/{name}/retention",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/api/cameras/{_camera(ctx)}/retention", json={"days": 20}),
    ),
    # privacy zones: everyone sees where they are, camera managers set them
    Route(
        "GET",
        "/api/cameras/{name}/zones",
        ALL,
        lambda ctx: Request(f"/api/cameras/{_zoned_camera(ctx)}/zones"),
    ),
    Route(
        "POST",
        "/api/cameras/{name}/zones",
        CAMERA_MANAGERS,
        lambda ctx: Request(
            f"/api/cameras/{_camera(ctx)}/zones",
            json={"name": "door", "points": [[0, 0], [0.3, 0], [0, 0.3]], "reason": "a home"},
        ),
    ),
    Route(
        "POST",
        "/api/cameras/{name}/zones/{zone}/remove",
        CAMERA_MANAGERS,
        lambda ctx: Request(
            f"/api/cameras/{_zoned_camera(ctx)}/zones/door/remove", json={"reason": "moved"}
        ),
    ),
    Route(
        "GET",
        "/cameras/{name}/zones",
        ALL,
        lambda ctx: Request(f"/cameras/{_zoned_camera(ctx)}/zones"),
        page=True,
    ),
    Route(
        "POST",
        "/cameras/{name}/zones",
        CAMERA_MANAGERS,
        lambda ctx: Request(
            f"/cameras/{_camera(ctx)}/zones",
            data={"zone": "door", "points": "0,0 0.3,0 0,0.3", "reason": "a home"},
        ),
        page=True,
    ),
    Route(
        "POST",
        "/cameras/{name}/zones/{zone}/remove",
        CAMERA_MANAGERS,
        lambda ctx: Request(
            f"/cameras/{_zoned_camera(ctx)}/zones/door/remove", data={"reason": "x"}
        ),
        page=True,
    ),
    # live pictures: operators only, zones and faces masked
    Route(
        "GET",
        "/api/cameras/{name}/live.jpg",
        OPERATOR,
        lambda ctx: Request(f"/api/cameras/{_live_camera(ctx)}/live.jpg"),
    ),
    Route(
        "GET",
        "/api/cameras/{name}/live.mjpeg",
        OPERATOR,
        lambda ctx: Request(f"/api/cameras/{_live_camera(ctx)}/live.mjpeg?fps=2&for=1"),
    ),
    Route(
        "GET",
        "/live",
        OPERATOR,
        lambda ctx: Request(f"/live?cameras={_live_camera(ctx)}"),
        page=True,
    ),
    Route(
        "GET",
        "/cameras/{name}/live",
        OPERATOR,
        lambda ctx: Request(f"/cameras/{_live_camera(ctx)}/live"),
        page=True,
    ),
    Route("GET", "/cameras", ALL, page=True),
    Route(
        "POST",
        "/cameras",
        CAMERA_MANAGERS,
        lambda ctx: Request("/cameras", data={**_new_camera_body(ctx), "no_check": "1"}),
        page=True,
    ),
    Route(
        "GET",
        "/cameras/{name}",
        ALL,
        lambda ctx: Request(f"/cameras/{_camera(ctx)}"),
        page=True,
    ),
    Route(
        "POST",
        "/cameras/{name}/edit",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/cameras/{_camera(ctx)}/edit", data={"location": "moved"}),
        page=True,
    ),
    Route(
        "POST",
        "/cameras/{name}/public",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/cameras/{_camera(ctx)}/public", data={"signage": "signs"}),
        page=True,
    ),
    Route(
        "POST",
        "/cameras/{name}/suspend",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/cameras/{_camera(ctx)}/suspend", data={"reason": "t"}),
        page=True,
    ),
    Route(
        "POST",
        "/cameras/{name}/activate",
        CAMERA_MANAGERS,
        lambda ctx: Request(f"/cameras/{_camera(ctx, 'draft')}/activate"),
        page=True,
    ),
    # retention: the published policy and sunset reports are public
    Route("GET", "/policy", None),
    Route("GET", "/transparency/sunsets", None),
    Route("GET", "/transparency/receipt", None, page=True),
    Route("GET", "/transparency/export-key", None, lambda ctx: _export_keys(ctx, "export-key")),
    Route(
        "GET",
        "/transparency/content-root.pem",
        None,
        lambda ctx: _export_keys(ctx, "content-root.pem"),
    ),
    Route("GET", "/api/retention/plan", ALL),
    Route("GET", "/retention", ALL, page=True),
    # camera health (no footage): those who keep the cameras running
    Route("GET", "/health", CAMERA_MANAGERS, page=True),
    Route("GET", "/api/health/cameras", CAMERA_MANAGERS),
    Route("GET", "/api/health/alerts", CAMERA_MANAGERS),
    # recipients of exported evidence: kept by the DPO, read by those who export and decide
    # impact assessments: drafted by DPOs and admins, approved by another DPO
    # the public camera register and the readable policy: anyone
    Route("GET", "/language/{code}", None, lambda ctx: Request("/language/kk")),
    Route("GET", "/register", None, page=True),
    Route("GET", "/register.json", None),
    Route("GET", "/register.csv", None),
    Route("GET", "/register.geojson", None),
    Route("GET", "/transparency/", None, page=True),
    Route(
        "GET",
        "/transparency/figures.json",
        None,
        _figures,
    ),
    Route("GET", "/processing-record", None, page=True),
    Route("GET", "/processing-record.json", None),
    # compliance inspection: oversight
    Route("GET", "/api/inspection", INSPECTORS),
    # the breach register: recorded and notified by the DPO or an admin, read by oversight too
    Route("GET", "/api/breaches", BREACH_VIEWERS),
    Route(
        "POST",
        "/api/breaches",
        BREACH_MANAGERS,
        lambda ctx: Request("/api/breaches", json=_breach_facts(ctx)),
    ),
    Route(
        "GET",
        "/api/breaches/{reference}",
        BREACH_VIEWERS,
        lambda ctx: Request(f"/api/breaches/{_breach(ctx)}"),
    ),
    Route(
        "GET",
        "/api/breaches/{reference}/notice",
        BREACH_VIEWERS,
        lambda ctx: Request(f"/api/breaches/{_breach(ctx)}/notice"),
    ),
    Route(
        "POST",
        "/api/breaches/{reference}/notified",
        BREACH_MANAGERS,
        lambda ctx: Request(f"/api/breaches/{_breach(ctx)}/notified", json={"channel": "portal"}),
    ),
    # requests of the people filmed: handled by the DPO, read by oversight
    Route("GET", "/api/subject-requests", SUBJECT_VIEWERS),
    Route(
        "POST",
        "/api/subject-requests",
        DPO,
        lambda ctx: Request("/api/subject-requests", json=_subject_body(ctx)),
    ),
    Route(
        "GET",
        "/api/subject-requests/{reference}",
        SUBJECT_VIEWERS,
        lambda ctx: Request(f"/api/subject-requests/{_subject_request(ctx)}"),
    ),
    *(
        Route(
            "POST",
            f"/api/subject-requests/{{reference}}/{verb}",
            DPO,
            functools.partial(_subject_act, verb=verb),
        )
        for verb in ("answer", "refuse")
    ),
    Route(
        "POST",
        "/api/subject-requests/{reference}/extend",
        DPO,
        lambda ctx: Request(
            f"/api/subject-requests/{_subject_request(ctx)}/extend", json={"text": "many hours"}
        ),
        applies=frozenset(),
    ),
    Route(
        "POST",
        "/api/subject-requests/{reference}/assign",
        DPO,
        lambda ctx: Request(
            f"/api/subject-requests/{_subject_request(ctx)}/assign",
            json={"investigator": _investigator(ctx), "reason": "on duty"},
        ),
    ),
    Route(  # a request not assigned yet has no export to fulfil it
        "POST",
        "/api/subject-requests/{reference}/fulfil",
        DPO,
        lambda ctx: Request(
            f"/api/subject-requests/{_subject_request(ctx)}/fulfil", json={"export": 1}
        ),
        applies=frozenset(),
    ),
    Route("GET", "/subject-requests", SUBJECT_VIEWERS, page=True),
    Route(
        "POST",
        "/subject-requests/{reference}/assign",
        DPO,
        lambda ctx: Request(
            f"/subject-requests/{_subject_request(ctx)}/assign",
            data={"investigator": _investigator(ctx), "reason": "on duty"},
        ),
        page=True,
    ),
    Route(
        "POST",
        "/subject-requests/{reference}/fulfil",
        DPO,
        lambda ctx: Request(
            f"/subject-requests/{_subject_request(ctx)}/fulfil", data={"export": "1"}
        ),
        page=True,
        applies=frozenset(),
    ),
    Route(
        "POST",
        "/subject-requests",
        DPO,
        lambda ctx: Request(
            "/subject-requests",
            data={
                **_subject_body(ctx),
                "received_at": (ctx.clock.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            },
        ),
        page=True,
    ),
    Route(
        "GET",
        "/subject-requests/{reference}",
        SUBJECT_VIEWERS,
        lambda ctx: Request(f"/subject-requests/{_subject_request(ctx)}"),
        page=True,
    ),
    Route(
        "POST",
        "/subject-requests/{reference}/decide",
        DPO,
        lambda ctx: Request(
            f"/subject-requests/{_subject_request(ctx)}/decide", data={"answer": "none held"}
        ),
        page=True,
    ),
    Route(
        "POST",
        "/subject-requests/{reference}/extend",
        DPO,
        lambda ctx: Request(
            f"/subject-requests/{_subject_request(ctx)}/extend", data={"reason": "many hours"}
        ),
        page=True,
        applies=frozenset(),
    ),
    # device inspections during a state of emergency: recorded by the case's members
    Route("GET", "/api/device-inspections", INSPECTION_VIEWERS),
    Route(
        "POST",
        "/api/device-inspections",
        INVESTIGATOR,
        lambda ctx: Request("/api/device-inspections", json=_inspection_body(ctx)),
    ),
    Route(
        "GET",
        "/api/device-inspections/{reference}",
        INSPECTION_VIEWERS,
        lambda ctx: Request(f"/api/device-inspections/{_inspection(ctx)}"),
    ),
    Route(
        "POST",
        "/api/device-inspections/{reference}/copies",
        INVESTIGATOR,
        lambda ctx: Request(
            f"/api/device-inspections/{_inspection(ctx)}/copies?category=photos",
            content="a photo as copied",
        ),
    ),
    Route(
        "POST",
        "/api/device-inspections/{reference}/offence",
        INVESTIGATOR,
        lambda ctx: Request(
            f"/api/device-inspections/{_inspection(ctx)}/offence", json={"reason": "threats"}
        ),
    ),
    Route(
        "GET",
        "/api/device-inspections/{reference}/receipt",
        INSPECTION_VIEWERS,
        lambda ctx: Request(f"/api/device-inspections/{_inspection(ctx)}/receipt"),
    ),
    Route("GET", "/device-inspections", INSPECTION_VIEWERS, page=True),
    Route("POST", "/device-inspections", INVESTIGATOR, _inspection_form, page=True),
    Route(
        "GET",
        "/device-inspections/{reference}",
        INSPECTION_VIEWERS,
        lambda ctx: Request(f"/device-inspections/{_inspection(ctx)}"),
        page=True,
    ),
    Route(
        "GET",
        "/device-inspections/{reference}/receipt",
        INSPECTION_VIEWERS,
        lambda ctx: Request(f"/device-inspections/{_inspection(ctx)}/receipt"),
        page=True,
    ),
    Route(
        "POST",
        "/device-inspections/{reference}/copies",
        INVESTIGATOR,
        lambda ctx: Request(
            f"/device-inspections/{_inspection(ctx)}/copies",
            data={"category": "photos"},
            files={"data": ("photo.jpg", b"a photo as copied")},
        ),
        page=True,
    ),
    Route(
        "POST",
        "/device-inspections/{reference}/offence",
        INVESTIGATOR,
        lambda ctx: Request(
            f"/device-inspections/{_inspection(ctx)}/offence", data={"reason": "threats"}
        ),
        page=True,
    ),
    Route("GET", "/breaches", BREACH_VIEWERS, page=True),
    Route(
        "POST",
        "/breaches",
        BREACH_MANAGERS,
        lambda ctx: Request(
            "/breaches",
            data={
                **_breach_facts(ctx),
                "discovered_at": (ctx.clock.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            },
        ),
        page=True,
    ),
    Route(
        "GET",
        "/breaches/{reference}",
        BREACH_VIEWERS,
        lambda ctx: Request(f"/breaches/{_breach(ctx)}"),
        page=True,
    ),
    Route(
        "POST",
        "/breaches/{reference}/notified",
        BREACH_MANAGERS,
        lambda ctx: Request(f"/breaches/{_breach(ctx)}/notified", data={"channel": "letter"}),
        page=True,
    ),
    Route("GET", "/api/inspection/report.pdf", INSPECTORS),
    Route("GET", "/inspection", INSPECTORS, page=True),
    Route("GET", "/api/dpias", DPIA_VIEWERS),
    Route("GET", "/api/dpias/{reference}", DPIA_VIEWERS, lambda ctx: Request("/api/dpias/DPIA-0")),
    Route(
        "POST",
        "/api/dpias",
        DPIA_DRAFTERS,
        lambda ctx: Request("/api/dpias", json=_assessment(ctx)),
    ),
    Route(
        "POST",
        "/api/dpias/{reference}/versions",
        DPIA_DRAFTERS,
        lambda ctx: Request("/api/dpias/DPIA-0/versions", json=_assessment(ctx)),
    ),
    Route("POST", "/api/dpias/{reference}/versions/{version}/approve", DPO, _approval),
    Route("GET", "/dpias", DPIA_VIEWERS, page=True),
    Route(
        "GET", "/dpias/{reference}", DPIA_VIEWERS, lambda ctx: Request("/dpias/DPIA-0"), page=True
    ),
    Route(
        "POST",
        "/dpias",
        DPIA_DRAFTERS,
        lambda ctx: Request("/dpias", data=_assessment_form(ctx)),
        page=True,
    ),
    Route(
        "POST",
        "/dpias/{reference}/versions",
        DPIA_DRAFTERS,
        lambda ctx: Request("/dpias/DPIA-0/versions", data=_assessment_form(ctx)),
        page=True,
    ),
    Route(
        "POST",
        "/dpias/{reference}/versions/{version}/approve",
        DPO,
        lambda ctx: Request(_approval(ctx).url.removeprefix("/api")),
        page=True,
    ),
    Route("GET", "/api/recipients", RECIPIENT_VIEWERS),
    Route(
        "POST",
        "/api/recipients",
        DPO,
        lambda ctx: Request(
            "/api/recipients",
            json={"name": f"Judge {next(_names)}", "organisation": "Court", "role": "court"},
        ),
    ),
    Route(
        "POST",
        "/api/recipients/{recipient_id}/retire",
        DPO,
        lambda ctx: Request(f"/api/recipients/{_recipient(ctx)}/retire", json={"reason": "t"}),
    ),
    Route(
        "POST", "/api/grants/{grant_id}/windows/{window_id}/exports", INVESTIGATOR, _export_request
    ),
    Route("POST", "/api/grants/{grant_id}/exports", INVESTIGATOR, _package_request),
    Route("POST", "/grants/{grant_id}/exports", INVESTIGATOR, _export_form, page=True),
    Route(
        "GET",
        "/api/exports/{export_id}",
        CASE_WORKERS,
        lambda ctx: Request(f"/api/exports/{_export(ctx)[0]}"),
    ),
    Route(
        "GET",
        "/api/cases/{case_id}/exports",
        CASE_WORKERS,
        lambda ctx: Request(f"/api/cases/{_case(ctx)}/exports"),
    ),
    Route(
        "POST",
        "/api/exports/{export_id}/revoke",
        CASE_WORKERS,
        lambda ctx: Request(f"/api/exports/{_export(ctx)[0]}/revoke", json={"reason": "t"}),
    ),
    Route(
        "POST",
        "/api/exports/{export_id}/link",
        CASE_WORKERS,
        lambda ctx: Request(f"/api/exports/{_export(ctx)[0]}/link", json={"days": 1}),
    ),
    Route(
        "POST",
        "/exports/{export_id}/revoke",
        CASE_WORKERS,
        lambda ctx: Request(f"/exports/{_export(ctx)[0]}/revoke", data={"reason": "t"}),
        page=True,
    ),
    Route(
        "POST",
        "/exports/{export_id}/link",
        CASE_WORKERS,
        lambda ctx: Request(f"/exports/{_export(ctx)[0]}/link", data={"days": "1"}),
        page=True,
    ),
    Route(
        "GET",
        "/exports/download/{link}",
        None,
        lambda ctx: Request(f"/exports/download/{_export(ctx)[1]}"),
    ),
    Route("GET", "/api/emergencies", ALL),
    Route(
        "POST",
        "/api/emergencies",
        ADMIN,
        lambda ctx: Request(
            "/api/emergencies",
            json={"regions": ["Astana"], "start": _window(ctx)[0].isoformat(), "decree_ref": "D-2"},
        ),
    ),
    Route(
        "POST",
        "/api/emergencies/{regime_id}/end",
        ADMIN,
        lambda ctx: Request(
            f"/api/emergencies/{_regime(ctx)}/end", json={"end": _window(ctx)[1].isoformat()}
        ),
    ),
    Route(
        "POST",
        "/retention/emergencies",
        ADMIN,
        lambda ctx: Request(
            "/retention/emergencies",
            data={"regions": "Astana", "start": _form_window(ctx)["start"], "decree_ref": "D-3"},
        ),
        page=True,
    ),
    Route(
        "POST",
        "/retention/emergencies/{regime_id}/end",
        ADMIN,
        lambda ctx: Request(
            f"/retention/emergencies/{_regime(ctx)}/end", data={"end": _form_window(ctx)["end"]}
        ),
        page=True,
    ),
    Route("GET", "/api/incidents", INCIDENT_VIEWERS),
    Route(
        "POST",
        "/api/incidents",
        OPERATOR,
        lambda ctx: Request("/api/incidents", json=_incident_body(ctx)),
    ),
    Route(
        "POST",
        "/api/incidents/{incident_id}/unmark",
        OPERATOR,
        lambda ctx: Request(
            f"/api/incidents/{_incident(ctx)}/unmark", json={"justification": "mistake"}
        ),
    ),
    Route("GET", "/incidents", INCIDENT_VIEWERS, page=True),
    Route(
        "POST",
        "/incidents",
        OPERATOR,
        lambda ctx: Request(
            "/incidents",
            data={
                **_form_window(ctx),
                "cameras": _camera(ctx),
                "description": "d",
                "reference": "r",
                "justification": "j",
            },
        ),
        page=True,
    ),
    Route(
        "POST",
        "/incidents/{incident_id}/unmark",
        OPERATOR,
        lambda ctx: Request(
            f"/incidents/{_incident(ctx)}/unmark", data={"justification": "mistake"}
        ),
        page=True,
    ),
    Route("GET", "/api/holds", HOLD_VIEWERS),
    Route("POST", "/api/holds", APPROVER, lambda ctx: Request("/api/holds", json=_hold_body(ctx))),
    Route(
        "POST",
        "/api/holds/{hold_id}/review",
        APPROVER,
        lambda ctx: Request(
            f"/api/holds/{_hold(ctx)}/review",
            json={
                "keep_until": (ctx.clock.now() + timedelta(days=30)).isoformat(),
                "reason": "trial postponed",
            },
        ),
    ),
    Route(
        "POST",
        "/api/holds/{hold_id}/release",
        APPROVER,
        lambda ctx: Request(f"/api/holds/{_hold(ctx)}/release", json={"reason": "case closed"}),
    ),
    Route("GET", "/holds", HOLD_VIEWERS, page=True),
    Route(
        "POST",
        "/holds",
        APPROVER,
        lambda ctx: Request(
            "/holds",
            data={
                **_form_window(ctx),
                "case_ref": _open_case(ctx),
                "camera": _camera(ctx),
                "reason": "trial",
            },
        ),
        page=True,
    ),
    Route(
        "POST",
        "/holds/{hold_id}/review",
        APPROVER,
        lambda ctx: Request(
            f"/holds/{_hold(ctx)}/review",
            data={"keep_until": _keep_until(ctx), "reason": "trial postponed"},
        ),
        page=True,
    ),
    Route(
        "POST",
        "/holds/{hold_id}/release",
        APPROVER,
        lambda ctx: Request(f"/holds/{_hold(ctx)}/release", data={"reason": "case closed"}),
        page=True,
    ),
    # cases: seen by investigators (their own) and approvers (all), worked on by investigators
    # (its members), their members changed by either; requests filed by investigators (members
    # of the case), decided by approvers
    Route("GET", "/api/cases", CASE_WORKERS),
    Route(
        "POST",
        "/api/cases",
        INVESTIGATOR,
        lambda ctx: Request(
            "/api/cases",
            json={
                "reference": f"N-{next(_names)}",
                "legal_basis": "cpc-kz-199",
                "description": "d",
            },
        ),
    ),
    Route(
        "GET", "/api/cases/{case_id}", CASE_WORKERS, lambda ctx: Request(f"/api/cases/{_case(ctx)}")
    ),
    Route(
        "POST",
        "/api/cases/{case_id}/persons",
        INVESTIGATOR,
        lambda ctx: Request(f"/api/cases/{_case(ctx)}/persons", json={"label": "P2"}),
    ),
    Route(
        "POST",
        "/api/cases/{case_id}/persons/{label}/clear",
        INVESTIGATOR,
        lambda ctx: Request(f"/api/cases/{_case(ctx)}/persons/P1/clear", json={"reason": "alibi"}),
    ),
    Route(
        "POST",
        "/api/cases/{case_id}/members",
        CASE_WORKERS,
        lambda ctx: Request(
            f"/api/cases/{_case(ctx)}/members", json={"name": _investigator(ctx), "reason": "r"}
        ),
    ),
    Route(
        "POST",
        "/api/cases/{case_id}/members/{name}/remove",
        CASE_WORKERS,
        lambda ctx: _member_removal(ctx, page=False),
    ),
    Route(
        "POST",
        "/api/cases/{case_id}/close",
        INVESTIGATOR,
        lambda ctx: Request(f"/api/cases/{_case(ctx)}/close", json={"reason": "verdict"}),
    ),
    Route("GET", "/api/access-requests", CASE_WORKERS),
    Route(
        "POST",
        "/api/access-requests",
        INVESTIGATOR,
        lambda ctx: Request("/api/access-requests", json=_request_body(ctx)),
    ),
    Route(
        "GET",
        "/api/access-requests/{request_id}",
        CASE_WORKERS,
        lambda ctx: Request(f"/api/access-requests/{_request(ctx)}"),
    ),
    Route(
        "POST",
        "/api/access-requests/{request_id}/approve",
        APPROVER,
        lambda ctx: Request(f"/api/access-requests/{_request(ctx)}/approve", json={}),
    ),
    Route(
        "POST",
        "/api/access-requests/{request_id}/refuse",
        APPROVER,
        lambda ctx: Request(f"/api/access-requests/{_request(ctx)}/refuse", json={"reason": "no"}),
    ),
    Route("GET", "/api/grants", CASE_WORKERS),
    Route(
        "GET",
        "/api/grants/{grant_id}",
        CASE_WORKERS,
        lambda ctx: Request(f"/api/grants/{_grant(ctx)[0]}"),
    ),
    Route(
        "POST",
        "/api/grants/{grant_id}/revoke",
        APPROVER,
        lambda ctx: Request(f"/api/grants/{_grant(ctx)[0]}/revoke", json={"reason": "done"}),
    ),
    Route(
        "GET",
        "/api/grants/{grant_id}/footage",
        INVESTIGATOR,
        lambda ctx: Request(f"/api/grants/{_grant(ctx)[0]}/footage"),
    ),
    Route(
        "GET",
        "/api/grants/{grant_id}/windows/{window_id}/segments/{segment_id}/video",
        INVESTIGATOR,
        lambda ctx: Request(_video_url(ctx)),
    ),
    Route(
        "GET",
        "/api/grants/{grant_id}/windows/{window_id}/stream",
        INVESTIGATOR,
        lambda ctx: Request("/api/grants/{}/windows/{}/stream".format(*_grant(ctx)[:2])),
    ),
    Route(
        "POST",
        "/api/viewings/{viewing_id}/close",
        INVESTIGATOR,
        lambda ctx: Request(f"/api/viewings/{_viewing(ctx)}/close"),
    ),
    Route(
        "GET",
        "/api/grants/{grant_id}/windows/{window_id}/tracks",
        INVESTIGATOR,
        lambda ctx: Request("/api/grants/{}/windows/{}/tracks".format(*_grant(ctx)[:2])),
    ),
    Route("POST", "/api/grants/{grant_id}/links", INVESTIGATOR, _link_body),
    Route("POST", "/api/grants/{grant_id}/bookmarks", INVESTIGATOR, _bookmark),
    Route("POST", "/api/grants/{grant_id}/links/{link_id}/remove", INVESTIGATOR, _link),
    Route("GET", "/cases", CASE_WORKERS, page=True),
    Route(
        "POST",
        "/cases",
        INVESTIGATOR,
        lambda ctx: Request(
            "/cases",
            data={
                "reference": f"F-{next(_names)}",
                "legal_basis": "cpc-kz-199",
                "description": "d",
            },
        ),
        page=True,
    ),
    Route(
        "GET",
        "/cases/{case_id}",
        CASE_WORKERS,
        lambda ctx: Request(f"/cases/{_case(ctx)}"),
        page=True,
    ),
    Route(
        "POST",
        "/cases/{case_id}/persons",
        INVESTIGATOR,
        lambda ctx: Request(f"/cases/{_case(ctx)}/persons", data={"label": "P2", "minor": "1"}),
        page=True,
    ),
    Route(
        "POST",
        "/cases/{case_id}/persons/{label}/clear",
        INVESTIGATOR,
        lambda ctx: Request(f"/cases/{_case(ctx)}/persons/P1/clear", data={"reason": "alibi"}),
        page=True,
    ),
    Route(
        "POST",
        "/cases/{case_id}/members",
        CASE_WORKERS,
        lambda ctx: Request(
            f"/cases/{_case(ctx)}/members", data={"name": _investigator(ctx), "reason": "r"}
        ),
        page=True,
    ),
    Route(
        "POST",
        "/cases/{case_id}/members/{name}/remove",
        CASE_WORKERS,
        lambda ctx: _member_removal(ctx, page=True),
        page=True,
    ),
    Route(
        "POST",
        "/cases/{case_id}/close",
        INVESTIGATOR,
        lambda ctx: Request(f"/cases/{_case(ctx)}/close", data={"reason": "verdict"}),
        page=True,
    ),
    Route(
        "POST",
        "/cases/{case_id}/requests",
        INVESTIGATOR,
        lambda ctx: _request_form(ctx),
        page=True,
    ),
    Route("GET", "/requests", CASE_WORKERS, page=True),
    Route(
        "GET",
        "/requests/{request_id}",
        CASE_WORKERS,
        lambda ctx: Request(f"/requests/{_request(ctx)}"),
        page=True,
    ),
    Route(
        "POST",
        "/requests/{request_id}/approve",
        APPROVER,
        lambda ctx: _approve_form(ctx),
        page=True,
    ),
    Route(
        "POST",
        "/requests/{request_id}/refuse",
        APPROVER,
        lambda ctx: Request(f"/requests/{_request(ctx)}/refuse", data={"reason": "no"}),
        page=True,
    ),
    Route(
        "POST",
        "/grants/{grant_id}/revoke",
        APPROVER,
        lambda ctx: Request(f"/grants/{_grant(ctx)[0]}/revoke", data={"reason": "done"}),
        page=True,
    ),
    Route(
        "GET",
        "/grants/{grant_id}/review",
        INVESTIGATOR,
        lambda ctx: Request(f"/grants/{_grant(ctx)[0]}/review"),
        page=True,
    ),
    # the audit log: proofs are public (hashes only), entries for oversight, witnesses by admins
    Route("GET", "/transparency/checkpoint", None, _checkpoint_signed),
    Route("GET", "/transparency/key", None),
    Route(
        "GET",
        "/transparency/proof/inclusion",
        None,
        lambda ctx: _logged(ctx, "/transparency/proof/inclusion?index=0&size=1"),
    ),
    Route(
        "GET",
        "/transparency/proof/consistency",
        None,
        lambda ctx: _logged(ctx, "/transparency/proof/consistency?from=1&to=1"),
    ),
    Route("POST", "/transparency/cosignatures", None, _cosignature),
    Route("GET", "/api/audit/entries", OVERSIGHT),
    Route(
        "POST",
        "/api/audit/witnesses",
        ADMIN,
        lambda ctx: Request("/api/audit/witnesses", json={"vkey": _new_witness().verifier.vkey()}),
    ),
    Route("GET", "/audit", OVERSIGHT, page=True),
]

VIDEO_ROUTE = "/api/grants/{grant_id}/windows/{window_id}/segments/{segment_id}/video"
FOOTAGE_ROUTES = {VIDEO_ROUTE, "/api/grants/{grant_id}/windows/{window_id}/stream"}
ROUTE_IDS = [f"{r.method} {r.path}" for r in ROUTES]


def _declared(app: FastAPI) -> dict[tuple[str, str], frozenset[Role] | str | None]:
    """What each route of the app declares: admitted roles, None for public, or 'nothing'."""
    declared: dict[tuple[str, str], frozenset[Role] | str | None] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        found: list[frozenset[Role] | None] = []
        stack = [route.dependant]
        while stack:
            dependant = stack.pop()
            if isinstance(dependant.call, Admits):
                found.append(dependant.call.roles)
            elif dependant.call is signing_in:
                found.append(ALL)
            elif dependant.call is public:
                found.append(None)
            stack.extend(dependant.dependencies)
        for method in route.methods:
            declared[(method, route.path)] = (
                found[0] if len(found) == 1 else f"{len(found)} declarations"
            )
    return declared


def test_every_route_is_in_the_table_and_declares_its_roles(app: FastAPI) -> None:
    declared = _declared(app)
    assert set(declared) == {(r.method, r.path) for r in ROUTES}
    for route in ROUTES:
        assert declared[(route.method, route.path)] == route.roles, f"{route.method} {route.path}"


def test_nothing_else_is_served_but_the_schema_and_static_files(app: FastAPI) -> None:
    others = {
        c.path
        for c in iter_route_contexts(app.routes)
        if not isinstance(c.original_route, APIRoute)
    }
    assert others == {"/openapi.json", "/static"}


def _call(
    client: TestClient, route: Route, req: Request, headers: dict[str, str], follow: bool
) -> tuple[int, str]:
    """The status and the media type of the answer."""
    if route.page:
        headers = {**headers, "Accept": "text/html"}
    if req.content is not None:
        headers = {**headers, "Content-Type": "text/plain"}
    response = client.request(
        route.method,
        req.url,
        json=req.json,
        data=req.data,
        content=req.content,
        files=req.files,
        headers=headers,
        follow_redirects=follow,
    )
    return response.status_code, response.headers.get("content-type", "")


def _token_of(ctx: Ctx, make_user: Callable[..., tuple[str, str]], role: Role) -> str:
    name, token = make_user(role)
    ctx.caller, ctx.role = name, role
    return token


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_no_credentials(
    route: Route, client: TestClient, db: Session, clock: FrozenClock, runtime: Runtime
) -> None:
    req = route.request(Ctx(db, clock, runtime, None))
    status, _ = _call(client, route, req, {}, follow=False)
    if route.roles is None:
        assert status < 400
    else:
        assert status == 401


def _role_cases() -> list[Any]:
    """Every guarded route × every role on SQLite; on PostgreSQL every route once, admitted.

    The roles a route admits do not depend on the database; what does is that each route's
    own work runs on both, which one admitted call per route shows.
    """
    cases = []
    for route, route_id in zip(ROUTES, ROUTE_IDS, strict=True):
        if route.roles is None:
            continue
        for role in Role:
            cases.append(pytest.param("sqlite", route, role, id=f"sqlite-{role}-{route_id}"))
        admitted = min(route.roles)
        cases.append(
            pytest.param("postgresql", route, admitted, id=f"postgresql-{admitted}-{route_id}")
        )
    return cases


# Session scope: with a direct parameter beside it, the indirect engine would otherwise be
# made (and migrated) again for every case.
@pytest.mark.parametrize(
    ("engine", "route", "role"), _role_cases(), indirect=["engine"], scope="session"
)
def test_role(
    route: Route,
    role: Role,
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    assert route.roles is not None
    ctx = Ctx(db, clock, runtime, None)
    token = _token_of(ctx, make_user, role)
    req = route.request(ctx)
    status, media_type = _call(client, route, req, bearer(token), follow=True)
    if role in route.roles and route.applies is not None and role not in route.applies:
        assert status == 409, f"{role}: the route does not apply, yet {status}"
    elif role in route.roles:
        assert 200 <= status < 300, f"{role} should be admitted, got {status}"
        # Footage leaves by the review routes only; test_footage_matrix tries each in every state.
        assert media_type.startswith("video/") == (route.path in FOOTAGE_ROUTES), media_type
    else:
        assert status == 403
        denied = audit_events(db, event="access.denied", actor=ctx.caller)
        assert [e.object_id for e in denied] == [req.url.split("?")[0]]  # the path refused


def test_bad_or_revoked_token_is_401(
    call: Call,
    client: TestClient,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    name, token = make_user(Role.ADMIN)
    assert client.get("/api/me", headers=bearer("cst_forged")).status_code == 401
    assert client.get("/api/me", headers={"Authorization": f"Basic {token}"}).status_code == 401
    users.set_active(call, name, False)
    response = client.get("/api/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


# --- × membership: need to know inside the investigation ------------------------------------

# The routes that reach one case: by its id, or by a request or grant of it (filing a request
# names its case in the body).
IN_A_CASE = [
    route
    for route in ROUTES
    if any(key in route.path for key in ("{case_id}", "{request_id}", "{grant_id}"))
    or route.path.startswith(("/api/device-inspections/", "/device-inspections/"))
    or (route.method, route.path)
    in {
        ("POST", "/api/access-requests"),
        ("POST", "/api/device-inspections"),
        ("POST", "/device-inspections"),
    }
]


@pytest.mark.parametrize("route", IN_A_CASE, ids=[f"{r.method} {r.path}" for r in IN_A_CASE])
def test_an_investigator_outside_the_case_is_answered_as_if_it_did_not_exist(
    route: Route,
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    """Every route of another investigator's case, read or act: 404, as for no such case.

    The investigator is no member of the case (nor holds its grant): what they are answered
    is the answer to an id that names nothing, and nothing is done. Routes their role is not
    admitted to at all (the decisions) are refused by the role first: 403 whatever the id.
    """
    assert route.roles is not None
    ctx = Ctx(db, clock, runtime, None, member=False)
    token = _token_of(ctx, make_user, Role.INVESTIGATOR)
    req = route.request(ctx)
    before = {e.seq for e in audit_events(db)}
    status, _ = _call(client, route, req, bearer(token), follow=True)
    if Role.INVESTIGATOR in route.roles:
        assert status == 404, f"{route.method} {req.url}: {status}"
    else:
        assert status == 403
    # Refusals, and only refusals, are in the log; the case is as it was.
    mine = [e for e in audit_events(db) if e.seq not in before]
    assert mine
    assert {(e.actor, e.outcome) for e in mine} == {(ctx.caller, Outcome.DENIED)}


@pytest.mark.parametrize(
    "role", [Role.INVESTIGATOR, Role.APPROVER], ids=["member added by the opener", "approver"]
)
@pytest.mark.parametrize("route", IN_A_CASE, ids=[f"{r.method} {r.path}" for r in IN_A_CASE])
def test_a_member_acts_in_the_case_and_an_approver_sees_it_without_investigating(
    route: Route,
    role: Role,
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    """The same routes for a member the opener added (every one admitted to their role goes
    through) and for an approver, who is no member: they see the case, its requests and
    grants, change its members and decide, but are refused the investigation (403: the
    approver knows the case exists)."""
    assert route.roles is not None
    ctx = Ctx(db, clock, runtime, None)
    token = _token_of(ctx, make_user, role)
    req = route.request(ctx)
    status, _ = _call(client, route, req, bearer(token), follow=True)
    if role in route.roles:
        assert 200 <= status < 300, f"{route.method} {req.url}: {status}"
    else:
        assert status == 403
    if role is Role.APPROVER:
        assert cases.visible_case_ids(db, Actor(ctx.caller or "", "approver")) is None


# What each listing shows of a case: its id in the JSON, its link on the page.
LISTINGS: dict[str, Callable[[int, int, int], list[str]]] = {
    "/api/cases": lambda case, _request, _grant: [f'"id":{case},'],
    "/api/access-requests": lambda _case, request, _grant: [f'"id":{request},'],
    "/api/grants": lambda _case, _request, grant: [f'"id":{grant},'],
    "/cases": lambda case, _request, _grant: [f'data-case="{case}"'],
    "/requests": lambda _case, request, _grant: [f'href="/requests/{request}"'],
}


@pytest.mark.parametrize("who", ["outsider", "member", "approver"])
@pytest.mark.parametrize("listing", list(LISTINGS))
def test_listings_show_only_the_cases_one_sees(
    listing: str,
    who: str,
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    role = Role.APPROVER if who == "approver" else Role.INVESTIGATOR
    ctx = Ctx(db, clock, runtime, None, member=who == "member")
    token = _token_of(ctx, make_user, role)
    grant_id, _, _ = _grant(ctx)
    grant = access.get_grant(db, grant_id)
    pending = _request_in(ctx, grant.case_id)
    headers = bearer(token)
    if listing.startswith("/api"):
        text = client.get(listing, headers=headers).text.replace(" ", "")
    else:
        text = client.get(listing, headers={**headers, "Accept": "text/html"}).text
    marks = LISTINGS[listing](grant.case_id, pending, grant_id)
    if listing == "/requests":
        marks += LISTINGS[listing](grant.case_id, grant.request_id, grant_id)
    for mark in marks:
        assert (mark in text) is (who != "outsider"), (mark, who)


def _request_in(ctx: Ctx, case_id: int) -> int:
    """A pending request in case `case_id`, filed by the investigator who opened it."""
    filed = access.file_request(
        call_of(ctx.db, ctx.clock, OPENER),
        case_id=case_id,
        windows=[Window(_camera(ctx), *_window(ctx))],
        persons=["P1"],
        purpose="p",
        justification="j",
        identification=False,
    )
    return filed.id
