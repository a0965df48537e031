"""Pages as a browser uses them: sign-in with the session cookie, forms, errors beside fields."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.clock import FrozenClock
from custos.context import Call, Principal
from custos.permissions import Role
from custos.recording.policy import GapReason
from custos.runtime import Runtime
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, audit_events, own_account, sign_in_page

HTML = {"Accept": "text/html"}


def _sign_in(client: TestClient, name: str, password: str) -> str:
    response = client.post("/login", data={"name": name, "password": password, "next": "/cameras"})
    assert response.status_code == 303, response.text
    return response.headers["location"]


@pytest.fixture
def operator(call: Call) -> tuple[str, str]:
    """An operator who has already chosen a password."""
    user, temporary = users.create_user(
        call, name="olga", role=Role.OPERATOR, passwords=CHEAP_PASSWORDS
    )
    assert temporary is not None
    principal = Principal(user_id=user.id, name="olga", role=Role.OPERATOR, via="session")
    users.change_own_password(
        call, principal, temporary, "a quiet river at dusk", passwords=CHEAP_PASSWORDS
    )
    return "olga", "a quiet river at dusk"


def test_unauthenticated_page_shows_the_sign_in_form_with_401(client: TestClient) -> None:
    response = client.get("/cameras", headers=HTML)
    assert response.status_code == 401
    assert '<form method="post" action="/login">' in response.text
    assert 'name="next" value="/cameras"' in response.text


def test_session_cookie_is_secure_httponly_strict(
    client: TestClient, operator: tuple[str, str]
) -> None:
    response = client.post("/login", data={"name": operator[0], "password": operator[1]})
    cookie = response.headers["set-cookie"].lower()
    for attribute in ("httponly", "secure", "samesite=strict", "path=/"):
        assert attribute in cookie


def test_sign_in_then_see_the_registry(
    client: TestClient, operator: tuple[str, str], db: Session
) -> None:
    assert _sign_in(client, *operator) == "/cameras"
    page = client.get("/cameras", headers=HTML)
    assert page.status_code == 200
    assert "Register a camera" in page.text
    assert "olga" in page.text
    assert "operator" in page.text
    assert audit_events(db, event="login")[-1].actor == "olga"


def test_wrong_password_shows_the_form_again(client: TestClient, operator: tuple[str, str]) -> None:
    response = client.post(
        "/login", data={"name": operator[0], "password": "guess", "next": "/cameras"}
    )
    assert response.status_code == 401
    assert "wrong user name or password" in response.text
    assert 'value="olga"' in response.text


def test_sign_in_never_redirects_off_site(client: TestClient, operator: tuple[str, str]) -> None:
    response = client.post(
        "/login",
        data={"name": operator[0], "password": operator[1], "next": "//evil.example/phish"},
    )
    assert response.headers["location"] == "/cameras"


def test_register_a_camera_through_the_form(
    client: TestClient, operator: tuple[str, str], db: Session
) -> None:
    _sign_in(client, *operator)
    response = client.post(
        "/cameras",
        headers=HTML,
        data={
            "name": "tram-stop",
            "source_url": "rtsp://10.2.0.8/live",
            "category": "public_safety",
            "region": "Almaty",
            "purpose": "Platform safety",
            "tags": ["residential", "school"],
            "segment_seconds": "6",
            "record_audio": "1",
            "no_check": "1",
        },
    )
    assert response.status_code == 303
    camera = cameras.get_camera(db, "tram-stop")
    assert camera.tags == ["residential", "school"]
    assert (camera.segment_seconds, camera.record_audio) == (6, True)
    assert 'data-camera="tram-stop"' in client.get("/cameras", headers=HTML).text


def test_form_errors_are_shown_beside_the_fields_and_keep_the_input(
    client: TestClient, operator: tuple[str, str], db: Session
) -> None:
    _sign_in(client, *operator)
    response = client.post(
        "/cameras",
        headers=HTML,
        data={
            "name": "bad-cam",
            "source_url": "ftp://10.2.0.8/live",
            "category": "public_safety",
            "region": "",
        },
    )
    assert response.status_code == 422
    assert "unsupported source with &#39;ftp&#39;" in response.text
    assert "at least 1 character" in response.text
    assert 'value="bad-cam"' in response.text
    assert cameras.list_cameras(db) == []


def test_a_camera_that_gives_no_picture_is_refused_on_the_form(
    client: TestClient,
    operator: tuple[str, str],
    db: Session,
    failing_sources: dict[GapReason, str],
) -> None:
    _sign_in(client, *operator)
    typed = {
        "name": "locked",
        "source_url": failing_sources[GapReason.AUTHENTICATION_FAILED],
        "category": "public_safety",
        "region": "Almaty",
        "location": "Side gate",
    }
    refused = client.post("/cameras", headers=HTML, data=typed)
    assert refused.status_code == 422
    assert 'id="register-source_url-error"' in refused.text
    assert "authentication failed: the camera refuses the user name or password" in refused.text
    assert "tick &#39;register anyway&#39;" in refused.text
    assert 'value="Side gate"' in refused.text
    assert 'name="no_check"' in refused.text
    assert cameras.list_cameras(db) == []
    anyway = client.post("/cameras", headers=HTML, data={**typed, "no_check": "1"})
    assert anyway.status_code == 303
    assert cameras.get_camera(db, "locked").location == "Side gate"


def test_edit_a_camera_on_its_page(
    client: TestClient,
    operator: tuple[str, str],
    db: Session,
    clip: Path,
    failing_sources: dict[GapReason, str],
) -> None:
    _sign_in(client, *operator)
    registered = {
        "name": "yard",
        "source_url": "rtsp://op:hunter2@10.2.0.9/live",
        "category": "other",
        "region": "Almaty",
        "no_check": "1",
    }
    assert client.post("/cameras", headers=HTML, data=registered).status_code == 303
    page = client.get("/cameras/yard", headers=HTML)
    assert page.status_code == 200
    assert 'id="edit-form"' in page.text
    assert "hunter2" not in page.text
    assert 'value="rtsp://op:***@10.2.0.9/live"' in page.text
    # The masked source sent back unchanged keeps the source; nothing is tried.
    kept = client.post(
        "/cameras/yard/edit",
        headers=HTML,
        data={
            "source_url": "rtsp://op:***@10.2.0.9/live",
            "location": "Yard corner",
            "purpose": "Loading bay",
            "segment_seconds": "4",
            "priority": "70",
        },
    )
    assert kept.status_code == 303
    assert kept.headers["location"] == "/cameras/yard"
    camera = cameras.get_camera(db, "yard")
    assert (
        camera.source_url,
        camera.location,
        camera.purpose,
        camera.segment_seconds,
        camera.priority,
    ) == ("rtsp://op:hunter2@10.2.0.9/live", "Yard corner", "Loading bay", 4, 70)
    too_high = client.post(
        "/cameras/yard/edit",
        headers=HTML,
        data={"source_url": "rtsp://op:***@10.2.0.9/live", "priority": "101"},
    )
    assert too_high.status_code == 422
    assert 'id="edit-priority-error"' in too_high.text
    assert 'value="101"' in too_high.text
    typed = {
        "source_url": failing_sources[GapReason.CONNECTION_REFUSED],
        "location": "Moved",
        "purpose": "Loading bay",
        "segment_seconds": "4",
    }
    refused = client.post("/cameras/yard/edit", headers=HTML, data=typed)
    assert refused.status_code == 422
    assert 'id="edit-source_url-error"' in refused.text
    assert "connection refused" in refused.text
    assert 'value="Moved"' in refused.text
    assert f'value="{typed["source_url"]}"' in refused.text
    bad = client.post("/cameras/yard/edit", headers=HTML, data={**typed, "segment_seconds": "99"})
    assert bad.status_code == 422
    assert "less than or equal to 60" in bad.text
    assert cameras.get_camera(db, "yard").location == "Yard corner"
    moved = client.post("/cameras/yard/edit", headers=HTML, data={**typed, "source_url": str(clip)})
    assert moved.status_code == 303
    db.expire_all()
    assert cameras.get_camera(db, "yard").source_url == str(clip)


def test_cross_site_form_post_is_refused(client: TestClient, operator: tuple[str, str]) -> None:
    _sign_in(client, *operator)
    response = client.post(
        "/cameras",
        headers={**HTML, "Origin": "https://evil.example"},
        data={
            "name": "csrf-cam",
            "source_url": "rtsp://x.example/a",
            "category": "other",
            "region": "X",
        },
    )
    assert response.status_code == 403
    assert "comes from another site" in response.text


def test_one_time_password_leads_to_the_account_page_first(call: Call, client: TestClient) -> None:
    _user, temporary = users.create_user(
        call, name="ivan", role=Role.INVESTIGATOR, passwords=CHEAP_PASSWORDS
    )
    assert temporary is not None
    assert _sign_in(client, "ivan", temporary) == "/account"
    blocked = client.get("/cameras", headers=HTML)
    assert (blocked.status_code, blocked.headers["location"]) == (303, "/account")
    assert client.get("/api/cameras").json()["error"] == "password_change_required"
    assert "Choose your own password" in client.get("/account", headers=HTML).text
    changed = client.post(
        "/account/password",
        headers=HTML,
        data={
            "current_password": temporary,
            "new_password": "chosen by the owner",
            "confirm_password": "chosen by the owner",
        },
    )
    assert changed.status_code == 303
    assert client.get("/cameras", headers=HTML).status_code == 200


def test_mismatched_new_passwords_are_refused(
    client: TestClient, operator: tuple[str, str]
) -> None:
    _sign_in(client, *operator)
    response = client.post(
        "/account/password",
        headers=HTML,
        data={
            "current_password": operator[1],
            "new_password": "one long phrase",
            "confirm_password": "another",
        },
    )
    assert response.status_code == 422
    assert "differ" in response.text


def test_admin_adds_a_user_and_sees_the_password_once(
    call: Call, client: TestClient, db: Session, runtime: Runtime, clock: FrozenClock
) -> None:
    secret = own_account(call, "ada", Role.ADMIN, "the admin's own phrase", runtime.sealer)
    sign_in_page(client, "ada", "the admin's own phrase", clock, secret)
    # An auditor's account is made at once (one with power over footage waits for another).
    response = client.post("/users", headers=HTML, data={"name": "newbie", "role": "auditor"})
    assert response.status_code == 201
    assert "One-time password for <strong>newbie</strong>" in response.text
    assert users.get_user(db, "newbie").role is Role.AUDITOR
    again = client.get("/users", headers=HTML)
    assert "One-time password" not in again.text


def test_logout_ends_the_session(
    client: TestClient, operator: tuple[str, str], db: Session
) -> None:
    _sign_in(client, *operator)
    assert client.post("/logout").headers["location"] == "/login"
    assert client.get("/cameras", headers=HTML).status_code == 401
    assert audit_events(db, event="logout")[-1].actor == "olga"


def test_security_headers_on_every_answer(client: TestClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_static_stylesheet_is_served(client: TestClient) -> None:
    response = client.get("/static/custos.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


def test_make_user_fixture_roles(make_user: Callable[..., tuple[str, str]], db: Session) -> None:
    name, _token = make_user(Role.DPO)
    assert users.get_user(db, name).role is Role.DPO


def test_privacy_zones_through_the_page(
    client: TestClient, operator: tuple[str, str], db: Session, clock: FrozenClock
) -> None:
    _sign_in(client, *operator)
    client.post(
        "/cameras",
        headers=HTML,
        data={
            "name": "court",
            "source_url": "rtsp://10.2.0.9/live",
            "category": "other",
            "region": "A",
            "no_check": "1",
        },
    )
    page = client.get("/cameras/court/zones", headers=HTML)
    assert page.status_code == 200
    assert "No privacy zone" in page.text
    bad = client.post(
        "/cameras/court/zones",
        headers=HTML,
        data={"zone": "flat 3", "points": "0.1,0.1 1.5,0.1 0.5,0.5", "reason": "a home"},
    )
    assert bad.status_code == 422
    assert "outside the picture" in bad.text
    assert 'value="0.1,0.1 1.5,0.1 0.5,0.5"' in bad.text
    added = client.post(
        "/cameras/court/zones",
        headers=HTML,
        data={"zone": "flat 3", "points": "0.1,0.1 0.5,0.1 0.5,0.5", "reason": "a home"},
    )
    assert added.status_code == 303
    page = client.get("/cameras/court/zones", headers=HTML)
    assert 'data-zone="flat 3"' in page.text
    assert "<polygon" in page.text
    assert [zone.name for zone in cameras.list_zones(db, "court")] == ["flat 3"]
    refused = client.post("/cameras/court/zones/flat%203/remove", headers=HTML, data={"reason": ""})
    assert refused.status_code == 422
    removed = client.post(
        "/cameras/court/zones/flat%203/remove", headers=HTML, data={"reason": "moved out"}
    )
    assert removed.status_code == 303
    assert cameras.list_zones(db, "court") == []
    assert [e.justification for e in audit_events(db, event="camera.zone_removed")] == ["moved out"]


def test_a_cameras_register_entry_is_set_on_its_page(
    client: TestClient, operator: tuple[str, str], db: Session
) -> None:
    _sign_in(client, *operator)
    registered = {"name": "quay", "source_url": "rtsp://quay.example/1", "category": "other",
                  "region": "Almaty", "no_check": "1"}  # fmt: skip
    assert client.post("/cameras", headers=HTML, data=registered).status_code == 303
    typed = {"latitude": "north", "longitude": "76.9", "signage": "Signs on the quay"}
    refused = client.post("/cameras/quay/public", headers=HTML, data=typed)
    assert refused.status_code == 422
    assert 'id="public-latitude-error"' in refused.text
    assert 'value="Signs on the quay"' in refused.text  # nothing typed is lost
    saved = client.post(
        "/cameras/quay/public",
        headers=HTML,
        data={**typed, "latitude": "43.2389", "contact": "dpo@city.example"},
    )
    assert saved.status_code == 303
    camera = cameras.get_camera(db, "quay")
    assert (camera.latitude, camera.longitude, camera.contact) == (
        43.2389,
        76.9,
        "dpo@city.example",
    )
    page = client.get("/cameras/quay", headers=HTML)
    assert "signs: Signs on the quay" in page.text
    entry = next(c for c in client.get("/register.json").json()["cameras"] if c["camera"] == "quay")
    assert (entry["latitude"], entry["signage"]) == (43.235, "Signs on the quay")
