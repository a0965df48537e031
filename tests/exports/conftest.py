"""Exports are made from grants: the access tests' case, footage and grants; the signing
identity `custos init` makes, and a court to export to."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from access.conftest import Scene, face_piece, file, grant, scene, two_people
from custos.clock import FrozenClock
from custos.exports import service
from custos.exports.policy import RecipientRole
from custos.runtime import Runtime
from custos.storage.certificates import create_content_identity
from custos.storage.keys import create_signing_key
from helpers import call_of

__all__ = [
    "Scene",
    "court",
    "face_piece",
    "file",
    "grant",
    "identity",
    "scene",
    "two_people",
]


@pytest.fixture
def identity(runtime: Runtime) -> Runtime:
    """The runtime with the signing identity `custos init` makes."""
    settings = runtime.settings
    create_content_identity(settings.content_keys_dir, "City of Almaty", dt.datetime.now(dt.UTC))
    create_signing_key(settings.export_key_path)
    return runtime


@pytest.fixture
def court(db: Session, clock: FrozenClock) -> int:
    """A court on the recipients list."""
    return service.add_recipient(
        call_of(db, clock),
        name="Judge A",
        organisation="Almaty City Court",
        role=RecipientRole.COURT,
    ).id
