"""`custos record`, `segments list` and `storage check`: a tampered segment is found."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import custos


def test_record_list_check_and_find_a_tampered_segment(
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
    code, out, err = custos(capsys, "record", "--for", "5")
    assert code == 0, err
    stored = int(re.search(r"door: (\d+) segments stored", out)[1])  # type: ignore[index]
    assert stored >= 2
    code, out, _ = custos(capsys, "segments", "list", "--camera", "door", "--json")
    segments = json.loads(out)
    assert len(segments) == stored
    assert {s["codec"] for s in segments} == {"h264"}
    code, out, _ = custos(capsys, "storage", "check")
    assert code == 0
    assert f"{stored} segments checked, {stored} good, 0 bad" in out

    victim = segments[1]
    [blob] = list((data_dir / "blobs").rglob(victim["id"]))
    damaged = bytearray(blob.read_bytes())
    damaged[100] ^= 0x20
    blob.write_bytes(bytes(damaged))
    code, out, err = custos(capsys, "storage", "check", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["checked"] == stored
    assert [bad["segment"] for bad in report["bad"]] == [victim["id"]]
    assert "does not match its digest" in report["bad"][0]["problem"]
    assert victim["id"] in err
