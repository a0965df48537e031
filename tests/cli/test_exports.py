"""`custos export recipient`: the recipients list from the shell."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from custos.access import service as access
from custos.access.policy import Window
from custos.cases import service as cases
from custos.config import load_settings
from custos.exports import service as exports
from custos.exports.credentials import read_credentials
from custos.exports.policy import RecipientRole
from custos.permissions import Role
from custos.recording import service as recording
from custos.redaction.choices import FACE_THRESHOLD
from custos.redaction.detectors import CenterFace
from custos.runtime import Runtime
from custos.setup import open_runtime
from custos.users import service as users
from helpers import (
    APPROVER,
    CHEAP_PASSWORDS,
    INVESTIGATOR,
    SHARED_TESTDATA,
    RtspCamera,
    call_of,
    custos,
    person_photo,
)

FACE_VIDEO = SHARED_TESTDATA / "video" / "gen1_test_video.mp4"


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


def _granted_export(runtime: Runtime) -> tuple[int, int, int, str]:
    """Ivan's case, his request for what the hall camera recorded with export sought, Anna's
    approval, a court listed: the grant, its window, the recipient and Ivan's token."""
    with runtime.sessions() as session:
        admin = call_of(session, runtime.clock)
        users.create_user(
            admin, name="ivan", role=Role.INVESTIGATOR, with_password=False,
            passwords=CHEAP_PASSWORDS,
        )  # fmt: skip
        token, _ = users.issue_token(admin, "ivan", label="export")
        stored = [segment for segment, _ in recording.list_segments(session, "hall")]
        ivan = call_of(session, runtime.clock, INVESTIGATOR)
        now = runtime.clock.now()
        case = cases.open_case(ivan, "12/2026-0458", "cpc-kz-199", "an assault in the hall")
        cases.add_person(ivan, case.reference, "P1")
        filed = access.file_request(
            ivan,
            case_id=case.id,
            # A file's last frame ends a frame's time after it was read: not in the future.
            windows=[Window("hall", stored[0].started_at, min(stored[-1].ended_at, now))],
            persons=["P1"],
            purpose="the court asks for the footage",
            justification="P1 is seen in the hall",
            identification=False,
            export=True,
        )
        granted = access.approve(call_of(session, runtime.clock, APPROVER), filed.id)
        court = exports.add_recipient(
            admin, name="Judge A", organisation="Almaty City Court", role=RecipientRole.COURT
        )
        return granted.id, granted.windows[0].id, court.id, token


def test_an_export_made_from_the_shell_verifies_and_tampering_fails(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A file camera looping the real face video is recorded, a window of it granted for
    export, exported by the grant's holder, and checked with no database."""
    custos(capsys, "init")
    camera = ["--name", "hall", "--url", str(FACE_VIDEO), "--category", "other",
              "--region", "R", "--segment-seconds", "2"]  # fmt: skip
    code, _, err = custos(capsys, "camera", "add", *camera)
    assert code == 0, err
    code, _, err = custos(capsys, "record", "--for", "5")
    assert code == 0, err
    runtime = open_runtime(load_settings())
    try:
        grant, window, court, token = _granted_export(runtime)
    finally:
        runtime.close()
    package = tmp_path / "to-the-court"
    token_file = tmp_path / "token"
    arguments = ["export", "create", "--grant", str(grant), "--window", str(window),
                 "--recipient", str(court), "--out", str(package),
                 "--token-file", str(token_file)]  # fmt: skip
    token_file.write_text("")
    code, _, err = custos(capsys, *arguments)
    assert code == 7  # no token: nobody to act as
    assert "is empty" in err
    token_file.write_text(token + "\n")
    code, out, err = custos(capsys, *arguments)
    assert code == 0, err
    assert "sealed in" in out
    (listed,) = json.loads(custos(capsys, "export", "list", "--json")[1])
    assert (listed["state"], listed["recipient"]) == ("ready", "Judge A")
    by_range = ["export", "create", "--grant", str(grant), "--recipient", str(court),
                "--out", str(tmp_path / "p2"), "--token-file", str(token_file)]  # fmt: skip
    code, _, err = custos(capsys, *by_range, "--window", str(window), "--range", str(window))
    assert code != 0
    assert "give --window (with --from, --to) or one or more --range" in err
    code, _, err = custos(capsys, *by_range, "--range", f"{window},soon")
    assert code != 0
    assert "give WINDOW or WINDOW,FROM,TO" in err
    code, out, err = custos(capsys, *by_range, "--range", str(window))
    assert code == 0, err
    assert [p.name[:3] for p in (tmp_path / "p2" / "video").iterdir()] == ["01-"]

    moved = tmp_path / "elsewhere" / "to-the-court"  # no database, no settings near it
    shutil.copytree(package, moved)
    code, out, _ = custos(capsys, "verify", str(moved))
    assert code == 0, out
    assert "content credentials Trusted" in out
    (video,) = (moved / "video").iterdir()
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0x01
    video.write_bytes(bytes(data))
    code, out, err = custos(capsys, "verify", str(moved))
    assert code == 1
    assert f"FAILED files: video/{video.name} has changed" in out
    assert f"FAILED c2pa: video/{video.name} is Invalid" in out


@pytest.mark.parametrize("data_dir", ["sqlite"], indirect=True)  # the database is not its point
def test_an_export_of_a_recorded_rtsp_camera_verifies_alone_and_masks_the_face(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rtsp_camera: Callable[..., RtspCamera],
) -> None:
    """A real RTSP camera filming a person is recorded, a window of it exported: the package
    verifies in a folder with no database, with `custos verify` and with its own one-file
    verifier; its video is Trusted, masks the face, and is Invalid after one byte changes."""
    canvas = np.full((720, 1280, 3), 90, dtype=np.uint8)
    canvas[40:680, 460:820] = person_photo(360, 640)
    cv2.imwrite(str(tmp_path / "hall.png"), canvas)
    camera = rtsp_camera(image=tmp_path / "hall.png", size="1280x720")
    custos(capsys, "init")
    code, _, err = custos(capsys, "camera", "add", "--name", "hall", "--url", camera.url,
                          "--category", "other", "--region", "R",
                          "--segment-seconds", "2")  # fmt: skip
    assert code == 0, err
    code, _, err = custos(capsys, "record", "--for", "6")
    assert code == 0, err
    runtime = open_runtime(load_settings())
    try:
        grant, window, court, token = _granted_export(runtime)
    finally:
        runtime.close()
    token_file = tmp_path / "token"
    token_file.write_text(token)
    package = tmp_path / "to-the-court"
    code, _, err = custos(capsys, "export", "create", "--grant", str(grant), "--window",
                          str(window), "--recipient", str(court), "--out", str(package),
                          "--token-file", str(token_file))  # fmt: skip
    assert code == 0, err

    moved = tmp_path / "elsewhere" / "to-the-court"
    shutil.copytree(package, moved)
    code, out, _ = custos(capsys, "verify", str(moved))
    assert code == 0, out
    alone = subprocess.run(
        [sys.executable, "-I", "verify_package.py", "."],
        cwd=moved, capture_output=True, text=True, env={"PATH": os.environ["PATH"]},
        check=False,
    )  # fmt: skip
    assert alone.returncode == 0, alone.stdout + alone.stderr
    (video,) = (moved / "video").iterdir()
    root = (moved / "keys" / "content-root.pem").read_bytes()
    assert read_credentials(video, root).state == "Trusted"
    with av.open(str(video)) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(frames) >= 30
    below_working = CenterFace(threshold=FACE_THRESHOLD * 2 / 3)
    assert [i for i, f in enumerate(frames) if below_working.detect(f)] == []
    unmasked = CenterFace(threshold=FACE_THRESHOLD).detect(canvas)
    assert unmasked  # the face the camera films is one the detector finds
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0x01
    video.write_bytes(bytes(data))
    assert read_credentials(video, root).state == "Invalid"
    alone = subprocess.run(
        [sys.executable, "-I", "verify_package.py", "."],
        cwd=moved, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert alone.returncode == 1
    assert f"FAILED files: video/{video.name} has changed" in alone.stdout
