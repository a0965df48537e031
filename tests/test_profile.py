"""Policy profiles: shipped ones load, broken ones stop the system naming the field."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from custos.errors import ConfigError
from custos.profile import load_profile, parse_profile, shipped_profiles

GOOD = (Path(__file__).resolve().parents[1] / "src/custos/profiles/kz-nvms.toml").read_text()


def test_shipped_profiles() -> None:
    assert shipped_profiles() == ["eu-edpb", "kz-nvms"]
    kz = load_profile("kz-nvms").profile
    assert (kz.retention.default_days, kz.retention.incident_days) == (30, 2557)
    assert kz.incident_retention.days >= 7 * 365
    eu = load_profile("eu-edpb").profile
    assert eu.default_retention.total_seconds() == 72 * 3600
    assert eu.retention.extension_requires_dpia
    for profile in (kz, eu):
        assert profile.access.strict.max_cameras < profile.access.normal.max_cameras


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("default_days = 30", "default_dayz = 30"), "field 'retention.default_dayz': unknown key"),
        (
            ("default_days = 30", "default_days = -1"),
            "field 'retention.default_days': Input should be greater than 0",
        ),
        (
            ("incident_days = 2557", "incident_days = 10"),
            "incident_days must not be shorter than default_days",
        ),
        (
            ("default_days = 30", "default_days = 30\nsensitive_days = 31"),
            "sensitive_days must not be longer than default_days",
        ),
        (('code = "cpc-kz-199"', 'code = "CPC 199"'), "field 'grounds.0.code'"),
        (("[storage]", "[storge]"), "field 'storge': unknown key"),
        (('name = "kz-nvms"', 'name = "kz-nvms'), "not valid TOML"),
        (("max_cameras = 3", "max_cameras = 30"), "strict.max_cameras must not exceed normal"),
        (("max_cameras = 10", "max_cameras = 0"), "field 'access.normal.max_cameras'"),
        (("[access.strict]", "[access.strikt]"), "field 'access.strikt': unknown key"),
    ],
)
def test_a_broken_profile_names_the_field(change: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_profile(GOOD.replace(*change), "test.toml")
    assert message in caught.value.message


def test_a_broken_policy_file_stops_the_real_command(tmp_path: Path) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text(GOOD.replace("grace_days = 30", 'grace_days = "a month"'))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    result = subprocess.run(
        [sys.executable, "-m", "custos", "init"],
        env={**env, "CUSTOS_DATA_DIR": str(tmp_path / "data"), "CUSTOS_POLICY": str(broken)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert "field 'emergency.grace_days'" in result.stderr
    assert not (tmp_path / "data").exists()


def test_unknown_profile_name() -> None:
    shipped = r"unknown policy profile 'kz' \(shipped: eu-edpb, kz-nvms\)"
    with pytest.raises(ConfigError, match=shipped):
        load_profile("kz")


def test_a_profile_may_keep_sensitive_sites_less_long() -> None:
    loaded = parse_profile(
        GOOD.replace("default_days = 30", "default_days = 30\nsensitive_days = 7"), "t.toml"
    )
    assert loaded.profile.retention_rules.sensitive == timedelta(days=7)
    assert parse_profile(GOOD, "t.toml").profile.retention_rules.sensitive is None
