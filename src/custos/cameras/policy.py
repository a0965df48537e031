"""Pure rules of the camera registry: categories, sensitivity tags, source URLs, status changes."""

from __future__ import annotations

import posixpath
import re
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit


class CameraCategory(StrEnum):
    """Legal category: the three of the Law on Informatization art. 30-1 §3, plus other."""

    STATE_BODY = "state_body"
    TERROR_VULNERABLE = "terror_vulnerable"
    PUBLIC_SAFETY = "public_safety"
    OTHER = "other"


class SensitivityTag(StrEnum):
    """Sites whose footage concerns vulnerable groups or private life; stricter rules apply."""

    SCHOOL = "school"
    MEDICAL = "medical"
    SHELTER = "shelter"
    WORSHIP = "worship"
    RESIDENTIAL = "residential"


SITE_NAMES: dict[str, str] = {
    SensitivityTag.SCHOOL: "a school",
    SensitivityTag.MEDICAL: "a clinic or hospital",
    SensitivityTag.SHELTER: "a shelter",
    SensitivityTag.WORSHIP: "a place of worship",
    SensitivityTag.RESIDENTIAL: "a home",
}
"""Each kind of sensitive site as a sentence names it: 'camera school-3 is a school'."""


class CameraStatus(StrEnum):
    """Lifecycle: a draft records nothing, an active camera records, a suspended one stops."""

    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Withheld(StrEnum):
    """Why a camera is kept off the public register."""

    NATIONAL_SECURITY = "national_security"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    PROTECTED_PERSON = "protected_person"  # it would reveal where a person at risk lives


class Suspension(StrEnum):
    """Why a camera was suspended: by a person, or because no assessment covers it now."""

    OPERATOR = "operator"
    DPIA_EXPIRED = "dpia_expired"


ALLOWED_TRANSITIONS: dict[CameraStatus, frozenset[CameraStatus]] = {
    CameraStatus.DRAFT: frozenset({CameraStatus.ACTIVE}),
    CameraStatus.ACTIVE: frozenset({CameraStatus.SUSPENDED}),
    CameraStatus.SUSPENDED: frozenset({CameraStatus.ACTIVE}),
}

INITIAL_STATUSES = frozenset({CameraStatus.DRAFT, CameraStatus.ACTIVE})

MIN_SEGMENT_SECONDS = 2
MAX_SEGMENT_SECONDS = 60
DEFAULT_SEGMENT_SECONDS = 10

NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https")
CAMERA_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def transition_problem(current: CameraStatus, target: CameraStatus) -> str | None:
    """Why a camera cannot go from `current` to `target`, or None if it can."""
    if target not in ALLOWED_TRANSITIONS[current]:
        return f"a {current} camera cannot become {target}"
    return None


def camera_name_problem(name: str) -> str | None:
    """Why `name` cannot name a camera, or None."""
    if not CAMERA_NAME.match(name):
        return (
            "must be 1-64 characters: lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return None


def normalise_source(source: str) -> str:
    """Check a camera source and return its canonical form; ValueError says what is wrong.

    Accepted: rtsp://, rtsps://, http://, https:// with a host, and absolute file paths
    (given bare or as file:///path). File sources are stored as plain absolute paths.
    """
    source = source.strip()
    if not source:
        raise ValueError("the source is empty")
    if source.startswith("/"):
        return posixpath.normpath(source)
    parts = urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError("file sources need an absolute path: file:///path/to/video.mp4")
        return posixpath.normpath(parts.path)
    if scheme not in NETWORK_SCHEMES:
        shown = f"'{scheme}'" if scheme else "no scheme"
        raise ValueError(
            f"unsupported source with {shown}: use rtsp://, rtsps://, http://, https:// "
            "or an absolute file path"
        )
    if not parts.hostname:
        raise ValueError(f"the {scheme}:// source has no host")
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))


def redact_source(source: str) -> str:
    """The source with any password replaced by ***, for display and logs."""
    parts = urlsplit(source)
    if not parts.password:
        return source
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, ""))


# --- privacy zones -----------------------------------------------------------------------------

Point = tuple[float, float]  # x, y as fractions of the picture's width and height (0..1)

MAX_ZONE_POINTS = 64
MIN_ZONE_AREA = 1e-4  # a hundredth of a percent of the picture: anything smaller is a slip
ZONE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


def polygon_area(points: list[Point]) -> float:
    """The area of a simple polygon (shoelace formula), as a fraction of the picture."""
    twice = sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True)
    )
    return abs(twice) / 2


def zone_problem(name: str, points: list[Point]) -> str | None:
    """Why a privacy zone cannot be used as given, or None if it can."""
    if not ZONE_NAME.match(name):
        return "a zone name is 1-64 letters, digits, spaces, '.', '_' or '-'"
    if not 3 <= len(points) <= MAX_ZONE_POINTS:
        return f"a zone has 3 to {MAX_ZONE_POINTS} corners, not {len(points)}"
    for x, y in points:
        if not (0 <= x <= 1 and 0 <= y <= 1):
            return (
                f"corner ({x}, {y}) is outside the picture: corners are fractions of its "
                "width and height, from 0 to 1"
            )
    if polygon_area(points) < MIN_ZONE_AREA:
        return "the zone encloses no area: its corners lie on one line or on one point"
    return None


def parse_points(text: str) -> list[Point]:
    """Corners typed as 'x,y x,y x,y' (fractions); ValueError naming the bad corner."""
    points = []
    for corner in text.replace(";", " ").split():
        parts = corner.split(",")
        if len(parts) != 2:
            raise ValueError(f"'{corner}' is not a corner: write x,y such as 0.25,0.5")
        try:
            points.append((float(parts[0]), float(parts[1])))
        except ValueError:
            raise ValueError(f"'{corner}' is not a corner: write x,y such as 0.25,0.5") from None
    return points
