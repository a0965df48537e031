"""Retention pages: a refused incident or hold form comes back as typed, the reason beside its
field, with the status the error has in the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.clock import FrozenClock
from custos.permissions import Role
from custos.retention import holds, incidents
from custos.runtime import Runtime
from helpers import bearer, call_of

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
    assert 'name="case_ref" value="CASE-9"' in response.text
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
