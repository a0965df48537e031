"""`custos hold`: holds only inside open cases, by camera name, reviewed, and orphans listed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from custos.access import service as access
from custos.cases import service as cases
from custos.config import load_settings
from custos.retention import holds
from custos.setup import open_runtime
from helpers import INVESTIGATOR, call_of, custos

FORM = "%Y-%m-%dT%H:%M:%S"


def _cases_and_a_typo_hold() -> int:
    """Open case 12/2026-0457, closed case 12/2026-0100, and a hold on the typo 12/2026-9999
    as one could be placed before the case was checked; returns that hold's number."""
    runtime = open_runtime(load_settings())
    try:
        with runtime.sessions() as session:
            call = call_of(session, runtime.clock)
            ivan = call_of(session, runtime.clock, INVESTIGATOR)
            cases.open_case(ivan, "12/2026-0457", "cpc-kz-199", "robbery at the gate")
            cases.open_case(ivan, "12/2026-0100", "cpc-kz-199", "an old fraud")
            access.close_case(ivan, "12/2026-0100", "verdict")
            now = runtime.clock.now()
            hold = holds.place_hold(
                call,
                case_ref="12/2026-9999",
                reason="typo",
                scopes=[holds.Scope("gate-1", now - timedelta(hours=1), now)],
            )
            return hold.id
    finally:
        runtime.close()


def test_holds_go_only_inside_open_cases(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    custos(capsys, "camera", "add", "--name", "gate-1", "--url", "rtsp://gate.example/live",
           "--category", "other", "--region", "R", "--no-check")  # fmt: skip
    typo = _cases_and_a_typo_hold()
    now = datetime.now(UTC)
    window = ["--camera", "gate-1", "--from", (now - timedelta(hours=2)).strftime(FORM),
              "--to", (now - timedelta(hours=1)).strftime(FORM), "--reason", "trial"]  # fmt: skip

    code, _, err = custos(capsys, "hold", "place", "--case", "12/2026-9999", *window)
    assert code == 5
    assert "no case '12/2026-9999': a hold is placed inside an open case" in err
    assert "Traceback" not in err
    code, _, err = custos(capsys, "hold", "place", "--case", "12/2026-0100", *window)
    assert code == 6
    assert "case 12/2026-0100 is closed" in err
    code, _, err = custos(capsys, "hold", "place", "--case", "12/2026-0457", "--person", "P4",
                          *window)  # fmt: skip
    assert code == 4
    assert "has no person 'P4'" in err

    code, out, _ = custos(capsys, "hold", "place", "--case", "12/2026-0457", *window)
    assert code == 0, out
    placed = int(out.split()[1])
    listed = json.loads(custos(capsys, "hold", "list", "--json")[1])
    assert {h["id"]: (h["orphaned"], h["orphan_reason"]) for h in listed} == {
        placed: (False, None),
        typo: (True, "no such case"),
    }
    assert [s[0] for h in listed for s in h["scopes"]] == ["gate-1", "gate-1"]  # by name
    code, out, _ = custos(capsys, "hold", "list", "--orphaned")
    assert code == 0
    assert "12/2026-9999" in out
    assert "12/2026-0457" not in out
    assert "ORPHANED: no such case" in out

    keep_until = (now + timedelta(days=60)).strftime(FORM)
    code, out, _ = custos(capsys, "hold", "review", str(placed), "--until", keep_until,
                          "--reason", "trial postponed")  # fmt: skip
    assert code == 0, out
    assert f"next review due {keep_until[:10]}" in out
    code, _, err = custos(capsys, "hold", "review", str(typo), "--until", keep_until,
                          "--reason", "keep it")  # fmt: skip
    assert code == 6
    assert "release it instead" in err
    code, out, _ = custos(capsys, "hold", "release", str(typo), "--reason", "placed on a typo")
    assert (code, out.strip()) == (0, f"hold {typo} released")
    assert json.loads(custos(capsys, "hold", "list", "--orphaned", "--json")[1]) == []
