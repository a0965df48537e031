"""`custos transparency report --bundle`: the public figures from an audit export, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import custos


def test_figures_recomputed_from_an_export_and_refused_from_a_changed_one(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    custos(capsys, "audit", "checkpoint")
    bundle = tmp_path / "export"
    code, _, err = custos(capsys, "audit", "export", str(bundle))
    assert code == 0, err
    code, out, err = custos(capsys, "transparency", "report", "--bundle", str(bundle), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["minimum_count"] == 5
    assert report["checkpoint"]["size"] > 0
    entries = bundle / "entries.jsonl"
    entries.write_bytes(entries.read_bytes().replace(b'"success"', b'"failure"', 1))
    code, _, err = custos(capsys, "transparency", "report", "--bundle", str(bundle))
    assert code == 1
    assert "does not verify" in err
