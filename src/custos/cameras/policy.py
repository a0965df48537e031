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


class CameraStatus(StrEnum):
    """Lifecycle: a draft records nothing, an active camera records, a suspended one stops."""

    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"


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
