"""`custos camera`: registering, listing and suspending cameras, and refusing bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custos.recording.policy import GapReason
from helpers import custos

ADD = ["camera", "add", "--category", "other", "--region", "R"]


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
        "--no-check",
    )
    assert code == 0
    assert "registered camera plaza (active): not tried (--no-check)" in out
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
               "--category", "public_safety", "--region", "Almaty", "--no-check")  # fmt: skip
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


@pytest.mark.parametrize(
    ("reason", "advice"),
    [
        (GapReason.HOST_UNREACHABLE, "nothing answers at that address"),
        (GapReason.CONNECTION_REFUSED, "nothing listens on that port"),
        (GapReason.AUTHENTICATION_FAILED, "check the credentials in the URL"),
        (GapReason.NOT_A_VIDEO_STREAM, "nothing Custos reads as video"),
    ],
)
def test_a_camera_whose_source_fails_is_refused_in_plain_words(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    failing_sources: dict[GapReason, str],
    reason: GapReason,
    advice: str,
) -> None:
    custos(capsys, "init")
    url = failing_sources[reason]
    code, _, err = custos(capsys, *ADD, "--name", "cam", "--url", url)
    assert code == 10
    assert f"--url: the source cannot be recorded: {reason}: " in err
    assert advice in err
    assert "--no-check registers the camera anyway" in err
    assert "not-the-password" not in err
    assert json.loads(custos(capsys, "camera", "list", "--json")[1]) == []
    code, out, _ = custos(capsys, *ADD, "--name", "cam", "--url", url, "--no-check")
    assert code == 0
    assert "registered camera cam (active): not tried" in out


def test_a_file_camera_is_tried_and_what_it_sends_is_shown(
    data_dir: Path, capsys: pytest.CaptureFixture[str], clip: Path, tmp_path: Path
) -> None:
    custos(capsys, "init")
    code, out, err = custos(capsys, *ADD, "--name", "door", "--url", str(clip))
    assert code == 0, err
    assert "registered camera door (active): h264 640x360 at 15 fps" in out
    code, _, err = custos(capsys, *ADD, "--name", "gone", "--url", str(tmp_path / "gone.mp4"))
    assert code == 10
    assert "stream not found" in err


def test_edit_a_camera(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    clip: Path,
    failing_sources: dict[GapReason, str],
) -> None:
    custos(capsys, "init")
    assert custos(capsys, *ADD, "--name", "door", "--url", str(clip))[0] == 0
    code, out, err = custos(
        capsys,
        "camera",
        "edit",
        "door",
        "--location",
        "Back door",
        "--purpose",
        "Deliveries",
        "--segment-seconds",
        "4",
    )
    assert code == 0, err
    assert "camera door updated" in out
    refused = failing_sources[GapReason.CONNECTION_REFUSED]
    code, _, err = custos(capsys, "camera", "edit", "door", "--url", refused)
    assert code == 10
    assert "--url: the source cannot be recorded: connection refused" in err
    code, _, err = custos(capsys, "camera", "edit", "door", "--segment-seconds", "90")
    assert code == 4
    assert "--segment-seconds: Input should be less than or equal to 60" in err
    code, _, err = custos(capsys, "camera", "edit", "door", "--url", "ftp://x/y")
    assert code == 4
    assert "--url: unsupported source with 'ftp'" in err
    code, _, err = custos(capsys, "camera", "edit", "door")
    assert code == 4
    assert "give a new source, location, purpose, segment length or priority" in err
    code, _, err = custos(capsys, "camera", "edit", "nowhere", "--location", "x")
    assert code == 5
    code, out, _ = custos(capsys, "camera", "edit", "door", "--url", refused, "--no-check")
    assert code == 0
    [camera] = json.loads(custos(capsys, "camera", "list", "--json")[1])
    assert (camera["source_url"], camera["location"], camera["purpose"]) == (
        refused,
        "Back door",
        "Deliveries",
    )
    assert camera["segment_seconds"] == 4


def test_a_camera_is_placed_and_withheld_from_the_register_from_the_shell(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    code, _, err = custos(capsys, *ADD, "--name", "gate", "--url", "rtsp://gate.example/1",
                          "--no-check", "--lat", "43.2389", "--lon", "76.9455",
                          "--signage", "Signs at the gate")  # fmt: skip
    assert code == 0, err
    code, _, err = custos(capsys, "camera", "withhold", "gate", "--note", "the water works",
                          "--reason", "critical_infrastructure")  # fmt: skip
    assert code == 0, err
    code, _, err = custos(capsys, "camera", "withhold", "gate", "--reason", "no_reason",
                          "--note", "x")  # fmt: skip
    assert code != 0
    code, out, err = custos(capsys, "camera", "publish", "gate", "--note", "public again")
    assert code == 0, err
    assert "on the public register" in out
    code, _, err = custos(capsys, "camera", "publish", "gate")
    assert code != 0
    assert "on the public register already" in err
