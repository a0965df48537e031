"""The documentation says what the code does: every setting, permission and exit code is listed."""

from __future__ import annotations

import re
from pathlib import Path

from custos.cli import EXIT_CODES
from custos.config import setting_names
from custos.permissions import PERMISSION_ROLES, Role
from custos.profile import load_profile

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    for name in setting_names():
        assert f"`{name}`" in text, name


def test_role_table_matches_the_policy() -> None:
    text = (DOCS / "roles.md").read_text()
    header = [
        cell.strip() for cell in re.search(r"^\| permission \|(.+)\|$", text, re.M)[1].split("|")
    ]  # type: ignore[index]
    assert header == [role.value for role in Role]
    for permission, roles in PERMISSION_ROLES.items():
        row = re.search(rf"^\| `{permission.value}`[^|]*\|(.+)\|$", text, re.M)
        assert row, permission
        marks = [cell.strip() == "✓" for cell in row[1].split("|")]
        assert {role for role, mark in zip(Role, marks, strict=True) if mark} == roles, permission


def test_every_exit_code_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    for code in {*EXIT_CODES.values(), 0, 2}:
        assert re.search(rf"^\| {code} \|", text, re.M), code


def test_access_limits_table_matches_the_profiles() -> None:
    text = (DOCS / "access.md").read_text()
    rows = {
        name: [cell.strip() for cell in row.split("|")]
        for name, row in re.findall(r"^\| ([a-z ]+) \|(.+)\|$", text, re.M)
    }
    fields = {
        "cameras per request": "max_cameras",
        "hours of footage in all": "max_total_hours",
        "hours per window": "max_window_hours",
        "how far back a window may start": "max_footage_age_days",
        "how long a grant lasts": "grant_days",
    }
    columns = [(name, kind) for name in ("kz-nvms", "eu-edpb") for kind in ("normal", "strict")]
    for label, field in fields.items():
        shown = [float(cell.split()[0]) for cell in rows[label]]
        expected = [
            getattr(getattr(load_profile(name).profile.access, kind), field)
            for name, kind in columns
        ]
        assert shown == expected, label
