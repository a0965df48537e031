"""Every footage route × every role × every grant state: only a live grant's own scope plays.

Footage leaves Custos by the review routes alone (the route × role matrix checks that no other
route answers with video). Here each of them is tried by each role, with the caller's grant in
each state it can be in; the one combination that returns footage is an investigator inside
the scope of a live grant they hold in a case of theirs. Every other try is refused, and the
refusal audited: 403 where the caller may know the grant exists, 404 where they may not (no
such grant, or a grant of a case they are not a member of).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.models import Grant
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.permissions import Role
from custos.runtime import Runtime
from helpers import audit_events, bearer, call_of, investigator

from .conftest import APPROVER, INVESTIGATOR, Scene

STATES = [
    "none",
    "expired",
    "revoked",
    "another case's",
    "in a case not theirs",
    "live, outside its scope",
    "live",
]
ROUTES = ["timeline", "video", "video by byte range", "stream", "review page"]
# What an investigator is answered, route by route, where the state does not simply give 403.
NOT_KNOWN = dict.fromkeys(ROUTES, 404)
ANSWERS = {
    "none": NOT_KNOWN,
    "in a case not theirs": NOT_KNOWN,
    # Their own grant at another case's footage (403), and that case's grant itself (404).
    "another case's": {**NOT_KNOWN, "video": 403, "video by byte range": 403},
}


def _urls(
    grant_id: int, window_id: int, segment: str, shown: tuple[int, int] | None = None
) -> dict[str, str]:
    """The footage routes of a grant's window; `shown` (grant, window) for those that name no
    segment, when they are tried on another grant."""
    shown_grant, shown_window = shown or (grant_id, window_id)
    video = f"/api/grants/{grant_id}/windows/{window_id}/segments/{segment}/video"
    return {
        "timeline": f"/api/grants/{shown_grant}/footage",
        "video": video,
        "video by byte range": video,
        "stream": f"/api/grants/{shown_grant}/windows/{shown_window}/stream",
        "review page": f"/grants/{shown_grant}/review",
    }


def _attempts(
    state: str,
    caller: str,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    scene: Scene,
    grant: Callable[..., Grant],
    archive: Callable[..., list[str]],
) -> dict[str, str]:
    """The URLs a caller in `state` would try for the scene's first segment.

    The caller's own grants are in a case they opened (so whatever their role, the grant is
    theirs as far as the case goes); the scene's case is ivan's, and the caller is no member.
    """
    own = cases.open_case(call_of(db, clock, investigator(caller)), "55/2026-1", "cpc-kz-199", "x")
    cases.add_person(call_of(db, clock, investigator(caller)), own.reference, "P1")
    mine = {"actor": investigator(caller), "case_id": own.id}
    segment = scene.segments[0]
    if state == "none":
        held = grant({"actor": INVESTIGATOR})
        return _urls(held.id + 1000, held.windows[0].id, segment)
    if state == "expired":
        held = grant(mine, days=1)
        clock.advance(timedelta(days=1, seconds=1))
        return _urls(held.id, held.windows[0].id, segment)
    if state == "revoked":
        held = grant(mine)
        access.revoke_grant(call_of(db, clock, APPROVER), held.id, "no longer needed")
        return _urls(held.id, held.windows[0].id, segment)
    if state == "another case's":
        theirs = grant({"actor": INVESTIGATOR})
        archive("yard", scene.start, 1)
        yard = access.Window("yard", scene.start, scene.start + timedelta(seconds=2))
        held = grant({**mine, "windows": [yard]})
        # Through their own grant of case 55 at case 12's footage, and at case 12's grant itself.
        return _urls(held.id, held.windows[0].id, segment, (theirs.id, theirs.windows[0].id))
    if state == "in a case not theirs":
        theirs = grant({"actor": INVESTIGATOR})
        return _urls(theirs.id, theirs.windows[0].id, segment)
    if state == "live, outside its scope":
        held = grant({**mine, "windows": [scene.window(12, 18)]})
        return {
            **_urls(held.id, held.windows[0].id, segment),
            # The timeline and the stream of a live grant are its own scope: nothing to try.
            "timeline": "",
            "stream": "",
            "review page": "",
        }
    held = grant(mine)
    return _urls(held.id, held.windows[0].id, segment)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_only_a_live_grant_reaches_its_own_footage(
    role: Role,
    state: str,
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    make_user: Callable[..., tuple[str, str]],
    scene: Scene,
    grant: Callable[..., Grant],
    archive: Callable[..., list[str]],
) -> None:
    caller, token = make_user(role)
    attempts = _attempts(state, caller, db, clock, runtime, scene, grant, archive)
    plays = role == Role.INVESTIGATOR and state == "live"
    tried = 0
    for route in ROUTES:
        url = attempts[route]
        if not url:
            continue
        headers = bearer(token)
        if route == "review page":
            headers["Accept"] = "text/html"
        if route == "video by byte range":
            headers["Range"] = "bytes=0-99"
        response = client.get(url, headers=headers)
        tried += 1
        media_type = response.headers.get("content-type", "")
        if plays:
            assert response.status_code == 200, (route, response.text[:200])
            if route == "stream":
                assert media_type == "video/mp4"
                assert len(response.content) > 1000
            if route.startswith("video"):
                # A byte range gets the whole masked clip: each render is one audited view.
                assert media_type == "video/mp4"
                assert response.headers["accept-ranges"] == "none"
                assert len(response.content) > 1000
        else:
            expected = ANSWERS.get(state, {}).get(route, 403) if role is Role.INVESTIGATOR else 403
            assert response.status_code == expected, (route, response.status_code, response.text)
            assert not media_type.startswith("video/")
    if plays:
        assert len(audit_events(db, event="footage.viewed", actor=caller)) == 2
        assert len(audit_events(db, event="footage.viewing_opened", actor=caller)) == 1
    elif role == Role.INVESTIGATOR:
        assert len(audit_events(db, event="footage.refused", actor=caller)) == tried
        assert audit_events(db, event="footage.viewed") == []
        assert audit_events(db, event="footage.viewing_opened") == []
    else:
        assert len(audit_events(db, event="access.denied", actor=caller)) == tried
