"""Access pages: a footage request the policy refuses comes back as typed, the limit named
beside the camera × window table; a decision on a request decided meanwhile is a 409."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.policy import Window
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.context import Call
from custos.permissions import Role
from custos.runtime import Runtime
from helpers import APPROVER, bearer, call_of
from helpers import investigator as as_investigator

HTML = {"Accept": "text/html"}
FORM = "%Y-%m-%dT%H:%M:%S"


@pytest.fixture
def case_id(ivan: Call, clock: FrozenClock, archive: Callable[..., list[str]]) -> int:
    """A case with persons P1 and P2, and cameras `hall` and `yard` that recorded two hours ago."""
    for camera in ("hall", "yard"):
        archive(camera, clock.now() - timedelta(hours=2), 2)
    case = cases.open_case(ivan, "12/2026-0457", "cpc-kz-199", "a robbery")
    for label in ("P1", "P2"):
        cases.add_person(ivan, case.reference, label)
    return case.id


@pytest.fixture
def member(ivan: Call, case_id: int, make_user: Callable[..., tuple[str, str]]) -> dict[str, str]:
    """The page headers of an investigator whom ivan added to the case."""
    name, token = make_user(Role.INVESTIGATOR)
    cases.add_member(ivan, "12/2026-0457", name, "works the case with ivan")
    return {**bearer(token), **HTML}


def test_a_refused_footage_request_keeps_every_value_and_names_the_limit_by_the_windows(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    case_id: int,
    member: dict[str, str],
) -> None:
    investigator = member
    now = clock.now()
    rows = [
        ("hall", now - timedelta(hours=30), now - timedelta(hours=1)),  # 29 hours: over 24
        ("yard", now - timedelta(hours=2), now - timedelta(hours=1)),
    ]
    typed = {
        "camera": [r[0] for r in rows] + [""],
        "start": [r[1].strftime(FORM) for r in rows] + [""],
        "end": [r[2].strftime(FORM) for r in rows] + [""],
        "persons": ["P2"],
        "purpose": "see who took the bag",
        "justification": "a witness saw P2 in the hall then",
        "identification": "1",
        "export": "1",
    }
    response = client.post(f"/cases/{case_id}/requests", headers=investigator, data=typed)
    assert response.status_code == 422  # PolicyViolation: 422 here as in the API
    html = response.text
    # The limit stands right below the camera × window table, which is marked.
    assert re.search(
        r'<table class="list invalid" id="request-windows">.*?</table>\s*'
        r'<span class="field-error" id="request-windows-error" role="alert">'
        r"the request is refused: a window of 29 h; the limit is 24 h per window",
        html,
        re.S,
    ), html
    assert "The request was not filed: see the marked fields." in html
    # Every row as typed: the camera chosen, both times.
    table = html[
        html.index('id="request-windows"') : html.index("</table>", html.index("request-windows"))
    ]
    for camera, start, end in rows:
        assert f"<option selected>{camera}</option>" in table
        assert f'name="start" value="{start.strftime(FORM)}"' in table
        assert f'name="end" value="{end.strftime(FORM)}"' in table
    assert table.count("<option selected>") == 2
    assert 'name="persons" value="P2" checked' in html
    assert 'name="persons" value="P1" >' in html
    assert ">see who took the bag</textarea>" in html
    assert ">a witness saw P2 in the hall then</textarea>" in html
    assert 'name="identification" value="1" checked' in html
    assert 'name="export" value="1" checked' in html
    assert access.list_requests(db, APPROVER, case_id=case_id) == []


def test_a_person_not_in_the_case_is_named_beside_the_persons(
    client: TestClient, clock: FrozenClock, case_id: int, member: dict[str, str]
) -> None:
    investigator = member
    now = clock.now()
    response = client.post(
        f"/cases/{case_id}/requests",
        headers=investigator,
        data={
            "camera": "hall",
            "start": (now - timedelta(hours=2)).strftime(FORM),
            "end": (now - timedelta(hours=1)).strftime(FORM),
            "persons": "P9",
            "purpose": "p",
            "justification": "j",
        },
    )
    assert response.status_code == 422
    assert re.search(
        r'<span class="field-error" id="request-persons-error" role="alert">'
        r"not a person of case 12/2026-0457 under suspicion: P9</span>\s*</fieldset>",
        response.text,
    )


def _filed(
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    case_id: int,
    by: str = "ivan",
    export: bool = False,
) -> int:
    now = clock.now()
    filed = access.file_request(
        call_of(db, clock, as_investigator(by)),
        case_id=case_id,
        windows=[Window("hall", now - timedelta(hours=2), now - timedelta(hours=1))],
        persons=["P1"],
        purpose="who",
        justification="why",
        identification=False,
        export=export,
    )
    return filed.id


def test_the_approver_sees_export_sought_and_may_withhold_it(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    case_id: int,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    request_id = _filed(db, clock, runtime, case_id, export=True)
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    page = client.get(f"/requests/{request_id}", headers=approver).text
    assert "<dt>Export</dt><dd>sought: the footage handed to a named recipient</dd>" in page
    assert 'name="export" value="1" checked' in page  # allowed unless the approver unticks it
    answer = client.post(
        f"/requests/{request_id}/approve",
        headers=approver,
        data={
            "keep": "0",
            "camera": "hall",
            "start": (clock.now() - timedelta(hours=2)).strftime(FORM),
            "end": (clock.now() - timedelta(hours=1)).strftime(FORM),
            "days": "2",
            "note": "watch it here",
        },
    )
    assert answer.status_code == 303, answer.text
    granted = access.grant_for_request(db, request_id)
    assert granted is not None
    assert not granted.export
    assert "Export not allowed." in client.get(f"/requests/{request_id}", headers=approver).text


def test_deciding_a_request_decided_meanwhile_is_409_with_the_reason_on_the_page(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    case_id: int,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    request_id = _filed(db, clock, runtime, case_id)
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    refused = client.post(
        f"/requests/{request_id}/refuse", headers=approver, data={"reason": "too broad"}
    )
    assert refused.status_code == 303
    again = client.post(
        f"/requests/{request_id}/refuse", headers=approver, data={"reason": "still too broad"}
    )
    assert again.status_code == 409
    # The decision form is gone (the request is decided), so the reason stands at the top.
    assert f"request {request_id} was refused already" in again.text
    assert 'id="decision"' not in again.text


def test_a_refused_decision_keeps_the_approver_s_narrowing(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    case_id: int,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    request_id = _filed(db, clock, runtime, case_id)
    approver = {**bearer(make_user(Role.APPROVER)[1]), **HTML}
    start: datetime = clock.now() - timedelta(hours=2, minutes=30)  # earlier than asked
    response = client.post(
        f"/requests/{request_id}/approve",
        headers=approver,
        data={
            "keep": "0",
            "camera": "hall",
            "start": start.strftime(FORM),
            "end": (clock.now() - timedelta(hours=1)).strftime(FORM),
            "days": "2",
            "note": "one hour is enough",
        },
    )
    assert response.status_code == 422
    html = response.text
    assert f'name="start" value="{start.strftime(FORM)}"' in html
    assert 'name="days" value="2"' in html
    assert ">one hour is enough</textarea>" in html
    assert 'name="hold" value="1" >' in html  # left unticked, as sent
    assert re.search(
        r'</table>\s*<span class="field-error" id="decide-windows-error" role="alert">'
        r"the granted window on hall .* lies outside what was asked",
        html,
    )


def test_approving_one_s_own_request_is_403_on_the_request_page(
    client: TestClient,
    db: Session,
    clock: FrozenClock,
    runtime: Runtime,
    case_id: int,
    make_user: Callable[..., tuple[str, str]],
) -> None:
    name, token = make_user(Role.APPROVER)
    # Filed under the approver's name, in a case of their own: as when an investigator who
    # opened a case and asked for footage in it is made an approver since.
    own = cases.open_case(
        call_of(db, clock, as_investigator(name)), "12/2026-0458", "cpc-kz-199", "x"
    )
    cases.add_person(call_of(db, clock, as_investigator(name)), own.reference, "P1")
    request_id = _filed(db, clock, runtime, own.id, by=name)
    response = client.post(
        f"/requests/{request_id}/approve",
        headers={**bearer(token), **HTML},
        data={
            "keep": "0",
            "camera": "hall",
            "start": (clock.now() - timedelta(hours=2)).strftime(FORM),
            "end": (clock.now() - timedelta(hours=1)).strftime(FORM),
        },
    )
    assert response.status_code == 403  # Forbidden, as in the API; not a blanket 422
    assert f"Access request {request_id}" in response.text
    assert "must be approved by someone other than the person who made it" in response.text
