"""The root command: settings errors stop the real command, and importing it loads no engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run_custos(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    return subprocess.run(
        [sys.executable, "-m", "custos", *argv],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_unknown_variable_stops_the_real_command(tmp_path: Path) -> None:
    result = _run_custos("init", env={"CUSTOS_DATA_DIR": str(tmp_path), "CUSTOS_RETENTION": "30"})
    assert result.returncode == 3
    assert "unknown setting CUSTOS_RETENTION" in result.stderr
    assert not (tmp_path / "custos.db").exists()


def test_bad_settings_file_stops_the_real_command(tmp_path: Path) -> None:
    config = tmp_path / "custos.toml"
    config.write_text(f'data_dir = "{tmp_path}"\nsession_hours = "long"\n')
    result = _run_custos("--config", str(config), "init", env={})
    assert result.returncode == 3
    assert "invalid setting 'session_hours'" in result.stderr
    assert "custos.toml" in result.stderr
    assert not (tmp_path / "custos.db").exists()


HEAVY = ("av", "cv2", "onnxruntime", "uvicorn", "boto3")


@pytest.mark.parametrize(
    "script",
    [
        "import custos.cli",
        "import custos.cli; custos.cli.run(['version'])",
        "import custos.cli; custos.cli.run(['--help'])",
    ],
    ids=["import", "version", "help"],
)
def test_the_command_line_loads_no_engine_it_does_not_use(script: str) -> None:
    check = f"import sys; {script}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.splitlines()[-1] == "[]"
