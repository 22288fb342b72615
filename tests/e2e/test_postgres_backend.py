"""Teams: stacks on the engine's PostgreSQL state backend (`pulumi login postgres://...`), on a real server.

The PostgreSQL server is started by the tests (tests.support.postgres); every stack here keeps its state in
a table of its own on it, and nothing on the file system. The embedded API server is the judge of what
the policies are, as in the file-backend tests.
"""

from __future__ import annotations

import getpass
import json
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

from pulumi_policies import rollback
from tests.support.engine import ENGINE_BIN, REPO, kill_tree, stack_factory
from tests.support.policies import (
    Api,
    PolicyStack,
    assert_server_holds_exactly,
    comparable,
    mixed_policies,
    new_policy_stack,
)
from tests.support.postgres import connect, engine_blob, table_of

PACK = REPO / "examples" / "policy-pack"


@pytest.fixture
def pg_stack(postgres, server, tmp_path) -> PolicyStack:
    """A policy stack whose state lives in PostgreSQL (a table of its own), against the embedded server."""
    make = stack_factory(tmp_path / "engine", postgres.backend_url())
    return new_policy_stack(make, server, tmp_path / "project")


def state_keys(ps: PolicyStack) -> list[str]:
    """The keys of the blobs the engine wrote into this stack's table (under the database's name, as the
    engine prefixes a bucket with its URL's path)."""
    url = ps.stack.env["PULUMI_BACKEND_URL"]
    with connect(url) as conn:
        return [key for (key,) in conn.execute(f"SELECT key FROM {table_of(url)} ORDER BY key").fetchall()]


def cli(ps: PolicyStack, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`pulumi-policies ...` on this stack, as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", *args, "--stack", ps.stack.name,
                           "--cwd", str(ps.stack.project_dir)], env=ps.stack.env, capture_output=True,
                          text=True, timeout=timeout, input="")
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def start_up(ps: PolicyStack) -> subprocess.Popen[str]:
    return subprocess.Popen([str(ENGINE_BIN / "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive",
                             "--stack", ps.stack.name], cwd=ps.stack.project_dir, env=ps.stack.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_requests(server: Any, proc: subprocess.Popen[str], n: int) -> None:
    deadline = time.monotonic() + 120
    while server.admin.requests()["total"] < n:
        assert proc.poll() is None, "the update finished before the point the test needed"
        assert time.monotonic() < deadline, "the update never reached the server"
        time.sleep(0.01)


def test_lifecycle_diff_export_and_policy_pack(pg_stack, server):
    ps = pg_stack
    v1 = mixed_policies(6, "v1")
    ps.declare(*v1)
    diff = cli(ps, "diff", "--run", "--detailed-exitcode", check=False)  # the preview, as a review report: exit 2 says "changes"
    assert diff.returncode == 2, diff.stdout + diff.stderr
    print(diff.stdout)
    ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), v1)
    assert ps.stack.changes() == {}
    keys = state_keys(ps)
    assert "postgres/.pulumi/stacks/declared/dev.json" in keys, keys
    assert any(k.startswith("postgres/.pulumi/history/declared/dev/") for k in keys), keys
    assert not (ps.stack.project_dir.parent / "engine" / "backend" / ".pulumi").exists()

    v2 = mixed_policies(6, "v2")
    ps.declare(*v2)
    assert ps.stack.changes() == {"update": 6}
    ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), v2)

    # drift made by hand is found by refresh, and the next up puts the declared value back
    api = Api(server)
    drifted = next(p for p in server.admin.dump()["resource_policies"])
    api.rm.patch(api.rm_path("ResourcePolicy", drifted["id"]), json={"description": "by hand"}).raise_for_status()
    ps.stack.refresh()
    assert ps.stack.changes() == {"update": 1}
    ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), v2)

    exported = cli(ps, "export", "--no-progress").stdout
    for item in v2:
        assert f'"{item["args"].get("name") or item["args"]["policyid"]}"' in exported

    # the policy pack runs on this backend as on any other: a mandatory rule stops the update
    nobody = {"type": "ResourcePolicy", "name": "nobody", "args": {"name": "nobody", "resource": "db"}}
    ps.declare(*v2, nobody)
    proc = ps.stack.pulumi("up", "--yes", "--policy-pack", str(PACK), check=False)
    assert proc.returncode != 0 and "active-policy-needs-members" in proc.stdout + proc.stderr
    assert_server_holds_exactly(server.admin.dump(), v2)

    ps.declare(*v2).stack.destroy()
    dump = server.admin.dump()
    assert dump["resource_policies"] == dump["profile_policies"] == dump["configuration_policies"] == []


def test_a_second_up_on_a_locked_stack_is_refused_and_loses_nothing(pg_stack, server):
    ps = pg_stack
    items = mixed_policies(3, "v1")
    ps.declare(*items)
    # every create waits 3 s on the server: once the first update holds its lock, it runs for 3 s more at least
    server.admin.set_faults([{"kind": "latency", "method": "POST", "latency_ms": 3000}])
    first = start_up(ps)
    try:
        deadline = time.monotonic() + 60
        while not any(k.startswith("postgres/.pulumi/locks/") for k in state_keys(ps)):
            assert first.poll() is None and time.monotonic() < deadline, "the first update never took its lock"
            time.sleep(0.05)
        second = ps.stack.pulumi("up", "--yes", "--skip-preview", check=False)
        text = second.stdout + second.stderr
        assert second.returncode != 0 and "the stack is currently locked" in text, text
        assert f"(pid {first.pid})" in text, text  # it names the holder
        out, _ = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    server.admin.clear_faults()
    assert first.returncode == 0, out
    assert_server_holds_exactly(server.admin.dump(), items)
    assert ps.stack.changes() == {}


def test_recover_after_kill_9_removes_the_stale_lock_and_converges(pg_stack, server, postgres):
    ps = pg_stack
    ps.declare(*mixed_policies(6, "v1")).stack.up()
    items = mixed_policies(15, "v2")
    ps.declare(*items)
    server.admin.set_faults([{"kind": "latency", "method": "POST|PUT|PATCH", "latency_ms": 150}])
    server.admin.clear_requests()
    proc = start_up(ps)
    wait_for_requests(server, proc, 8)
    kill_tree(proc)
    server.admin.clear_faults()
    assert any(k.startswith("postgres/.pulumi/locks/") for k in state_keys(ps)), "the killed update left its lock"
    locked = ps.stack.up(check=False)
    assert locked.returncode != 0 and "currently locked" in locked.stdout + locked.stderr

    report = cli(ps, "recover").stdout
    assert f"removed the lock of {getpass.getuser()}@{socket.gethostname()} (pid {proc.pid})" in report, report
    assert not any(k.startswith("postgres/.pulumi/locks/") for k in state_keys(ps))
    ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), items)  # no duplicate, no orphan
    assert ps.stack.changes() == {}


def test_recover_leaves_a_lock_another_machine_holds_unless_forced(pg_stack, server):
    ps = pg_stack
    ps.declare(*mixed_policies(3, "v1")).stack.up()
    url = ps.stack.env["PULUMI_BACKEND_URL"]
    key = "postgres/.pulumi/locks/organization/declared/dev/a-teammates-update.json"
    holder = {"pid": 4242, "username": "alice", "hostname": "ci-runner-7", "timestamp": "2026-12-02T06:00:00Z"}
    assert socket.gethostname() != holder["hostname"]
    with connect(url) as conn:
        conn.execute(f"INSERT INTO {table_of(url)} (key, data) VALUES (%s, %s)",
                     (key, engine_blob(json.dumps(holder).encode())))

    refused = cli(ps, "recover", check=False)
    assert refused.returncode == 1
    assert "alice@ci-runner-7 (pid 4242)" in refused.stderr and "--force-unlock" in refused.stderr, refused.stderr
    assert key in state_keys(ps), "a live teammate's lock is never removed without --force-unlock"

    forced = cli(ps, "recover", "--force-unlock").stdout
    assert "removed the lock of alice@ci-runner-7 (pid 4242)" in forced and "--force-unlock" in forced
    assert key not in state_keys(ps)
    assert ps.stack.changes() == {}


def test_rollback_and_up_with_rollback_read_the_history_in_postgres(pg_stack, server):
    ps = pg_stack
    ps.declare(*mixed_policies(6, "v1")).stack.up()
    before, outputs = server.admin.dump(), ps.stack.outputs()
    ps.declare(*mixed_policies(9, "v2")).stack.up()
    assert comparable(server.admin.dump()) != comparable(before)

    report = cli(ps, "rollback").stdout  # the previous update's checkpoint, read from the table's history
    assert "Rollback of stack 'dev': complete" in report and "deleted: r6, r7, r8" in report, report
    assert comparable(server.admin.dump()) == comparable(before)
    assert ps.stack.outputs() == outputs

    # up --rollback-on-failure: the third write of the update is refused, and the stack returns to v1
    ps.declare(*mixed_policies(9, "v3"))
    server.admin.set_faults([{"kind": "error", "status": 400, "method": "POST|PUT|PATCH", "after": 2, "count": 1}])
    ok, failed = rollback.up_with_rollback(ps.stack.name, ps.stack.project_dir, env=ps.stack.env)
    assert not ok and failed is not None and failed.ok, failed and failed.text()
    assert comparable(server.admin.dump()) == comparable(before)
    assert ps.stack.outputs() == outputs
