"""The import contracts hold, and they would catch a domain reading another domain's tables."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import custos

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(source: Path) -> subprocess.CompletedProcess[str]:
    """Run the project's contracts over the package found in `source`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_contracts_hold_on_the_code_as_it_is() -> None:
    result = _lint_imports(Path(custos.__file__).parents[1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_domain_importing_another_domains_models_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "custos"
    shutil.copytree(Path(custos.__file__).parent, copy)
    policy = copy / "access" / "service.py"
    policy.write_text(policy.read_text() + "\nfrom custos.cameras.models import Camera  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "access reads no other domain's tables BROKEN" in result.stdout
    assert "custos.access.service -> custos.cameras.models" in result.stdout


def test_retention_reading_the_segments_table_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "custos"
    shutil.copytree(Path(custos.__file__).parent, copy)
    sweeper = copy / "retention" / "sweeper.py"
    sweeper.write_text(
        sweeper.read_text() + "\nfrom custos.recording.models import Segment  # noqa\n"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "retention reads no other domain's tables BROKEN" in result.stdout
    assert "custos.retention.sweeper -> custos.recording.models" in result.stdout


def test_a_lower_layer_calling_a_higher_one_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "custos"
    shutil.copytree(Path(custos.__file__).parent, copy)
    service = copy / "cameras" / "service.py"
    service.write_text(service.read_text() + "\nfrom custos.access import service as _a  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1
    assert "custos.cameras is not allowed to import custos.access" in result.stdout
