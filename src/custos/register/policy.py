"""Rules of the public camera register: what the public sees of a camera, and how precisely.
Pure, no I/O.

A camera's place is shown on a grid the policy profile sets (the centre of its cell), so that
the register says where cameras are without pointing at a doorway. A camera may be withheld
from the register only for a recorded reason; how many are withheld for each reason is public.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from custos.cameras.policy import Withheld

WITHHELD_TITLES = {
    Withheld.NATIONAL_SECURITY: "national security",
    Withheld.CRITICAL_INFRASTRUCTURE: "protection of critical infrastructure",
    Withheld.PROTECTED_PERSON: "protection of a person at risk",
}

CATEGORY_TITLES = {
    "state_body": "state body (Law on Informatization art. 30-1 §3)",
    "terror_vulnerable": "site vulnerable to terrorism (art. 30-1 §3)",
    "public_safety": "public safety (art. 30-1 §3)",
    "other": "other",
}


def coarsen(latitude: float, longitude: float, grid_degrees: float) -> tuple[float, float]:
    """The centre of the grid cell holding a point: what the register shows of its place."""
    if grid_degrees <= 0:
        raise ValueError("the grid must be larger than zero")

    def centre(value: float) -> float:
        return round((math.floor(value / grid_degrees) + 0.5) * grid_degrees, 6)

    return centre(latitude), centre(longitude)


def withheld_counts(reasons: Iterable[str]) -> dict[str, int]:
    """How many cameras are withheld for each reason (every reason listed, zero included)."""
    counted = Counter(reasons)
    return {reason.value: counted.get(reason.value, 0) for reason in Withheld}


@dataclass(frozen=True)
class MapBox:
    """The part of the world a map shows, and the size it is drawn at."""

    south: float
    west: float
    north: float
    east: float
    width: int = 800
    height: int = 500

    def project(self, latitude: float, longitude: float) -> tuple[float, float]:
        """Where a point falls on the drawing (x to the east, y to the south)."""
        x = (longitude - self.west) / (self.east - self.west) * self.width
        y = (self.north - latitude) / (self.north - self.south) * self.height
        return round(x, 1), round(y, 1)


def map_box(points: Iterable[tuple[float, float]], width: int = 800) -> MapBox | None:
    """A box around `points` with a margin, drawn `width` wide and as high as keeps the
    east-west scale true at its latitude (within 200 to 900); None when there is no point."""
    found = list(points)
    if not found:
        return None
    lats, lons = [p[0] for p in found], [p[1] for p in found]
    lat_span = max(max(lats) - min(lats), 0.01)
    lon_span = max(max(lons) - min(lons), 0.01)
    south, north = min(lats) - lat_span * 0.15, max(lats) + lat_span * 0.15
    west, east = min(lons) - lon_span * 0.15, max(lons) + lon_span * 0.15
    middle = math.cos(math.radians((north + south) / 2))
    height = round(width * (north - south) / ((east - west) * middle))
    return MapBox(south, west, north, east, width, min(max(height, 200), 900))
