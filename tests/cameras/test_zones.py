"""Privacy zones: the pure rules for a polygon, and the registry's audited changes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraStatus, parse_points, polygon_area, zone_problem
from custos.cameras.schemas import CameraCreate
from custos.clock import FrozenClock
from custos.errors import Conflict, InvalidInput, NotFound
from custos.recording.service import active_feeds
from helpers import audit_events, call_of, withdraw_zone_statements

SQUARE = [(0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.1, 0.5)]


@pytest.mark.parametrize(
    ("name", "points", "problem"),
    [
        ("windows", SQUARE, None),
        ("windows", SQUARE[:2], "3 to 64 corners"),
        ("windows", [(0.1, 0.1)] * 65, "3 to 64 corners"),
        ("windows", [(0.1, 0.1), (1.2, 0.1), (0.5, 0.5)], "outside the picture"),
        ("windows", [(0.1, 0.1), (0.5, -0.01), (0.5, 0.5)], "outside the picture"),
        ("windows", [(0.1, 0.1), (0.2, 0.2), (0.3, 0.3)], "no area"),
        ("", SQUARE, "zone name"),
        ("a/b", SQUARE, "zone name"),
        ("flat 3 (east)", SQUARE, "zone name"),
    ],
)
def test_zone_rules(name, points, problem) -> None:
    found = zone_problem(name, points)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_polygon_area_by_hand() -> None:
    assert polygon_area(SQUARE) == pytest.approx(0.16)
    assert polygon_area([(0, 0), (1, 0), (0, 1)]) == pytest.approx(0.5)
    assert polygon_area(list(reversed(SQUARE))) == pytest.approx(0.16)


fractions = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(st.lists(st.tuples(fractions, fractions), min_size=3, max_size=12), st.integers(0, 11))
def test_area_does_not_depend_on_the_starting_corner(points, shift) -> None:
    turned = points[shift % len(points) :] + points[: shift % len(points)]
    assert polygon_area(turned) == pytest.approx(polygon_area(points), abs=1e-12)
    # Each term of the shoelace sum is at most 1 in the unit square; a simple polygon stays
    # within 1, one whose corners wind round more than once may not.
    assert 0 <= polygon_area(points) <= len(points) / 2


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("0.1,0.2 0.3,0.4 0.5,0.6", [(0.1, 0.2), (0.3, 0.4), (0.5, 0.6)]),
        ("0,0;1,0;1,1", [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]),
    ],
)
def test_points_as_typed(text, points) -> None:
    assert parse_points(text) == points


@pytest.mark.parametrize("text", ["0.1 0.2 0.3", "a,b 0,0 1,1", "0.1,0.2,0.3"])
def test_points_that_are_not_corners_are_named(text) -> None:
    with pytest.raises(ValueError, match="is not a corner"):
        parse_points(text)


def _camera(db: Session, clock: FrozenClock, name: str = "gate") -> None:
    cameras.register_camera(
        call_of(db, clock),
        CameraCreate.model_validate(
            {
                "name": name,
                "source_url": "rtsp://10.1.1.1/live",
                "category": "public_safety",
                "region": "Almaty",
            }
        ),
    )


def test_zones_are_added_listed_and_removed_with_audit_entries(
    db: Session, clock: FrozenClock
) -> None:
    _camera(db, clock)
    _camera(db, clock, "other")
    cameras.add_zone(call_of(db, clock), "gate", "flat 3", SQUARE, "windows of a home")
    assert [zone.name for zone in cameras.list_zones(db, "gate")] == ["flat 3"]
    assert cameras.list_zones(db, "other") == []
    feeds = {feed.name: feed for feed in active_feeds(db)}
    assert feeds["gate"].zones == (tuple(SQUARE),)
    assert feeds["other"].zones == ()
    with pytest.raises(Conflict):
        cameras.add_zone(call_of(db, clock), "gate", "flat 3", SQUARE, "again")
    cameras.remove_zone(call_of(db, clock), "gate", "flat 3", "the flat is empty now")
    assert cameras.list_zones(db, "gate") == []
    added = audit_events(db, event="camera.zone_added")
    removed = audit_events(db, event="camera.zone_removed")
    assert [e.object_id for e in added] == ["gate"]
    assert [e.object_id for e in removed] == ["gate"]
    assert removed[0].justification == "the flat is empty now"


def test_bad_zones_are_refused_and_nothing_is_stored(db: Session, clock: FrozenClock) -> None:
    _camera(db, clock)
    with pytest.raises(InvalidInput, match="outside the picture"):
        cameras.add_zone(call_of(db, clock), "gate", "w", [(0, 0), (2, 0), (0, 1)], "home")
    with pytest.raises(InvalidInput, match="say why"):
        cameras.add_zone(call_of(db, clock), "gate", "w", SQUARE, "  ")
    with pytest.raises(NotFound):
        cameras.add_zone(call_of(db, clock), "nowhere", "w", SQUARE, "home")
    with pytest.raises(NotFound):
        cameras.remove_zone(call_of(db, clock), "gate", "w", "no such zone")
    with pytest.raises(InvalidInput, match="say why"):
        cameras.remove_zone(call_of(db, clock), "gate", "w", "")
    assert cameras.list_zones(db, "gate") == []
    assert audit_events(db, event="camera.zone_added") == []


def test_a_sensitive_site_records_only_with_a_zone_or_its_assessments_reason(
    db: Session, clock: FrozenClock
) -> None:
    withdraw_zone_statements(db)  # the standing assessment no longer says why none is needed
    school = {
        "name": "school-2",
        "source_url": "rtsp://10.1.1.2/live",
        "category": "public_safety",
        "region": "Almaty",
        "tags": ["school"],
    }
    with pytest.raises(Conflict, match="draw its privacy zones first, or state in DPIA-0 why"):
        cameras.register_camera(call_of(db, clock), CameraCreate.model_validate(school))
    db.rollback()
    draft = CameraCreate.model_validate({**school, "status": "draft"})
    cameras.register_camera(call_of(db, clock), draft)
    with pytest.raises(Conflict, match="films a sensitive site"):
        cameras.set_status(call_of(db, clock), "school-2", CameraStatus.ACTIVE, "ready")
    db.rollback()
    cameras.add_zone(call_of(db, clock), "school-2", "classroom", SQUARE, "the windows")
    cameras.set_status(call_of(db, clock), "school-2", CameraStatus.ACTIVE, "ready")
    with pytest.raises(Conflict, match="films a sensitive site"):
        cameras.remove_zone(call_of(db, clock), "school-2", "classroom", "not needed")
    db.rollback()
    assert [z.name for z in cameras.list_zones(db, "school-2")] == ["classroom"]
    assert [f.name for f in active_feeds(db)] == ["school-2"]
