"""`pulumi up` whose engine is killed with SIGKILL leaves no process behind: the language host, the program
and the provider process (each in a process group of its own, out of reach of the engine's group) end on
their own within a bounded wait, and the ports they listened on are closed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.engine import ENGINE_BIN, process_tree
from tests.support.policies import mixed_policies, new_policy_stack

BOUND = 15.0  # seconds: the lifeline looks once a second and needs two refused looks


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # an exited child nobody has reaped yet is not running


def listening_ports(pid: int) -> set[int]:
    """The TCP ports `pid` listens on (from its socket fds and /proc/net/tcp)."""
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
                  if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
    except OSError:
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


@pytest.mark.slow
def test_sigkill_of_the_engine_leaves_no_process_and_no_port(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project").declare(*mixed_policies(12))
    server.admin.set_faults([{"kind": "latency", "method": "POST|PATCH", "latency_ms": 1500}])  # a slow server
    engine = subprocess.Popen([str(ENGINE_BIN / "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive",
                               "--stack", ps.stack.name], cwd=ps.stack.project_dir, env=ps.stack.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while server.admin.requests()["total"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # until the provider is at work (its writes now take 1.5 s each)
        assert engine.poll() is None, "the update ended before the engine could be killed"
        children = [pid for pid in process_tree(engine.pid) if pid != engine.pid]
        ports = {pid: listening_ports(pid) for pid in children}
        names = {pid: cmdline(pid) for pid in children}
        assert any("langhost" in n for n in names.values()) and any("pulumi.dynamic" in n for n in names.values()), names
        assert sum(len(p) for p in ports.values()) >= 2, ports  # the language host and the provider listen

        os.kill(engine.pid, signal.SIGKILL)  # the engine alone, as an OOM kill would
        engine.wait(10)
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < BOUND and any(running(pid) for pid in children):
            time.sleep(0.2)
        left = {pid: names[pid] for pid in children if running(pid)}
        assert left == {}, f"still running {time.monotonic() - killed_at:.1f} s after the engine died: {left}"
        assert all(refused(port) for group in ports.values() for port in group), ports
        print(f"\n{len(children)} processes of the run ended {time.monotonic() - killed_at:.1f} s after the engine's SIGKILL")
    finally:
        for pid in {*process_tree(engine.pid), *children}:  # whatever is left, so no test leaves orphans
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        server.admin.clear_faults()
