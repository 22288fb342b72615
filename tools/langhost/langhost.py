"""A small Pulumi language host for Python (`pulumi-language-python`), for machines without Pulumi's own.

The Pulumi CLI starts this as a plugin, reads the port it prints on stdout, and talks gRPC to it
(`pulumirpc.LanguageRuntime`, stubs from the pulumi SDK). It runs programs (`Run`) through
`run_program.py` and policy packs (`RunPlugin`) as `python -u <pack dir>`, with the interpreter chosen
the way Pulumi's own host chooses it: `runtime.options.virtualenv` of Pulumi.yaml / PulumiPolicy.yaml
(relative to the project root), else `$PULUMI_PYTHON_CMD`, else `python3`.

Usage (by the engine): pulumi-language-python [-flags...] ENGINE_ADDRESS
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

from pulumi_policies import lifeline

VERSION = "3.259.0"
RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_program.py")
ALREADY_REPORTED = 32  # the program's exit code for "error shown to the user already"
MAX_MESSAGE = 400 * 1024 * 1024


def _options(info: Any) -> dict[str, Any]:
    if info is None or not info.HasField("options"):
        return {}
    return json_format.MessageToDict(info.options)


def _root(info: Any, fallback: str) -> str:
    return (info.root_directory if info is not None else "") or fallback or os.getcwd()


def _virtualenv(info: Any, fallback_root: str) -> str | None:
    venv = _options(info).get("virtualenv")
    if not venv:
        return None
    return venv if os.path.isabs(venv) else os.path.join(_root(info, fallback_root), venv)


def _python(info: Any, fallback_root: str) -> tuple[str, dict[str, str]]:
    """The interpreter to run a program or pack with, and the environment changes that go with it."""
    venv = _virtualenv(info, fallback_root)
    if venv:
        exe = os.path.join(venv, "bin", "python")
        if not os.path.exists(exe):
            raise FileNotFoundError(
                f"The 'virtualenv' option names {venv!r}, which is not a virtual environment. Create it with "
                f"`pulumi install` (or python3 -m venv {venv} && {venv}/bin/pip install -r requirements.txt)."
            )
        path = os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", "")
        return exe, {"VIRTUAL_ENV": venv, "PATH": path, "PULUMI_RUNTIME_VIRTUALENV": venv}
    cmd = os.environ.get("PULUMI_PYTHON_CMD") or shutil.which("python3") or "python3"
    return cmd, {}


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env.update(extra)
    return env


def _stream(cmd: list[str], env: dict[str, str], cwd: str, procs: _Children) -> Iterator[tuple[str, Any]]:
    """Run cmd, yielding ("stdout", bytes) / ("stderr", bytes) as they come, then ("exit", code)."""
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    procs.add(proc)
    chunks: queue.Queue[tuple[str, bytes | None]] = queue.Queue()

    def pump(name: str, pipe: Any) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            chunks.put((name, chunk))
        chunks.put((name, None))

    pumps = [threading.Thread(target=pump, args=(n, p), daemon=True)
             for n, p in (("stdout", proc.stdout), ("stderr", proc.stderr))]
    for t in pumps:
        t.start()
    open_pipes = 2
    try:
        while open_pipes:
            name, data = chunks.get()
            if data is None:
                open_pipes -= 1
            else:
                yield name, data
        yield "exit", proc.wait()
    finally:
        procs.discard(proc)


class _Children:
    """The child processes under way, so that Cancel and SIGTERM can stop them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen[bytes]] = set()

    def add(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.add(proc)

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def terminate(self) -> None:
        with self._lock:
            for proc in self._procs:
                if proc.poll() is None:
                    proc.terminate()


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str) -> None:
        self.engine_address = engine_address
        self.children = _Children()

    # -- plugin metadata -------------------------------------------------------------------------
    def Handshake(self, request, context):  # noqa: N802 (gRPC method names)
        if request.engine_address:
            self.engine_address = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request, context):  # noqa: N802
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetRequiredPlugins(self, request, context):  # noqa: N802
        # Dynamic providers are served by the bundled pulumi-python provider; nothing to download.
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request, context):  # noqa: N802
        return language_pb2.GetRequiredPackagesResponse()

    def RuntimeOptionsPrompts(self, request, context):  # noqa: N802
        return language_pb2.RuntimeOptionsResponse()

    def About(self, request, context):  # noqa: N802
        try:
            exe, _ = _python(request.info, "")
            version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout.strip()
        except FileNotFoundError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        return language_pb2.AboutResponse(executable=exe, version=version.removeprefix("Python "))

    def GetProgramDependencies(self, request, context):  # noqa: N802
        try:
            exe, extra = _python(request.info, request.pwd)
        except FileNotFoundError as exc:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        out = subprocess.run([exe, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                             capture_output=True, text=True, env=_child_env(extra), check=False)
        if out.returncode != 0:
            context.abort(grpc.StatusCode.INTERNAL, f"pip list failed: {out.stderr.strip()}")
        deps = [language_pb2.DependencyInfo(name=d["name"], version=d["version"]) for d in json.loads(out.stdout)]
        return language_pb2.GetProgramDependenciesResponse(dependencies=deps)

    # -- running programs and plugins ------------------------------------------------------------
    def Run(self, request, context):  # noqa: N802
        info = request.info if request.HasField("info") else None
        program_dir = (info.program_directory if info else "") or request.pwd
        entry = (info.entry_point if info else "") or request.program or "."
        program = os.path.normpath(os.path.join(program_dir, entry))
        try:
            exe, extra = _python(info, request.pwd)
        except FileNotFoundError as exc:
            return language_pb2.RunResponse(error=str(exc))
        cmd = [exe, "-u", RUNNER,
               "--monitor", request.monitor_address, "--engine", self.engine_address,
               "--project", request.project, "--stack", request.stack, "--pwd", request.pwd,
               "--dry_run", "true" if request.dryRun else "false", "--parallel", str(request.parallel),
               "--organization", request.organization, "--root_directory", _root(info, request.pwd),
               program, *request.args]
        extra = dict(extra)
        extra["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        extra["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        # The program's output goes where ours goes: the engine shows it as the program's diagnostics.
        proc = subprocess.Popen(cmd, env=_child_env(extra), cwd=request.pwd or None, stdin=subprocess.DEVNULL)
        self.children.add(proc)
        try:
            code = proc.wait()
        finally:
            self.children.discard(proc)
        if code == 0:
            return language_pb2.RunResponse()
        if code == ALREADY_REPORTED:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {code}")

    def RunPlugin(self, request, context):  # noqa: N802
        info = request.info if request.HasField("info") else None
        plugin_dir = (info.program_directory if info else "") or request.program or request.pwd
        try:
            exe, extra = _python(info, plugin_dir)
        except FileNotFoundError as exc:
            yield language_pb2.RunPluginResponse(stderr=(str(exc) + "\n").encode())
            yield language_pb2.RunPluginResponse(exitcode=1)
            return
        env = _child_env(extra)
        env.update(kv.split("=", 1) for kv in request.env if "=" in kv)
        cmd = [exe, "-u", plugin_dir, *request.args]
        for kind, data in _stream(cmd, env, request.pwd or plugin_dir, self.children):
            if kind == "exit":
                yield language_pb2.RunPluginResponse(exitcode=data)
            else:
                yield language_pb2.RunPluginResponse(**{kind: data})

    def InstallDependencies(self, request, context):  # noqa: N802
        info = request.info if request.HasField("info") else None
        directory = request.directory or _root(info, "")
        requirements = os.path.join(directory, "requirements.txt")
        venv = _virtualenv(info, directory)
        steps: list[list[str]] = []
        if venv:
            exe = os.path.join(venv, "bin", "python")
            if not os.path.exists(exe):
                steps.append([getattr(sys, "_base_executable", sys.executable), "-m", "venv", venv])
        else:
            exe, _ = _python(info, directory)
        if os.path.exists(requirements):
            steps.append([exe, "-m", "pip", "install", "--disable-pip-version-check", "-r", requirements])
        for cmd in steps:
            for kind, data in _stream(cmd, _child_env({}), directory, self.children):
                if kind != "exit":
                    yield language_pb2.InstallDependenciesResponse(**{kind: data})
                elif data != 0:
                    context.abort(grpc.StatusCode.INTERNAL, f"{' '.join(cmd)} exited with code {data}")

    def Cancel(self, request, context):  # noqa: N802
        self.children.terminate()
        return empty_pb2.Empty()


def main(argv: list[str]) -> int:
    positional = [a for a in argv if not a.startswith("-")]
    host = LanguageHost(positional[0] if positional else "")
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8),
        options=[("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        host.children.terminate()
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    address = lifeline.engine_address(positional)
    if address is not None:  # the engine may die without a word (SIGKILL): then end with it, children first

        def engine_gone() -> None:
            host.children.terminate()
            os._exit(0)

        lifeline.watch(address, engine_gone)
    while not stop.wait(1.0):
        pass
    server.stop(grace=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
