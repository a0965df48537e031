"""The demo deployment: three cameras that loop generated clips, and the first admin's sign-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from custos.cameras import service as cameras
from custos.cameras.policy import CameraCategory, SensitivityTag
from custos.cameras.schemas import CameraCreate
from custos.config import Settings
from custos.context import Actor, Call
from custos.dpia import service as dpia
from custos.dpia.policy import Analytics, CameraFacts, Content, activation_problem
from custos.errors import NotFound
from custos.passwords import Passwords
from custos.permissions import Role
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


DEMO_ASSESSMENT = "Demo cameras of the city"
DEMO_AUTHOR, DEMO_APPROVER = "demo-dpo-aigerim", "demo-dpo-serik"


def approve_demo_assessment(call: Call) -> str | None:
    """Draft and approve the demo's impact assessment (by two demo DPOs) unless one in force
    covers the demo cameras; returns its reference when it did."""
    facts = [
        CameraFacts(spec["name"], spec["region"], spec["category"].value, tuple(spec["tags"]))
        for spec in DEMO_CAMERAS
    ]
    now = call.clock.now()
    approved = dpia.assessed(call.session, now, call.profile.dpia.grace_days)
    if all(activation_problem(camera, approved) is None for camera in facts):
        return None
    existing = next(
        (
            a.reference
            for a in dpia.assessments(call.session)
            if a.versions and a.versions[-1].title == DEMO_ASSESSMENT
        ),
        None,
    )
    said = "The demo's three cameras loop generated clips: nobody is filmed."
    content = Content(
        title=DEMO_ASSESSMENT,
        description="Three demo cameras: a square, a school gate, a ministry lobby. " + said,
        purposes="Showing how Custos records, masks and controls access.",
        necessity="A demonstration needs footage; generated clips film no one.",
        risks="None to real people: " + said,
        vulnerable_groups="Pupils at the school gate, in a real deployment; none here.",
        measures="Masking by default, case-bound dual-control access, 30-day retention.",
        consultation=(),
        dpo_opinion="Acceptable for a demonstration.",
        scope=tuple(f"camera:{spec['name']}" for spec in DEMO_CAMERAS),
        analytics=(Analytics.FACES.value, Analytics.PLATES.value),
        review_by=now + timedelta(days=min(180, call.profile.dpia.longest_review_days)),
        public_summary="Demo cameras looping generated clips; no one is filmed.",
        zones_not_needed="The demo's school gate loops a generated clip: there is no one and "
        "nothing private in it to hide.",
    )
    as_author = Call(call.session, call.clock, Actor(DEMO_AUTHOR, Role.DPO.value), call.profile)
    version = dpia.draft(as_author, content, existing)
    reference = dpia.reference_of(call.session, version)
    as_approver = Call(call.session, call.clock, Actor(DEMO_APPROVER, Role.DPO.value), call.profile)
    dpia.approve(as_approver, reference, version.version)
    return reference


def register_demo_cameras(call: Call, settings: Settings) -> list[str]:
    """Make the demo clips and register the demo cameras that are missing (under the demo's
    impact assessment); returns those added."""
    approve_demo_assessment(call)
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
