"""Data-subject fixtures: the export fixtures (a signing identity, a court listed) and a scene
of two real faces side by side."""

from __future__ import annotations

from access.conftest import two_people
from exports.conftest import court, identity

__all__ = ["court", "identity", "two_people"]
