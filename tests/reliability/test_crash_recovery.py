"""`pulumi up` killed with SIGKILL mid-update; the documented recovery converges with no duplicate, no orphan.

Recovery (docs/operations.md "Recovering from a crashed update"):

    pulumi-policies recover --stack dev
    pulumi up --stack dev
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pulumi_policies import journal
from tests.support.engine import ENGINE_BIN, Stack, kill_tree
from tests.support.policies import as_sets, assert_server_holds_exactly, new_policy_stack
from tests.support.policies import mixed_policies as declared

DEPLOYED, UPDATED = 25, 50  # 25 policies deployed; the update changes them and adds 25 more


def kill_after(ps, server, requests: int) -> int:
    """Start `pulumi up` and SIGKILL it with all its descendants once the server saw `requests` requests."""
    server.admin.clear_requests()
    proc = subprocess.Popen([str(ENGINE_BIN / "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive",
                             "--stack", ps.stack.name], cwd=ps.stack.project_dir, env=ps.stack.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    seen = 0
    while time.monotonic() < deadline and proc.poll() is None:
        seen = server.admin.requests()["total"]
        if seen >= requests:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the update finished before the crash point"
    kill_tree(proc)
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("point,torn", [(1, False), (12, False), (25, True), (38, False), (48, False)])
def test_kill_9_mid_update_then_recover(point, torn, server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*declared(DEPLOYED, "v1")).stack.up()
    items = declared(UPDATED, "v2")
    ps.declare(*items)
    # slow writes down so that the crash lands among them
    server.admin.set_faults([{"kind": "latency", "method": "POST|PUT|PATCH", "latency_ms": 150}])
    seen = kill_after(ps, server, point)
    server.admin.clear_faults()
    if torn:  # the kill landed while the blob store rewrote the checkpoint's metadata sidecar (seen in CI runs)
        backend = Path(ps.stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
        [attrs] = backend.rglob("dev.json.attrs")
        attrs.write_bytes(b"")
    before_recovery = server.admin.dump()
    made = sum(len(v) for k, v in before_recovery.items() if k != "profiles")

    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "recover", "--stack", ps.stack.name,
                           "--cwd", str(ps.stack.project_dir)], env=ps.stack.env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    ps.stack.up()
    report = proc.stdout[proc.stdout.rfind("Recovered stack"):]
    print(f"\nkilled after {seen} requests ({made} objects on the server); "
          + " | ".join(line.strip() for line in report.splitlines()[1:-1]))
    assert_server_holds_exactly(server.admin.dump(), items)  # no duplicate, no orphan, declared values
    assert ps.stack.changes() == {}
    managed = [r for r in ps.stack.resources() if r["type"].startswith("pulumi-python:dynamic/pulumi_policies:")]
    assert len(managed) == UPDATED


@pytest.mark.slow
def test_kill_9_mid_fast_up_then_fast_up_adopts_what_it_made(server, make_stack, tmp_path):
    """`up --fast` skips the engine's checkpoints: killed, it leaves nothing of its creates in the state. The
    provider's journal is what lets the next `up --fast` adopt them instead of failing on their names."""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*declared(DEPLOYED, "v1")).stack.up()
    items = declared(UPDATED, "v2")
    ps.declare(*items)
    cli = [sys.executable, "-m", "pulumi_policies.cli"]
    where = ["--stack", ps.stack.name, "--cwd", str(ps.stack.project_dir)]
    server.admin.set_faults([{"kind": "latency", "method": "POST|PUT|PATCH", "latency_ms": 150}])
    server.admin.clear_requests()
    proc = subprocess.Popen([*cli, "up", "--fast", *where], env=ps.stack.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while server.admin.requests()["total"] < 40:
        assert proc.poll() is None and time.monotonic() < deadline, "the update finished before the crash point"
        time.sleep(0.01)
    kill_tree(proc)
    server.admin.clear_faults()
    on_server = sum(len(v) for k, v in server.admin.dump().items() if k != "profiles")
    managed = [r for r in ps.stack.resources() if r["type"].startswith("pulumi-python:dynamic/pulumi_policies:")]
    assert on_server > DEPLOYED and len(managed) == DEPLOYED, "the state knows nothing of the dead run's creates"
    kept = journal.path_for(ps.stack.env["PULUMI_BACKEND_URL"], "declared", ps.stack.name,
                            home=ps.stack.env["PULUMI_HOME"])
    lines = [json.loads(line) for line in kept.read_text().splitlines()]
    made = {(e["kind"], json.dumps(e["key"], sort_keys=True)) for e in lines}
    assert len(made) >= on_server - DEPLOYED, "each object the dead run created is in the journal, begun or done"

    Stack(ps.stack.project_dir, ps.stack.env, "other").pulumi("stack", "init")  # the user has moved on
    recovered = subprocess.run([*cli, "recover", *where], env=ps.stack.env, capture_output=True, text=True,
                               timeout=300)
    assert recovered.returncode == 0, recovered.stdout[-2000:] + recovered.stderr[-2000:]
    assert "removed the lock of" in recovered.stdout  # the dead run's lock; nothing was pending
    again = subprocess.run([*cli, "up", "--fast", *where], env=ps.stack.env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    print(f"\nkilled after 40 requests: {on_server - DEPLOYED} objects created that the state did not record "
          f"({sum(e['id'] is not None for e in lines)} answered before the kill), adopted")
    assert_server_holds_exactly(server.admin.dump(), items)  # adopted, not duplicated, at the declared values
    assert ps.stack.changes() == {}
    assert not kept.exists(), "a successful `up --fast` removes the journal: the state records everything now"
    assert ps.stack.selected() == "other", "recover and up of dev leave the stack the user's own commands act on"


def settled(server) -> dict:
    """The server's dump once the writes it took before a kill are done (it holds still for a second)."""
    last, still = None, 0
    while still < 4:
        time.sleep(0.25)
        dump = server.admin.dump()
        still = still + 1 if dump == last else 0
        last = dump
    return last


@pytest.mark.slow
def test_kill_9_mid_set_update_then_recover(server, make_stack, tmp_path):
    """A policy set's update sends its items side by side inside one engine step: killed, the state's pending
    update knows none of the items it created. `recover` adopts them by natural key; `up` finishes the job."""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*as_sets(declared(DEPLOYED, "v1"))).stack.up()
    items = declared(UPDATED, "v2")
    ps.declare(*as_sets(items))
    server.admin.set_faults([{"kind": "latency", "method": "POST|PUT|PATCH", "latency_ms": 300}])
    kill_after(ps, server, 30)
    server.admin.clear_faults()
    dump = settled(server)
    known = {str(i).rsplit("/", 1)[-1] for r in ps.stack.resources("Set") for i in r["outputs"]["ids"].values()}
    label = {"resource_policies": lambda p: f"resourcepolicy[{p['name']}]",
             "profile_policies": lambda p: f"profilepolicy[{p['profileId']}/{p['name']}]",
             "configuration_policies": lambda p: f"configurationpolicy[{p['policyid']}/{p['organization']}]"}
    unknown = {label[k](p) for k, v in dump.items() if k in label for p in v if str(p["id"]) not in known}
    assert unknown, "the crash point lets the dead update make policies the state does not know of"
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "recover", "--stack", ps.stack.name,
                           "--cwd", str(ps.stack.project_dir)], env=ps.stack.env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    # every policy the dead update made and the state does not know of is adopted, each once
    adopted = next((line.split(": ", 1)[1].split(", ") for line in proc.stdout.splitlines()
                    if "adopted (created before the crash)" in line), [])
    assert sorted(adopted) == sorted(unknown), proc.stdout
    ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), items)  # no duplicate, no orphan, declared values
    assert ps.stack.changes() == {}
