"""`custos init`: set-up that can run again, and what commands say before it has run."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from helpers import custos


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


def test_the_data_folder_is_the_owners_only(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = os.umask(0o022)
    try:
        data_dir.mkdir(mode=0o755)  # made by hand before: init tightens it
        code, _, err = custos(capsys, "init")
        assert code == 0, err
        code, _, err = custos(capsys, "camera", "list")  # opens the database again
        assert code == 0, err
    finally:
        os.umask(previous)
    modes = {
        path.relative_to(data_dir).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in [data_dir, *data_dir.rglob("*")]
    }
    assert modes["."] == 0o700
    assert {name for name, mode in modes.items() if mode not in (0o600, 0o700)} == set()
    files = {name for name, mode in modes.items() if mode == 0o600}
    assert {"keys/kek.key", "keys/log-signing.key", "initial-admin-password"} <= files
    assert "custos.db" in files or "CUSTOS_DATABASE_URL" in os.environ


def test_init_tightens_a_database_an_older_version_left_open(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert custos(capsys, "init")[0] == 0
    database = data_dir / "custos.db"
    if "CUSTOS_DATABASE_URL" in os.environ:  # PostgreSQL: no database file to keep
        assert not database.exists()
        return
    database.chmod(0o644)
    assert custos(capsys, "init")[0] == 0
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_commands_before_init_say_so(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = custos(capsys, "camera", "list")
    assert code == 3
    assert "custos init" in err


def test_web_serves_without_recorders(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = custos(capsys, "web", "--help")
    assert code == 0
    assert "web server only" in out
    assert "--record" not in out


@pytest.mark.parametrize(
    ("argv", "record", "work"),
    [(["web"], False, False), (["serve"], True, True), (["serve", "--no-record"], False, True)],
)
def test_serve_and_web_start_the_server_with_or_without_recorders_and_jobs(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    record: bool,
    work: bool,
) -> None:
    from custos import server

    started: list[tuple[str, int, bool, bool]] = []
    # The seam between the command and the long-running server: the command's wiring only.
    monkeypatch.setattr(
        server,
        "serve",
        lambda runtime, host, port, *, record, work: started.append((host, port, record, work)),
    )
    custos(capsys, "init")
    code, out, _ = custos(capsys, *argv, "--port", "8123")
    assert code == 0
    assert started == [("127.0.0.1", 8123, record, work)]
    assert "Custos is serving at http://127.0.0.1:8123/" in out
    assert ("no recorders" in out) is not record
    assert ("no jobs" in out) is not work


def test_a_worker_with_nothing_to_prepare_waits_and_stops_when_told(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custos(capsys, "init")
    started = time.monotonic()
    code, _, err = custos(capsys, "worker", "--for", "1")
    assert code == 0, err
    assert 1 <= time.monotonic() - started < 10
