"""`custos segments gaps --check`: stored footage and gap rows cover every camera's time line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from custos.config import Settings
from custos.recording.models import RecordingGap
from custos.setup import open_runtime
from helpers import custos


def test_two_runs_leave_a_gap_row_and_a_removed_row_is_a_hole(
    data_dir: Path, clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    code, _, err = custos(
        capsys,
        "camera",
        "add",
        "--name",
        "door",
        "--url",
        str(clip),
        "--category",
        "other",
        "--region",
        "R",
        "--segment-seconds",
        "2",
    )
    assert code == 0, err
    for _ in range(2):
        code, _, err = custos(capsys, "record", "--for", "3")
        assert code == 0, err
        time.sleep(1)  # the system is not running for a second
    code, out, err = custos(capsys, "segments", "gaps", "--json")
    assert code == 0, err
    (gap,) = json.loads(out)
    assert gap["reason"] == "system not running"
    assert gap["seconds"] >= 0.9
    code, out, err = custos(capsys, "segments", "gaps", "--check")
    assert (code, err) == (0, "")
    assert "covered" in out

    runtime = open_runtime(Settings())
    with runtime.sessions() as session:
        session.execute(sa.delete(RecordingGap))
        session.commit()
    runtime.close()
    code, out, _ = custos(capsys, "segments", "gaps", "--check")
    assert code == 1
    assert "HOLE door:" in out
    code, out, _ = custos(capsys, "segments", "gaps", "--check", "--json")
    (hole,) = json.loads(out)["holes"]
    assert hole["camera"] == "door"
    assert hole["started_at"] == gap["started_at"]
    assert hole["seconds"] == pytest.approx(gap["seconds"], abs=0.01)
