"""The deployment files: systemd units that systemd accepts, and a container recipe and compose
file whose commands, settings and health checks are the ones Custos has."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.main import get_command

from custos.cli import app
from custos.config import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
CUSTOS = Path(sys.executable).with_name("custos")
COMMANDS = set(get_command(app).commands)  # type: ignore[attr-defined]
SETTINGS = {f"CUSTOS_{name.upper()}" for name in Settings.model_fields}


@pytest.mark.parametrize("role", ["web", "record", "worker"])
def test_systemd_accepts_the_unit(role: str, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: make system-packages installs systemd")
    unit = (DEPLOY / "systemd" / f"custos-{role}.service").read_text()
    [command] = re.findall(r"^ExecStart=(\S+) (\S+)", unit, re.MULTILINE)
    assert command == ("/opt/custos/.venv/bin/custos", role)
    assert role in COMMANDS
    # Verified with this checkout's own custos in the place of the installed one.
    local = tmp_path / f"custos-{role}.service"
    local.write_text(unit.replace("/opt/custos/.venv/bin/custos", str(CUSTOS)))
    checked = subprocess.run(
        ["systemd-analyze", "verify", str(local)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == ""


def test_the_environment_example_names_only_real_settings() -> None:
    example = (DEPLOY / "systemd" / "custos.env.example").read_text()
    names = re.findall(r"^(CUSTOS_\w+)=", example, re.MULTILINE)
    assert names
    assert set(names) <= SETTINGS


def test_the_compose_file_runs_every_role_against_shared_services() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "s3", "init", "web", "recorder", "worker"} <= services.keys()
    for name in ("init", "web", "recorder", "worker"):
        service = services[name]
        assert service["command"][0] in COMMANDS
        environment = service["environment"]
        assert set(environment) <= SETTINGS, set(environment) - SETTINGS
        assert environment["CUSTOS_DATABASE_URL"].startswith("postgresql://")
        assert environment["CUSTOS_QUEUE_URL"].startswith("redis://")
        assert environment["CUSTOS_BLOB_URL"].startswith("s3://")
        Settings.model_validate(
            {k.removeprefix("CUSTOS_").lower(): v for k, v in environment.items()}
        )
    assert services["recorder"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert services["web"]["depends_on"]["init"]["condition"] == "service_completed_successfully"


def test_the_container_recipe_copies_what_exists_and_checks_healthz() -> None:
    recipe = (DEPLOY / "Containerfile").read_text()
    root = DEPLOY.parent
    for sources in re.findall(r"^COPY (.+) \S+$", recipe, re.MULTILINE):
        for source in sources.split():
            assert (root / source).exists(), source
    assert 'ENTRYPOINT ["custos"]' in recipe
    assert "/healthz" in recipe
    [cmd] = re.findall(r'^CMD \["(\w+)"', recipe, re.MULTILINE)
    assert cmd in COMMANDS
