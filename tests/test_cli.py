"""The `custos` command: set-up, users, cameras, and a clear exit code for every kind of mistake."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from custos import cli
from helpers import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def data_dir(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh data folder, and with PostgreSQL a fresh database too."""
    data = tmp_path / "data"
    monkeypatch.setenv("CUSTOS_DATA_DIR", str(data))
    if request.param == "sqlite":
        yield data
        return
    name = f"custos_cli_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("CUSTOS_DATABASE_URL", create_postgres_database(name))
    yield data
    drop_postgres_database(name)


def custos(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_init_is_idempotent(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = custos(capsys, "init")
    assert code == 0
    assert "first admin   admin / " in out
    key = (data_dir / "keys" / "kek.key").read_bytes()
    assert stat.S_IMODE((data_dir / "keys" / "kek.key").stat().st_mode) == 0o600
    password = (data_dir / "initial-admin-password").read_text().strip()
    assert password in out
    code, out, _ = custos(capsys, "init")
    assert code == 0
    assert "first admin" not in out
    assert "(kept)" in out
    assert (data_dir / "keys" / "kek.key").read_bytes() == key
    code, out, _ = custos(capsys, "user", "list", "--json")
    assert [u["name"] for u in json.loads(out)] == ["admin"]


def test_commands_before_init_say_so(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = custos(capsys, "camera", "list")
    assert code == 3
    assert "custos init" in err


def test_users(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    custos(capsys, "init")
    code, out, _ = custos(capsys, "user", "add", "ivan", "--role", "investigator")
    assert code == 0
    assert "one-time password for ivan (investigator): " in out
    code, out, _ = custos(capsys, "user", "add", "watchdog", "--role", "auditor", "--token")
    assert code == 0
    assert "token for watchdog (auditor): cst_" in out
    code, _, err = custos(capsys, "user", "add", "ivan", "--role", "operator")
    assert code == 6
    assert "exists already" in err
    code, _, err = custos(capsys, "user", "add", "eve", "--role", "superuser")
    assert code == 2
    assert "superuser" in err
    assert custos(capsys, "user", "disable", "ivan")[0] == 0
    code, out, _ = custos(capsys, "user", "list", "--json")
    assert {u["name"]: u["active"] for u in json.loads(out)} == {
        "admin": True,
        "ivan": False,
        "watchdog": True,
    }
    code, out, _ = custos(capsys, "user", "reset-password", "ghost")
    assert code == 5


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


def _run_custos(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    return subprocess.run(
        [sys.executable, "-m", "custos", *argv],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_unknown_variable_stops_the_real_command(tmp_path: Path) -> None:
    result = _run_custos("init", env={"CUSTOS_DATA_DIR": str(tmp_path), "CUSTOS_RETENTION": "30"})
    assert result.returncode == 3
    assert "unknown setting CUSTOS_RETENTION" in result.stderr
    assert not (tmp_path / "custos.db").exists()


def test_bad_settings_file_stops_the_real_command(tmp_path: Path) -> None:
    config = tmp_path / "custos.toml"
    config.write_text(f'data_dir = "{tmp_path}"\nsession_hours = "long"\n')
    result = _run_custos("--config", str(config), "init", env={})
    assert result.returncode == 3
    assert "invalid setting 'session_hours'" in result.stderr
    assert "custos.toml" in result.stderr
    assert not (tmp_path / "custos.db").exists()


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
    assert "does not match its hash" in report["bad"][0]["problem"]
    assert victim["id"] in err


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


def test_audit_checkpoint_verify_export_and_tampering(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    custos(capsys, "init")
    custos(capsys, "user", "add", "ivan", "--role", "investigator")
    code, out, _ = custos(capsys, "audit", "checkpoint")
    assert code == 0
    assert "signed checkpoint" in out
    code, out, _ = custos(capsys, "audit", "verify")
    assert code == 0
    assert "audit log verified: 3 entries" in out  # first admin, policy applied, ivan
    bundle = tmp_path / "bundle"
    code, out, _ = custos(capsys, "audit", "export", str(bundle))
    assert code == 0
    assert custos(capsys, "audit", "verify", "--bundle", str(bundle))[0] == 0
    (bundle / "log.vkey").write_text(
        (bundle / "log.vkey").read_text().replace("custos/", "impostor/", 1)
    )
    code, _, err = custos(capsys, "audit", "verify", "--bundle", str(bundle))
    assert code == 1
    assert "the key id does not match the key" in err

    from custos.config import load_settings
    from custos.db import create_engine

    engine = create_engine(load_settings().database)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DROP TRIGGER audit_entries_no_update")
        else:
            connection.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        connection.exec_driver_sql("UPDATE audit_entries SET actor = 'nobody' WHERE seq = 1")
    engine.dispose()
    code, _, err = custos(capsys, "audit", "verify")
    assert code == 1
    assert "entry 1 does not match its leaf hash" in err


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
