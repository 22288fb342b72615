"""The code base stays clean under the project's ruff rules (ruff.toml) and mypy (mypy.ini: strict, on the package)."""

import subprocess
import sys

from tests.support.engine import REPO


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--quiet", "--output-format", "concise",
                           "pulumi_policies", "tests", "benchmarks", "examples", "tools"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean():
    # Files and flags come from mypy.ini; the cache (.mypy_cache in the repository) keeps a rerun to a second or two.
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_sees_every_output_an_example_program_uses():
    # The multi-tenant example reads outputs of each kind (policy_id, connection, status...) and passes
    # connection=None: mypy --strict over it fails if a class stops declaring one of them.
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "examples/multi-tenant/__main__.py"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
