"""The engine bootstrap works: the Pulumi CLI built here, with our language host, runs a project directory's
up/preview/destroy and a policy pack."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.support.engine import copy_project

PROJECTS = Path(__file__).parent / "projects"


def test_cli_version_is_at_least_the_pinned_one(make_stack, tmp_path):
    out = make_stack(tmp_path).pulumi("version").stdout.strip()
    major, minor, patch = map(int, re.match(r"v(\d+)\.(\d+)\.(\d+)", out).groups())
    assert (major, minor, patch) >= (3, 259, 0), out


def test_project_up_outputs_preview_and_destroy(make_stack, tmp_path):
    stack = make_stack(copy_project(PROJECTS / "hello", tmp_path / "hello")).init(config={"hello:who": "pulumi"})
    up = stack.up()
    assert "+ 2 created" in up.stdout, up.stdout
    outputs = stack.outputs()
    assert outputs["text"] == "hello, pulumi"
    # The program ran with the interpreter the language host was told to use (PULUMI_PYTHON_CMD).
    assert outputs["python"] == sys.prefix
    assert "Traceback" not in up.stdout + up.stderr

    assert stack.changes() == {}
    stack.pulumi("preview", "--expect-no-changes")

    stack.pulumi("config", "set", "hello:who", "again")
    assert stack.changes() == {"update": 1}

    stack.destroy()
    assert stack.resources() == []


def test_program_error_is_reported_once_without_runner_frames(make_stack, tmp_path):
    project = copy_project(PROJECTS / "hello", tmp_path / "broken")
    (project / "__main__.py").write_text("raise ValueError('the program is broken on purpose')\n")
    stack = make_stack(project).init()
    proc = stack.up(check=False)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "the program is broken on purpose" in text
    assert "run_program.py" not in text  # the runner's own frames are cut from the user's traceback


def test_virtualenv_runtime_option_selects_the_interpreter(make_stack, tmp_path):
    project = copy_project(PROJECTS / "hello", tmp_path / "venv-project")
    venv = Path(sys.prefix)
    (project / "Pulumi.yaml").write_text(
        f"name: hello\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: {venv}\n")
    stack = make_stack(project)
    stack.env.pop("PULUMI_PYTHON_CMD")
    stack.env["PATH"] = stack.env["PATH"].replace(str(venv / "bin"), "/nonexistent")
    stack.init()
    stack.up()
    assert stack.outputs()["python"] == str(venv)


def test_missing_virtualenv_is_a_clear_error(make_stack, tmp_path):
    project = copy_project(PROJECTS / "hello", tmp_path / "novenv")
    (project / "Pulumi.yaml").write_text("name: hello\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n")
    stack = make_stack(project).init()
    proc = stack.up(check=False)
    assert proc.returncode != 0
    assert "not a virtual environment" in proc.stdout + proc.stderr
    assert "pulumi install" in proc.stdout + proc.stderr


def test_policy_pack_mandatory_violation_fails_preview(make_stack, tmp_path):
    stack = make_stack(copy_project(PROJECTS / "hello", tmp_path / "hello")).init(config={"hello:who": "mallory"})
    proc = stack.pulumi("preview", "--policy-pack", str(PROJECTS / "pack"), check=False)
    assert proc.returncode != 0
    assert "no-mallory" in proc.stdout and "mallory may not be greeted" in proc.stdout, proc.stdout
    assert "[mandatory]" in proc.stdout

    stack.pulumi("config", "set", "hello:who", "alice")
    ok = stack.pulumi("preview", "--policy-pack", str(PROJECTS / "pack"))
    assert "mallory may not be greeted" not in ok.stdout
