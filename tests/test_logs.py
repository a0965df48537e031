"""Logs: JSON lines carry the message and any extra fields."""

from __future__ import annotations

import json
import logging

import pytest

from custos.logs import configure_logging


def test_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("json")
        logging.getLogger("custos.recorder").warning(
            "camera %s dropped", "gate-1", extra={"camera": "gate-1"}
        )
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        root.handlers, root.level = saved[0], saved[1]
    assert line["message"] == "camera gate-1 dropped"
    assert (line["level"], line["logger"], line["camera"]) == (
        "warning",
        "custos.recorder",
        "gate-1",
    )
    assert line["time"].endswith("+00:00")
