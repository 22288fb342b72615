"""The embedded server's web stack is an extra: declaring policies needs none of it, and `serve` without it says
which pip command adds it (issue 30)."""

from __future__ import annotations

import subprocess
import sys

import pulumi_policies

BLOCKED = "import sys\nfor m in ('fastapi', 'uvicorn', 'starlette'): sys.modules[m] = None  # not installed\n"


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCKED + code], capture_output=True, text=True, timeout=120)


def test_a_program_declares_policies_without_the_server_extra():
    proc = run("import pulumi_policies\nfrom pulumi_policies import ResourcePolicy, ProfilePolicySet, ProfilePolicyOrder\n"
               "import pulumi_policies.cli, pulumi_policies.access, pulumi_policies.report\nprint('ok')")
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_serve_without_the_extra_names_the_pip_command():
    proc = run("from pulumi_policies.cli import main\nsys.exit(main(['serve', '--memory']))")
    assert proc.returncode == 1, proc.stderr
    assert "pip install 'pulumi_policies[server]'" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_setup_keeps_the_web_stack_out_of_the_install_requirements():
    from pathlib import Path
    setup = (Path(pulumi_policies.__file__).resolve().parents[1] / "setup.py").read_text()
    install = setup.split("install_requires=[", 1)[1].split("]", 1)[0]
    assert not any(name in install for name in ("fastapi", "uvicorn", "httptools", "uvloop")), install
