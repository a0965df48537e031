"""`custos dpia`: an assessment drafted from a TOML file and approved by another DPO, each
acting by their API token; the camera it covers may then record."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from custos.config import load_settings
from custos.dpia.models import Assessment, AssessmentVersion
from custos.permissions import Role
from custos.setup import open_runtime
from custos.users import service as users
from helpers import CHEAP_PASSWORDS, call_of, custos, enrol_factor, give_token_code

ASSESSMENT = """
title = "Lake promenade"
description = "Two cameras over the promenade"
purposes = "Safety of walkers at night"
necessity = "Assaults reported; lighting alone did not help"
risks = "Couples and families filmed at leisure"
vulnerable_groups = "Children; elderly walkers"
measures = "Masking by default; no audio; 30 days"
dpo_opinion = "Proportionate"
scope = ["camera:lake-1", "camera:lake-2"]
analytics = ["faces"]
review_by = "{review_by}"
public_summary = "Promenade cameras at night, masked"

[[consultation]]
body = "Almaty Ombudsman"
answer = "No objection"
"""


def _tokens(tmp_path: Path) -> dict[str, Path]:
    """Two DPOs with API tokens that have given their second factor's code; their files."""
    runtime = open_runtime(load_settings())
    files = {}
    try:
        with runtime.sessions() as session:
            admin = call_of(session, runtime.clock)
            for name in ("dana", "olga"):
                users.create_user(
                    admin, name=name, role=Role.DPO, with_password=False,
                    passwords=CHEAP_PASSWORDS,
                )  # fmt: skip
                token, _ = users.issue_token(admin, name)
                secret = enrol_factor(session, runtime.clock, runtime.sealer, name)
                give_token_code(session, runtime.clock, runtime.sealer, token, secret)
                files[name] = tmp_path / f"{name}.token"
                files[name].write_text(token)
            # Only this test's assessment: the standing one would cover the camera already.
            session.execute(sa.delete(AssessmentVersion))
            session.execute(sa.delete(Assessment))
            session.commit()
            review_by = (runtime.clock.now() + timedelta(days=100)).isoformat()
    finally:
        runtime.close()
    (tmp_path / "dpia.toml").write_text(ASSESSMENT.format(review_by=review_by))
    return files


def test_an_assessment_from_the_shell_lets_its_camera_record(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    tokens = _tokens(tmp_path)
    add = ["camera", "add", "--name", "lake-1", "--url", "rtsp://lake.example/1",
           "--category", "other", "--region", "R", "--no-check"]  # fmt: skip
    code, _, err = custos(capsys, *add)
    assert code != 0
    assert "no approved impact assessment covers camera lake-1" in err

    draft = ["dpia", "draft", str(tmp_path / "dpia.toml"), "--token-file"]
    code, out, err = custos(capsys, *draft, str(tokens["dana"]))
    assert code == 0, err
    assert "drafted DPIA-1 v1" in out
    code, _, err = custos(capsys, "dpia", "approve", "DPIA-1", "--version", "1",
                          "--token-file", str(tokens["dana"]))  # fmt: skip
    assert code != 0
    assert "dana wrote this version" in err
    code, out, err = custos(capsys, "dpia", "approve", "DPIA-1", "--version", "1",
                            "--token-file", str(tokens["olga"]))  # fmt: skip
    assert code == 0, err
    assert "approved DPIA-1 v1" in out
    code, _, err = custos(capsys, *add)
    assert code == 0, err
    (listed,) = json.loads(custos(capsys, "dpia", "list", "--json")[1])
    assert (listed["reference"], listed["standing"], listed["scope"]) == (
        "DPIA-1", "current", ["camera:lake-1", "camera:lake-2"]
    )  # fmt: skip

    (tmp_path / "bad.toml").write_text('title = "x"\nscop = []\n')
    code, _, err = custos(capsys, "dpia", "draft", str(tmp_path / "bad.toml"),
                          "--token-file", str(tokens["dana"]))  # fmt: skip
    assert code != 0
    assert "unknown fields scop" in err
