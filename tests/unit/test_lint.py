"""The code base stays clean under the project's ruff rules (ruff.toml) and mypy (mypy.ini: strict, on the package
and the multi-tenant example). The same commands as `make lint` and `make typecheck`, which need no engine."""

import subprocess
import sys

from tests.support.engine import REPO


def test_ruff_is_clean():
    # No paths: ruff checks the repository (ruff.toml), as `make lint` does.
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", "--output-format", "concise"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean():
    # Files and flags come from mypy.ini, as `make typecheck` runs it; the cache (.mypy_cache in the repository)
    # keeps a rerun to a second or two.
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
