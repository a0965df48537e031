"""The register's rules: places on a grid, withheld cameras counted, the map's box."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custos.register.policy import coarsen, map_box, withheld_counts


@pytest.mark.parametrize(
    ("point", "grid", "shown"),
    [
        ((43.238949, 76.889709), 0.01, (43.235, 76.885)),
        ((43.231, 76.881), 0.01, (43.235, 76.885)),  # the same cell, the same place shown
        ((51.128207, 71.430411), 0.005, (51.1275, 71.4325)),
        ((-33.8688, 151.2093), 0.01, (-33.865, 151.205)),  # south and east of zero
    ],
)
def test_coarsen(point: tuple[float, float], grid: float, shown: tuple[float, float]) -> None:
    assert coarsen(*point, grid) == pytest.approx(shown)


@given(
    st.floats(-89.9, 89.9),
    st.floats(-179.9, 179.9),
    st.sampled_from([0.001, 0.005, 0.01, 0.05]),
)
def test_a_place_shown_is_within_half_a_cell_and_says_nothing_finer(
    latitude: float, longitude: float, grid: float
) -> None:
    lat, lon = coarsen(latitude, longitude, grid)
    assert abs(lat - latitude) <= grid / 2 + 1e-9
    assert abs(lon - longitude) <= grid / 2 + 1e-9
    # Any point of the same cell is shown at the same place.
    assert coarsen(lat, lon, grid) == (lat, lon)


def test_withheld_cameras_are_counted_for_every_reason() -> None:
    assert withheld_counts(["national_security", "national_security", "protected_person"]) == {
        "national_security": 2,
        "critical_infrastructure": 0,
        "protected_person": 1,
    }


def test_the_map_holds_every_point() -> None:
    points = [(43.235, 76.885), (43.255, 76.945), (51.1275, 71.4325)]
    box = map_box(points)
    assert box is not None
    for point in points:
        x, y = box.project(*point)
        assert 0 < x < box.width
        assert 0 < y < box.height
    assert map_box([]) is None
    single = map_box([(43.235, 76.885)])
    assert single is not None
    assert single.project(43.235, 76.885) == (single.width / 2, pytest.approx(single.height / 2))
