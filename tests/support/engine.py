"""Drive the real Pulumi CLI against an isolated file backend: the fixture layer of the end-to-end tests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ENGINE_BIN = Path(os.environ.get("PULUMI_POLICIES_ENGINE_BIN", REPO / ".engine" / "bin"))
PASSPHRASE = "test-passphrase"


class EngineMissing(RuntimeError):
    pass


def engine_env(home: Path, backend_url: str | None = None) -> dict[str, str]:
    """The environment every pulumi command of a test runs in: offline, isolated, this repo's engine.

    The state backend is a file:// folder under `home` unless `backend_url` names another (PostgreSQL)."""
    if not (ENGINE_BIN / "pulumi").exists():
        raise EngineMissing(
            f"No Pulumi engine in {ENGINE_BIN}. Run `make test` (it builds or finds the engine), or "
            "`make engine` first, or point PULUMI_POLICIES_ENGINE_BIN at a directory holding `pulumi`.")
    (home / "backend").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "PYTEST_"))}
    env.update({
        "PATH": f"{ENGINE_BIN}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_HOME": str(home / "pulumi-home"),
        "PULUMI_BACKEND_URL": backend_url or f"file://{home / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "NO_COLOR": "1",
    })
    return env


@dataclass
class Stack:
    """One stack of one project directory, on its own file backend."""

    project_dir: Path
    env: dict[str, str]
    name: str = "dev"
    log: list[str] = field(default_factory=list)

    def pulumi(self, *args: str, check: bool = True, timeout: float = 600, input: str | None = None,
               extra_env: dict[str, str] | None = None, secret: str | list[str] | None = None
               ) -> subprocess.CompletedProcess[str]:
        flags = ["--non-interactive", "--color", "never"]
        if args and args[0] not in ("version", "login", "plugin"):
            flags += ["--stack", self.name]
        split = args.index("--") if "--" in args else len(args)  # flags go before a "--"
        cmd = [str(ENGINE_BIN / "pulumi"), *args[:split], *flags, *args[split:]]
        env = dict(self.env, **(extra_env or {}))
        proc = subprocess.run(cmd, cwd=self.project_dir, env=env, capture_output=True, text=True,
                              timeout=timeout, input=input)
        shown = " ".join(args)
        for value in [secret] if isinstance(secret, str) else secret or []:
            shown = shown.replace(value, "[secret]")
        self.log.append(f"$ pulumi {shown}\n{proc.stdout}\n{proc.stderr}")
        if check and proc.returncode != 0:
            raise AssertionError(f"pulumi {shown} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def selected(self) -> str:
        """The stack a `pulumi` command in this project acts on when it names none (`pulumi stack select`'s)."""
        return subprocess.run([str(ENGINE_BIN / "pulumi"), "stack", "--show-name", "--non-interactive"],
                              cwd=self.project_dir, env=self.env, capture_output=True, text=True, check=True,
                              timeout=60).stdout.strip()

    def init(self, config: dict[str, str] | None = None, secrets: dict[str, str] | None = None) -> Stack:
        """`pulumi stack init`, then every value in one `pulumi config set-all` (secrets encrypted)."""
        self.pulumi("stack", "init")
        pairs = [*(("--plaintext", f"{k}={v}") for k, v in (config or {}).items()),
                 *(("--secret", f"{k}={v}") for k, v in (secrets or {}).items())]
        if pairs:
            self.pulumi("config", "set-all", *(part for pair in pairs for part in pair),
                        secret=list((secrets or {}).values()))
        return self

    def up(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.pulumi("up", "--yes", "--skip-preview", *args, **kw)

    def preview_json(self, *args: str) -> dict[str, Any]:
        proc = self.pulumi("preview", "--json", *args)
        return json.loads(proc.stdout)

    def changes(self, *args: str) -> dict[str, int]:
        """What a preview would do: {"update": 1, ...}, without "same"."""
        summary = self.preview_json(*args).get("changeSummary", {})
        return {k: v for k, v in summary.items() if k != "same" and v}

    def refresh(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.pulumi("refresh", "--yes", "--skip-preview", *args, **kw)

    def destroy(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.pulumi("destroy", "--yes", "--skip-preview", *args, **kw)

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        """The stack's outputs; a secret one reads "[secret]" unless `show_secrets` (decrypting costs the passphrase's
        key derivation, 1,000,000 rounds of PBKDF2: as much CPU as the rest of the command)."""
        return json.loads(self.pulumi("stack", "output", "--json", *(["--show-secrets"] if show_secrets else [])).stdout)

    def export(self) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "export").stdout)

    def resources(self, type_suffix: str = "") -> list[dict[str, Any]]:
        deployment = self.export().get("deployment", {})
        return [r for r in deployment.get("resources") or [] if r["type"].endswith(type_suffix)]


def stack_factory(home: Path, backend_url: str | None = None) -> Callable[..., Stack]:
    """make(project_dir, name="dev") -> Stack, on one isolated engine home under `home` (file backend unless
    `backend_url`)."""
    env = engine_env(home, backend_url)
    return lambda project_dir, name="dev": Stack(Path(project_dir), dict(env), name)


def copy_project(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".pulumi-state", "Pulumi.*.yaml"))
    return dest


def kill_tree(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL a process and all its descendants at once (the CLI, its language host, program and provider: a
    lost machine), and reap it."""
    for pid in process_tree(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(30)


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc), parents first. Plugins run in their own process groups."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, queue = [], [pid]
    while queue:
        current = queue.pop(0)
        tree.append(current)
        queue += children.get(current, [])
    return tree
