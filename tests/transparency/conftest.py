"""The figures are seeded through the access tests' case, footage and grants."""

from __future__ import annotations

from access.conftest import Scene, face_piece, file, grant, scene

__all__ = ["Scene", "face_piece", "file", "grant", "scene"]
