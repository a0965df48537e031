"""`custos inspect`: the findings from the shell; exit 1 when one is of high severity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from custos.config import load_settings
from custos.dpia.models import Assessment, AssessmentVersion
from helpers import custos


def test_the_shell_lists_findings_and_fails_on_a_grave_one(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    code, out, err = custos(capsys, "inspect")
    assert code == 0, err
    assert "no_witness" in out  # nobody watches the new log yet: worth acting on, not grave
    code, _, err = custos(capsys, "camera", "add", "--name", "gate", "--url", "rtsp://g.example/1",
                          "--category", "other", "--region", "R", "--no-check")  # fmt: skip
    assert code == 0, err
    engine = sa.create_engine(load_settings().database)
    with engine.begin() as connection:  # the assessment vanishes behind the system's back
        connection.execute(sa.delete(AssessmentVersion))
        connection.execute(sa.delete(Assessment))
    engine.dispose()
    code, out, _ = custos(capsys, "inspect", "--json")
    assert code == 1
    signed = json.loads(out)
    assert ("camera_without_dpia", "gate") in [
        (f["rule"], f["subject"]) for f in signed["findings"]
    ]
    assert signed["signature"].startswith("custos-inspection-report/1\n")
