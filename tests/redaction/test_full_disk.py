"""A disk that fills up while redacting: a clear error, exit 8, and nothing half-written kept."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

from custos.recording.media import make_clip


def _small_disk() -> None:
    # Files may not grow past 64 KiB: writes beyond fail as on a full disk (EFBIG, not a kill).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_is_a_storage_error_and_leaves_nothing(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    make_clip(source, 4, fps=15, width=640, height=360, bit_rate=2_000_000)
    assert source.stat().st_size > 200 * 1024
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "custos", "redact", str(source), str(out / "masked.mp4")],
        capture_output=True,
        text=True,
        preexec_fn=_small_disk,  # the limit applies to the child only
        timeout=300,
    )
    assert done.returncode == 8, done.stderr
    assert done.stderr.strip().startswith("error: cannot write")
    assert "masked.mp4" in done.stderr
    assert list(out.iterdir()) == []
