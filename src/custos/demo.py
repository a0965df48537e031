"""The demo deployment: three cameras that loop generated clips, and the first admin's sign-in."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraCategory, SensitivityTag
from custos.cameras.schemas import CameraCreate
from custos.config import Settings
from custos.context import Call
from custos.errors import NotFound
from custos.passwords import Passwords
from custos.recording.media import make_clip
from custos.setup import INITIAL_PASSWORD_FILE
from custos.users import service as users

DEMO_CLIP_SECONDS = 30

DEMO_CAMERAS: tuple[dict[str, Any], ...] = (
    {
        "name": "plaza-north",
        "category": CameraCategory.PUBLIC_SAFETY,
        "region": "Almaty",
        "location": "Republic Square, north side",
        "operator_org": "City Public Safety Centre",
        "purpose": "Public order on the square during events",
        "tags": [],
    },
    {
        "name": "school-gate",
        "category": CameraCategory.PUBLIC_SAFETY,
        "region": "Almaty",
        "location": "School No. 12, main gate",
        "operator_org": "City Public Safety Centre",
        "purpose": "Road safety at the crossing by the school gate",
        "tags": [SensitivityTag.SCHOOL],
    },
    {
        "name": "ministry-lobby",
        "category": CameraCategory.STATE_BODY,
        "region": "Astana",
        "location": "Ministry building, public lobby",
        "operator_org": "Ministry security service",
        "purpose": "Protection of a state building",
        "tags": [],
    },
)


def register_demo_cameras(call: Call, settings: Settings) -> list[str]:
    """Make the demo clips and register the demo cameras that are missing; returns those added."""
    clips = (settings.data_dir / "demo").resolve()
    clips.mkdir(mode=0o700, parents=True, exist_ok=True)
    added = []
    for phase, spec in enumerate(DEMO_CAMERAS):
        clip = clips / f"{spec['name']}.mp4"
        if not clip.exists():
            # Synthetic pictures (no person in them), looped by the recorder like a live feed.
            partial = clip.with_suffix(".partial.mp4")
            make_clip(partial, DEMO_CLIP_SECONDS, phase=phase * 40)
            partial.chmod(0o600)  # the data folder is its owner's alone
            partial.replace(clip)
        try:
            cameras.get_camera(call.session, spec["name"])
        except NotFound:
            data = CameraCreate(source_url=str(clips / f"{spec['name']}.mp4"), **spec)
            cameras.register_camera(call, data)
            added.append(spec["name"])
    return added


def first_admin_password(session: Session, settings: Settings, passwords: Passwords) -> str | None:
    """The one-time password `custos init` wrote down, while it still signs the first admin in."""
    password_file = settings.data_dir / INITIAL_PASSWORD_FILE
    password = password_file.read_text().strip() if password_file.exists() else None
    if password is None or not users.password_works(
        session, users.FIRST_ADMIN, password, passwords=passwords
    ):
        return None
    return password
