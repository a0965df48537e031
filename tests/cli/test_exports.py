"""`custos export recipient`: the recipients list from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import custos


def test_recipients_are_listed_and_retired_from_the_shell(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    code, out, _ = custos(capsys, "export", "recipient", "add", "--name", "Judge A",
                          "--organisation", "Almaty City Court", "--role", "court")  # fmt: skip
    assert code == 0, out
    number = out.split()[1]
    code, _, err = custos(capsys, "export", "recipient", "add", "--name", "Counsel C",
                          "--role", "defence")  # fmt: skip
    assert code == 4
    assert "name the organisation of the defence counsel" in err
    listed = json.loads(custos(capsys, "export", "recipient", "list", "--json")[1])
    assert [(r["name"], r["role"]) for r in listed] == [("Judge A", "court")]
    code, out, _ = custos(capsys, "export", "recipient", "retire", number, "--reason", "moved")
    assert code == 0, out
    assert json.loads(custos(capsys, "export", "recipient", "list", "--json")[1]) == []
    code, out, _ = custos(capsys, "export", "recipient", "list", "--retired")
    assert "Judge A" in out
