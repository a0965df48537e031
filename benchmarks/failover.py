"""Failover: how soon a camera records again after its recorder is killed with SIGKILL.

Runs the CI test of the deployment on one machine (PostgreSQL, Redis, moto's S3 server, three
`custos record`, two `custos worker`, one `custos web`, six live RTSP cameras; each recorder
killed in turn) and prints its one JSON line: the most and the median seconds from a kill to
the camera's first segment on another recorder, and the longest `recorder failed over` gap.
The anchors are published, not run here: Milestone XProtect's failover "a couple of seconds"
(cold standby), Nx Witness about a minute.

    .venv/bin/python benchmarks/failover.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    test = "tests/recording/test_failover.py"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [
        line for line in run.stdout.splitlines() if line.startswith('{"benchmark": "failover"')
    ]
    if run.returncode != 0 or not lines:
        sys.exit(run.stdout[-4000:] + run.stderr[-2000:])
    print(lines[-1])
