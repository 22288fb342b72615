"""The examples stay true: each runs as a user would run it and reports success."""

from __future__ import annotations

import subprocess
import sys

from tests.support.engine import REPO


def test_rollback_example_runs(engine, tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "rollback" / "run.py")],
                          env={**engine, "ROLLBACK_EXAMPLE_STATE": str(tmp_path / "state")},
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-2000:]
    assert "update exit code 1; server back to release v1: True" in out
    assert "after `pulumi-policies rollback` the server is back to v1: True" in out
    assert "deleted: audit-read, weekly-audit" in out
