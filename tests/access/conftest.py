"""Access fixtures: a case with a person, a camera whose recorded footage shows a face."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from custos.access import service as access
from custos.access.models import AccessRequest, Grant
from custos.access.policy import Window
from custos.cases import service as cases
from custos.clock import FrozenClock
from custos.context import Actor, Call
from custos.recording.media import SegmentFile
from helpers import APPROVER, INVESTIGATOR, call_of, person_photo, segments_of, still_clip

PROFILE_NAME = "kz-nvms"


@pytest.fixture(scope="session")
def face_piece(tmp_path_factory: pytest.TempPathFactory) -> SegmentFile:
    """A recorded 2-second segment (20 frames) of a scene with one person's face in it."""
    canvas = np.full((480, 640, 3), 90, dtype=np.uint8)
    canvas[40:440, 380:606] = person_photo(226, 400)
    clip = still_clip(tmp_path_factory.mktemp("face") / "face.mp4", canvas, frames=20, rate=10)
    (first,) = segments_of(clip, 2)
    return first


@pytest.fixture(scope="session")
def two_people(tmp_path_factory: pytest.TempPathFactory) -> SegmentFile:
    """A recorded 2-second segment (20 frames) of two people standing side by side."""
    canvas = np.full((480, 640, 3), 90, dtype=np.uint8)
    canvas[40:440, 40:266] = person_photo(226, 400)
    canvas[40:440, 374:600] = person_photo(226, 400)
    clip = still_clip(tmp_path_factory.mktemp("two") / "two.mp4", canvas, frames=20, rate=10)
    (first,) = segments_of(clip, 2)
    return first


@dataclass
class Scene:
    """A case with person P1, and camera `hall` with three recorded segments 10 s apart."""

    case_id: int
    reference: str
    camera: str
    start: datetime  # of the first segment
    segments: list[str]

    def window(self, seconds_from: float = 0, seconds_to: float = 30) -> Window:
        """A window on the hall camera, in seconds from the first segment's start."""
        return Window(
            self.camera,
            self.start + timedelta(seconds=seconds_from),
            self.start + timedelta(seconds=seconds_to),
        )


@pytest.fixture
def scene(
    ivan: Call,
    clock: FrozenClock,
    archive: Callable[..., list[str]],
    face_piece: SegmentFile,
) -> Scene:
    """A case with one person under suspicion and recorded footage from an hour ago."""
    start = clock.now() - timedelta(hours=1)
    segments = archive("hall", start, 3, content=face_piece)
    case = cases.open_case(ivan, "12/2026-0457", "cpc-kz-199", "a robbery")
    cases.add_person(ivan, case.reference, "P1")
    return Scene(case.id, case.reference, "hall", start, segments)


@pytest.fixture
def file(db: Session, clock: FrozenClock, scene: Scene) -> Callable[..., AccessRequest]:
    """File a request in the scene's case (by the investigator unless told otherwise)."""

    def _file(
        windows: list[Window] | None = None, actor: Actor = INVESTIGATOR, **extra: Any
    ) -> AccessRequest:
        fields: dict[str, Any] = {
            "case_id": scene.case_id,
            "windows": windows or [scene.window()],
            "persons": ["P1"],
            "purpose": "identify who entered the hall",
            "justification": "witness places P1 in the hall at the time",
            "identification": False,
            **extra,
        }
        return access.file_request(call_of(db, clock, actor), **fields)

    return _file


@pytest.fixture
def grant(
    db: Session, clock: FrozenClock, file: Callable[..., AccessRequest]
) -> Callable[..., Grant]:
    """File a request and approve it as asked (by the approver), passing `approval` on."""

    def _grant(request: dict[str, Any] | None = None, **approval: Any) -> Grant:
        filed = file(**(request or {}))
        return access.approve(call_of(db, clock, APPROVER), filed.id, **approval)

    return _grant
