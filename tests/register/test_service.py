"""The public register, read from the registry: what it shows of each camera, what it leaves
out, and that it carries no personal data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.schemas import CameraCreate
from custos.clock import FrozenClock
from custos.register.policy import Withheld
from helpers import call_of


def _add(db: Session, clock: FrozenClock, name: str, **extra: object) -> None:
    cameras.register_camera(
        call_of(db, clock),
        CameraCreate.model_validate(
            {"name": name, "source_url": f"rtsp://user:secret@{name}.example/live",
             "category": "public_safety", "region": "Almaty", **extra}
        ),
    )  # fmt: skip


@pytest.fixture
def site(db: Session, clock: FrozenClock) -> None:
    _add(db, clock, "square-1", operator_org="City Public Safety Centre",
         purpose="Public order on the square", location="Republic Square",
         latitude=43.238949, longitude=76.945465, signage="Signs at the four corners",
         contact="dpo@almaty.example")  # fmt: skip
    _add(db, clock, "school-7", tags=["school"], latitude=43.25, longitude=76.91,
         purpose="Crossing by the school")  # fmt: skip
    _add(db, clock, "vault", status="active")
    cameras.withhold(call_of(db, clock), "vault", Withheld.CRITICAL_INFRASTRUCTURE, "bank vault")
    _add(db, clock, "planned", status="draft")


def test_the_register_shows_cameras_in_service_on_the_grid(site: None, client: TestClient) -> None:
    answer = client.get("/register.json")
    assert answer.status_code == 200
    found = answer.json()
    by_name = {c["camera"]: c for c in found["cameras"]}
    assert set(by_name) == {"square-1", "school-7"}  # not the withheld one, not the draft
    square = by_name["square-1"]
    assert (square["latitude"], square["longitude"]) == (43.235, 76.945)  # kz-nvms: 0.01°
    assert square["dpia"] == "DPIA-0"
    assert square["dpia_standing"] == "current"
    assert square["retention_days"] == 30
    assert square["signage"] == "Signs at the four corners"
    assert by_name["school-7"]["sensitive"] == ["school"]
    assert found["withheld"] == {
        "national_security": 0, "critical_infrastructure": 1, "protected_person": 0
    }  # fmt: skip
    assert "secret" not in answer.text
    assert "bank vault" not in answer.text

    rows = list(csv.DictReader(io.StringIO(client.get("/register.csv").text)))
    assert [r["camera"] for r in rows] == ["school-7", "square-1"]
    geo = json.loads(client.get("/register.geojson").text)
    tags = {f["properties"]["name"]: f["properties"] for f in geo["features"]}
    assert tags["square-1"]["man_made"] == "surveillance"
    assert geo["features"][0]["geometry"]["type"] == "Point"


def test_withholding_needs_a_reason_and_is_audited(db: Session, clock: FrozenClock) -> None:
    _add(db, clock, "gate")
    with pytest.raises(Exception, match="say why"):
        cameras.withhold(call_of(db, clock), "gate", Withheld.NATIONAL_SECURITY, " ")
    cameras.withhold(call_of(db, clock), "gate", Withheld.NATIONAL_SECURITY, "border post")
    cameras.publish(call_of(db, clock), "gate", "no longer sensitive")
    assert cameras.get_camera(db, "gate").withheld_reason == ""
