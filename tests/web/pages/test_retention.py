"""Retention pages: a refused incident or hold form comes back as typed, the reason beside its
field, with the status the error has in the API; holds go only inside open cases, chosen from
a picker, name their cameras, and are reviewed or released from their row."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.permissions import Role
from custos.retention import holds, incidents
from custos.runtime import Runtime
from helpers import INVESTIGATOR, audit_events, bearer, call_of

HTML = {"Accept": "text/html"}
FORM = "%Y-%m-%dT%H:%M:%S"


def test_a_refused_incident_form_keeps_every_value_and_names_the_unknown_camera(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    archive("plaza-north", clock.now() - timedelta(hours=1), 2)
    operator = {**bearer(make_user(Role.OPERATOR)[1]), **HTML}
    start = (clock.now() - timedelta(hours=1)).strftime(FORM)
    end = (clock.now() - timedelta(minutes=50)).strftime(FORM)
    typed = {
        "cameras": "plaza-nort",
        "start": start,
        "end": end,
        "reference": "CC-KZ art. 293",
        "description": "A fight at the fountain",
        "justification": "Evidence for the prosecutor",
        "offence": "1",
    }
    response = client.post("/incidents", headers=operator, data=typed)
    assert response.status_code == 404  # an unknown camera is NotFound, as in the API
    html = response.text
    assert re.search(
        r'<input name="cameras" value="plaza-nort" required>'
        r'<span class="field-error" id="incident-cameras-error" role="alert">'
        r"no camera named &#39;plaza-nort&#39;</span></label>",
        html,
    ), html
    assert '<label class="invalid">Cameras' in html
    assert f'name="start" step="1" value="{start}"' in html
    assert f'name="end" step="1" value="{end}"' in html
    assert 'name="reference" value="CC-KZ art. 293"' in html
    assert ">A fight at the fountain</textarea>" in html
    assert ">Evidence for the prosecutor</textarea>" in html
    assert 'name="offence" value="1" checked' in html
    assert "The incident was not marked: see the marked fields." in html
    assert incidents.list_incidents(db, include_unmarked=True) == []


def test_a_malformed_time_on_the_incident_form_is_422_beside_the_time(
    client: TestClient, make_user: Callable[..., tuple[str, str]]
) -> None:
    operator = {**bearer(make_user(Role.OPERATOR)[1]), **HTML}
    response = client.post(
        "/incidents",
        headers=operator,
        data={"cameras": "gate", "start": "noon", "end": "", "reference": "r"},
    )
    assert response.status_code == 422
    assert re.search(
        r'name="start" step="1" value="noon" required>'
        r'<span class="field-error" id="incident-start-error"[^>]*>start: &#39;noon&#39;',
        response.text,
    )
    assert 'name="cameras" value="gate"' in response.text


def test_a_hold_on_an_unknown_camera_is_404_beside_the_camera(
    client: TestClient, db: Session, clock: FrozenClock, make_user: Callable[..., tuple[str, str]]
) -> None:
    cases.open_case(call_of(db, clock, INVESTIGATOR), "CASE-9", "cpc-kz-199", "a theft")
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    response = client.post(
        "/holds",
        headers=approver,
        data={
            "case_ref": "CASE-9",
            "camera": "nowhere",
            "start": (clock.now() - timedelta(hours=2)).strftime(FORM),
            "end": (clock.now() - timedelta(hours=1)).strftime(FORM),
            "reason": "trial next month",
        },
    )
    assert response.status_code == 404
    assert re.search(
        r'name="camera" value="nowhere" required><span class="field-error" id="hold-camera-error"',
        response.text,
    )
    assert '<option value="CASE-9" selected>CASE-9 — a theft</option>' in response.text
    assert ">trial next month</textarea>" in response.text
    assert holds.list_holds(db) == []


def test_releasing_a_hold_twice_is_409_in_its_row(
    client: TestClient,
    runtime: Runtime,
    db: Session,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    archive("gate", clock.now() - timedelta(hours=1), 1)
    hold = holds.place_hold(
        call_of(db, clock),
        case_ref="CASE-5",
        reason="trial",
        scopes=[holds.Scope("gate", clock.now() - timedelta(hours=1), clock.now())],
    )
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    first = client.post(f"/holds/{hold.id}/release", headers=approver, data={"reason": "done"})
    assert first.status_code == 303
    again = client.post(f"/holds/{hold.id}/release", headers=approver, data={"reason": "again"})
    assert again.status_code == 409
    # The hold is no longer listed, so its row is gone: the reason stands at the top.
    assert re.search(
        rf'<main>\s*<p class="error card" role="alert">hold {hold.id} was released already</p>',
        again.text,
    )
    assert "Legal holds" in again.text


def _hold_form(clock: FrozenClock, case_ref: str) -> dict[str, str]:
    return {
        "case_ref": case_ref,
        "camera": "gate",
        "start": (clock.now() - timedelta(hours=2)).strftime(FORM),
        "end": (clock.now() - timedelta(hours=1)).strftime(FORM),
        "reason": "trial next month",
    }


def test_the_picker_offers_open_cases_and_refuses_unknown_or_closed_ones_beside_it(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    archive("gate", clock.now() - timedelta(hours=2), 1)
    ivan = call_of(db, clock, INVESTIGATOR)
    cases.open_case(ivan, "12/2026-0457", "cpc-kz-199", "robbery at the gate")
    cases.open_case(ivan, "12/2026-0100", "cpc-kz-199", "an old fraud")
    access.close_case(ivan, "12/2026-0100", "verdict")
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    page = client.get("/holds", headers=approver).text
    assert '<option value="12/2026-0457" >12/2026-0457 — robbery at the gate</option>' in page
    assert "12/2026-0100" not in page  # a closed case is not offered
    assert '<datalist id="camera-names"><option value="gate"></option></datalist>' in page

    unknown = client.post("/holds", headers=approver, data=_hold_form(clock, "12/2026-457"))
    assert unknown.status_code == 404
    assert re.search(
        r'</select>\s*<span class="field-error" id="hold-case_ref-error" role="alert">'
        r"no case &#39;12/2026-457&#39;: a hold is placed inside an open case</span>",
        unknown.text,
    ), unknown.text
    assert ">trial next month</textarea>" in unknown.text
    closed = client.post("/holds", headers=approver, data=_hold_form(clock, "12/2026-0100"))
    assert closed.status_code == 409
    assert re.search(
        r'id="hold-case_ref-error" role="alert">case 12/2026-0100 is closed', closed.text
    )
    assert holds.list_holds(db) == []

    placed = client.post("/holds", headers=approver, data=_hold_form(clock, "12/2026-0457"))
    assert (placed.status_code, placed.headers["location"]) == (303, "/holds")
    [hold] = holds.list_holds(db)
    listed = client.get("/holds", headers=approver).text
    row = re.search(rf'<tr data-hold="{hold.id}">.*?</tr>', listed, re.S)
    assert row
    assert '<div class="muted" data-camera="gate"><strong>gate</strong>: <time' in row[0]
    assert "camera 1" not in row[0]
    assert f'action="/holds/{hold.id}/review"' in row[0]


def test_without_an_open_case_there_is_nothing_to_place_a_hold_in(
    client: TestClient, make_user: Callable[..., tuple[str, str]]
) -> None:
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    page = client.get("/holds", headers=approver).text
    assert 'id="no-open-case"' in page
    assert 'id="hold-form"' not in page


def test_a_review_from_the_page_moves_the_date_and_a_refused_one_keeps_what_was_typed(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    archive("gate", clock.now() - timedelta(hours=2), 1)
    call = call_of(db, clock)
    cases.open_case(call_of(db, clock, INVESTIGATOR), "CASE-7", "cpc-kz-199", "arson")
    hold = holds.place_hold(
        call,
        case_ref="CASE-7",
        reason="trial",
        scopes=[holds.Scope("gate", clock.now() - timedelta(hours=2), clock.now())],
    )
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    too_far = (clock.now() + timedelta(days=365)).strftime(FORM)
    refused = client.post(
        f"/holds/{hold.id}/review",
        headers=approver,
        data={"keep_until": too_far, "reason": "appeal lodged"},
    )
    assert refused.status_code == 422
    assert re.search(
        rf'name="keep_until" step="1" value="{too_far}" required>'
        rf'<span class="field-error" id="review:{hold.id}-keep_until-error" role="alert">'
        r"the next review must fall within 180 days",
        refused.text,
    ), refused.text
    assert 'name="reason" value="appeal lodged"' in refused.text
    keep_until = clock.now() + timedelta(days=100)
    kept = client.post(
        f"/holds/{hold.id}/review",
        headers=approver,
        data={"keep_until": keep_until.strftime(FORM), "reason": "appeal lodged"},
    )
    assert kept.status_code == 303
    db.refresh(hold)
    assert hold.review_due == keep_until
    [entry] = audit_events(db, event="hold.reviewed")
    assert (entry.justification, entry.details["next_review"]) == (
        "appeal lodged",
        keep_until.isoformat(),
    )


def test_an_orphaned_hold_is_called_out_and_can_only_be_released(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    make_user: Callable[..., tuple[str, str]],
) -> None:
    archive("gate", clock.now() - timedelta(hours=2), 1)
    hold = holds.place_hold(
        call_of(db, clock),
        case_ref="12/2026-457",
        reason="typo",
        scopes=[holds.Scope("gate", clock.now() - timedelta(hours=2), clock.now())],
    )
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    page = client.get("/holds", headers=approver).text
    assert f'data-orphaned="{hold.id}"' in page
    assert "names no case (12/2026-457)" in page
    assert f'action="/holds/{hold.id}/review"' not in page
    assert f'action="/holds/{hold.id}/release"' in page
    forced = client.post(
        f"/holds/{hold.id}/review",
        headers=approver,
        data={"keep_until": (clock.now() + timedelta(days=10)).strftime(FORM), "reason": "x"},
    )
    assert forced.status_code == 409
    assert "release it instead" in forced.text
