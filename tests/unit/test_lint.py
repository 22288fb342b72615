"""The code base stays clean under the project's ruff rules (ruff.toml)."""

import subprocess
import sys

from tests.support.engine import REPO


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", "--output-format", "concise",
                           "pulumi_policies", "tests", "benchmarks", "examples", "tools"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
