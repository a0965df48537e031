"""`custos retention` and `custos incident`: the plan is a dry run, incidents change it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import custos


def test_retention_plan_is_a_dry_run_and_incidents_change_it(
    data_dir: Path, clip: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    custos(capsys, "init")
    custos(
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
    assert custos(capsys, "record", "--for", "4")[0] == 0
    recorded = json.loads(custos(capsys, "segments", "list", "--json")[1])
    later = (datetime.now(UTC) + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%S")
    code, out, _ = custos(capsys, "retention", "plan", "--at", later, "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["summary"] == {"default": len(recorded)}
    assert json.loads(custos(capsys, "segments", "list", "--json")[1]) == recorded  # nothing erased
    code, out, _ = custos(capsys, "retention", "sweep")
    assert (code, out.strip()) == (0, "erased 0 segments")

    now = datetime.now(UTC)
    code, out, err = custos(
        capsys,
        "incident",
        "add",
        "--camera",
        "door",
        "--from",
        (now - timedelta(seconds=3)).isoformat(),
        "--to",
        now.isoformat(),
        "--description",
        "fall",
        "--reference",
        "log 3",
        "--justification",
        "injury",
        "--offence",
    )
    assert code == 0, err
    plan = json.loads(custos(capsys, "retention", "plan", "--at", later, "--json")[1])
    assert plan["summary"] == {}  # the padded incident covers the whole short recording
    code, _, err = custos(
        capsys,
        "incident",
        "add",
        "--camera",
        "door",
        "--from",
        "yesterday",
        "--to",
        now.isoformat(),
        "--description",
        "x",
        "--reference",
        "y",
        "--justification",
        "z",
    )
    assert code == 4
    assert "--from: 'yesterday' is not a date and time" in err
    code, _, err = custos(
        capsys,
        "incident",
        "add",
        "--camera",
        "door",
        "--from",
        (now - timedelta(seconds=3)).isoformat(),
        "--to",
        now.isoformat(),
        "--description",
        "x",
        "--reference",
        "y",
        "--justification",
        " ",
    )
    assert code == 4
    assert "needs a justification" in err
