"""The public pages: the policy as a person reads it (JSON still for machines) and the camera
register with its map; neither needs signing in, and neither shows personal data."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import Withheld
from custos.cameras.schemas import CameraCreate
from custos.clock import FrozenClock
from custos.exports import service as exports
from custos.exports.policy import RecipientRole
from custos.web.pages.public import days
from helpers import call_of

PAGE = {"Accept": "text/html,application/xhtml+xml"}


def test_the_policy_is_a_page_for_people_and_json_for_machines(client: TestClient) -> None:
    page = client.get("/policy", headers=PAGE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "30 days, then erased by destroying its key" in text
    assert "2,557 days (7 years)" in text
    assert 'id="policy-access"' in text
    assert "cpc-kz-199" in text
    machine = client.get("/policy", headers={"Accept": "application/json"})
    assert machine.json()["name"] == "kz-nvms"
    assert client.get("/policy").json()["profile"]["retention"]["default_days"] == 30
    assert client.get("/policy?format=json", headers=PAGE).json()["name"] == "kz-nvms"


def test_days_read_as_people_say_them() -> None:
    assert [days(30), days(1), days(2557), days(365), days(0.5)] == [
        "30 days", "1 day", "2,557 days (7 years)", "365 days (1 year)", "0.5 days"
    ]  # fmt: skip


def test_the_register_page_draws_its_map_and_counts_what_is_withheld(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    for name, lat, lon, tags in (("square-1", 43.2389, 76.9455, []),
                                 ("school-7", 43.25, 76.91, ["school"])):  # fmt: skip
        cameras.register_camera(
            call_of(db, clock),
            CameraCreate.model_validate(
                {"name": name, "source_url": "rtsp://cam.example/1", "category": "other",
                 "region": "Almaty", "latitude": lat, "longitude": lon, "tags": tags}
            ),
        )  # fmt: skip
    cameras.withhold(call_of(db, clock), "square-1", Withheld.NATIONAL_SECURITY, "a checkpoint")
    page = client.get("/register", headers=PAGE)
    assert page.status_code == 200
    assert 'data-camera="school-7"' in page.text
    assert 'data-camera="square-1"' not in page.text
    assert "1 for national security" in page.text
    assert "<svg" in page.text
    assert "<script" not in page.text.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_the_record_of_processing_follows_the_registry_and_names_no_one(
    client: TestClient, db: Session, clock: FrozenClock
) -> None:
    before = client.get("/processing-record.json").json()
    assert before["controller"]["name"] == "Custos"
    assert before["retention"]["default_days"] == 30
    assert [a["reference"] for a in before["impact_assessments"]] == ["DPIA-0"]
    exports.add_recipient(
        call_of(db, clock), name="Judge Aigerim S.", organisation="Almaty City Court",
        role=RecipientRole.COURT,
    )  # fmt: skip
    cameras.register_camera(
        call_of(db, clock),
        CameraCreate.model_validate(
            {"name": "clinic-door", "source_url": "rtsp://cam.example/2", "category": "other",
             "region": "Astana", "purpose": "Safety at the clinic entrance", "tags": ["medical"],
             "record_audio": True}
        ),
    )  # fmt: skip
    after = client.get("/processing-record.json").json()
    assert "Safety at the clinic entrance" in after["purposes"]
    assert after["cameras"]["by_region"]["Astana"] == 1
    assert after["cameras"]["at_sensitive_sites"] == before["cameras"]["at_sensitive_sites"] + 1
    assert "sound" in after["data"]
    assert after["recipients"] == {"court": 1}
    page = client.get("/processing-record", headers=PAGE)
    assert page.status_code == 200
    assert "Safety at the clinic entrance" in page.text
    for response in (page.text, str(after)):
        assert "Aigerim" not in response  # recipients are counted by role, not named
        assert "rtsp://" not in response
