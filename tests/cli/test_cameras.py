"""`custos camera`: registering, listing and suspending cameras, and refusing bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import custos


def test_cameras(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    custos(capsys, "init")
    code, out, _ = custos(
        capsys,
        "camera",
        "add",
        "--name",
        "plaza",
        "--url",
        "rtsp://10.0.0.2/live",
        "--category",
        "public_safety",
        "--region",
        "Almaty",
        "--purpose",
        "Events on the square",
        "--tag",
        "worship",
    )
    assert code == 0
    assert "registered camera plaza (active)" in out
    code, out, _ = custos(capsys, "camera", "list", "--json")
    [camera] = json.loads(out)
    assert (camera["name"], camera["status"], camera["tags"], camera["purpose"]) == (
        "plaza",
        "active",
        ["worship"],
        "Events on the square",
    )
    code, out, _ = custos(capsys, "camera", "suspend", "plaza", "--reason", "maintenance")
    assert code == 0
    assert "plaza is suspended" in out
    code, _, err = custos(capsys, "camera", "suspend", "plaza")
    assert code == 6
    assert "a suspended camera cannot become suspended" in err
    code, _, err = custos(capsys, "camera", "suspend", "nowhere")
    assert code == 5
    assert "no camera named 'nowhere'" in err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--category", "traffic"], 2, "traffic"),
        (["--url", "ftp://10.0.0.2/live"], 4, "--url: unsupported source with 'ftp'"),
        (["--url", "relative/clip.mp4"], 4, "--url: unsupported source with no scheme"),
        (["--name", "Not OK"], 4, "--name: must be 1-64 characters"),
        (["--tag", "prison"], 2, "prison"),
    ],
)
def test_invalid_camera_is_refused(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    custos(capsys, "init")
    base = {
        "--name": "cam",
        "--url": "rtsp://10.0.0.2/live",
        "--category": "other",
        "--region": "R",
    }
    for option, value in zip(args[::2], args[1::2], strict=True):
        base[option] = value
    argv = [part for pair in base.items() for part in pair]
    got, _, err = custos(capsys, "camera", "add", *argv)
    assert got == code
    assert message in err
    assert json.loads(custos(capsys, "camera", "list", "--json")[1]) == []


def test_segment_length_out_of_range_is_refused(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    code, _, err = custos(
        capsys,
        "camera",
        "add",
        "--name",
        "c",
        "--url",
        "rtsp://h/x",
        "--category",
        "other",
        "--region",
        "R",
        "--segment-seconds",
        "90",
    )
    assert code == 4
    assert "--segment-seconds: Input should be less than or equal to 60" in err


def test_camera_status_lists_every_camera_worst_first(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import timedelta

    from custos.cameras import service as cameras
    from custos.config import load_settings
    from custos.recording.models import RecorderStatus
    from custos.setup import open_runtime

    custos(capsys, "init")
    for name in ("gate", "yard"):
        custos(capsys, "camera", "add", "--name", name, "--url", f"rtsp://{name}.example/live",
               "--category", "public_safety", "--region", "Almaty")  # fmt: skip
    runtime = open_runtime(load_settings(None))
    try:
        with runtime.sessions() as session:
            ids = cameras.camera_ids(session, ["gate", "yard"])
            now = runtime.clock.now()
            for name, state, reason, since in (
                ("gate", "recording", "", now - timedelta(hours=1)),
                ("yard", "down", "connection refused", now - timedelta(minutes=10)),
            ):
                session.add(
                    RecorderStatus(
                        camera_id=ids[name], recorder="test", state=state, reason=reason,
                        detail="", state_since=since, heartbeat_at=now, started_at=since,
                        last_segment_end=None, lag_s=None, bitrate_bps=None, fps=12.5,
                        width=640, height=480, codec="h264",
                    )
                )  # fmt: skip
            session.commit()
    finally:
        runtime.close()
    code, out, _ = custos(capsys, "camera", "status", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [(r["camera"], r["state"], r["reason"], r["red"]) for r in rows] == [
        ("yard", "down", "connection refused", True),
        ("gate", "recording", "", False),
    ]
    assert (rows[1]["resolution"], rows[1]["fps"]) == ("640x480", 12.5)
    code, out, _ = custos(capsys, "camera", "status")
    assert code == 0
    assert "RED" in out
    assert out.index("yard") < out.index("gate")
