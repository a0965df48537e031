"""The documentation says what the code does: every setting, permission and exit code is listed."""

from __future__ import annotations

import re
from pathlib import Path

from custos.cli import EXIT_CODES
from custos.config import setting_names
from custos.users.policy import PERMISSION_ROLES, Role

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
