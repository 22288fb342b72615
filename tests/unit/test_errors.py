"""One exception root: every error the package raises for a user to fix is a PulumiPoliciesError, and the CLI says
each as one line with exit code 1."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pulumi_policies
from pulumi_policies import PulumiPoliciesError


def test_every_exception_class_of_the_package_is_under_the_one_root():
    found = []
    for info in pkgutil.walk_packages(pulumi_policies.__path__, "pulumi_policies."):
        if info.name.startswith("pulumi_policies.emulator") or info.name.endswith("__main__"):
            continue  # the emulator is a server of its own (its errors are HTTP answers)
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found.append(cls)
                assert issubclass(cls, PulumiPoliciesError), f"{cls.__module__}.{cls.__name__}"
    assert len(found) >= 15  # the client's tree, the provider's, connections', the stack commands'


def test_the_cli_says_a_users_error_in_one_line(tmp_path):
    """No pulumi CLI on PATH (a fresh machine): what to do, in one line, not a traceback."""
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "recover", "--stack", "dev", "--cwd",
                           str(tmp_path)], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error: the pulumi CLI cannot be run") and "make engine" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
