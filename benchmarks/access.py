"""The access review of a large stack: `pulumi-policies access --state STATE PREVIEW` on a stack of N policies
(default 1,000: resource and profile policies, a tenth of them Deny, conditions, settings, a policy set, profile
orders), a preview changing a tenth of them, as the engine writes both files (`pulumi stack export`,
`pulumi preview --json`). The target: under 5 s for 1,000 policies, the whole command (process start included).

The preview itself is the engine's cost, measured by benchmarks.estate; this measures what the review adds. Figures
are compared with `pulumi-policies diff` of the same preview (the per-policy report) measured in the same run.

    python -m benchmarks.access [--policies 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._support import save_json
from pulumi_policies import access
from pulumi_policies.providers import TYPE_PREFIX

STACK, PROJECT = "prod", "estate"


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{TYPE_PREFIX}{kind}::{name}"


def policy(i: int, changed: bool) -> tuple[str, str, dict[str, Any]]:
    """Policy i: a mix of kinds, members, labels, conditions and settings; `changed` its changed form."""
    tags = [{"name": f"team-{(i + k) % 40}"} for k in range(3)]
    users = [{"name": f"user-{(i * 7 + k) % 500}"} for k in range(2 + changed)]
    props: dict[str, Any] = {"name": f"p-{i}", "members": {"tags": tags, "users": users},
                             "access_type": "Deny" if i % 10 == 9 else "Allow"}
    if i % 3 == 0:
        kind = "ProfilePolicy"
        props["profile_id"] = f"prof-{i % 20}"
    else:
        kind = "ResourcePolicy"
        props.update(resource_labels={"env": ["staging", "prod"] if changed else ["staging"],
                                      "team": [f"t{i % 30}"]}, access_level="read" if i % 4 else "write")
    if i % 2 == 0 and not changed:
        props["condition"] = {"approval": {"approvers": {"tags": ["leads"]},
                                           "manager_approval": {"condition": "Any", "required": True}},
                              "ip_address": "10.0.0.0/8"}
    if i % 5 == 0:
        props["settings"] = [{"settings_type": "JUSTIFICATION", "is_justification_required": True}]
    return kind, f"p-{i}", props


def files(n: int, directory: Path) -> tuple[Path, Path]:
    """The state of n policies, and a preview changing every tenth (plus one in the set and two orders)."""
    singles = int(n * 0.9)
    resources, steps = [], []
    for i in range(singles):
        kind, name, props = policy(i, False)
        resources.append({"urn": urn(kind, name), "type": TYPE_PREFIX + kind, "inputs": props,
                          "outputs": {**props, "policy_id": f"id-{i}"}})
        if i % 10 == 0:
            new = policy(i, True)[2]
            steps.append({"op": "update", "urn": urn(kind, name), "oldState": resources[-1],
                          "newState": {"urn": urn(kind, name), "type": TYPE_PREFIX + kind, "inputs": new}})
    items = {f"s-{i}": policy(i, False)[2] for i in range(singles, n)}
    set_state = {"urn": urn("ResourcePolicySet", "estate"), "type": TYPE_PREFIX + "ResourcePolicySet",
                 "inputs": {"policies": items}, "outputs": {}}
    resources.append(set_state)
    changed_items = dict(items)
    first = next(iter(changed_items))
    changed_items[first] = policy(singles, True)[2]
    steps.append({"op": "update", "urn": set_state["urn"], "oldState": set_state,
                  "newState": {"type": set_state["type"], "inputs": {"policies": changed_items}}})
    for profile in range(2):
        listed = [f"p-{i}" for i in range(0, singles, 3) if i % 20 == profile][:5]
        order = {"urn": urn("ProfilePolicyOrder", f"order-{profile}"), "type": TYPE_PREFIX + "ProfilePolicyOrder",
                 "inputs": {"profile_id": f"prof-{profile}", "policies": listed}, "outputs": {"enabled": True}}
        resources.append(order)
        steps.append({"op": "update", "urn": order["urn"], "oldState": order,
                      "newState": {"type": order["type"], "inputs": {**order["inputs"], "policies": listed[::-1]}}})
    stack = {"urn": f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}", "type": "pulumi:pulumi:Stack"}
    resources.insert(0, stack)  # every state and preview holds the stack's own resource (the CLI checks it)
    steps.insert(0, {"op": "same", "urn": stack["urn"], "oldState": stack, "newState": stack})
    state, preview = directory / "state.json", directory / "preview.json"
    state.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    preview.write_text(json.dumps({"steps": steps, "diagnostics": [], "changeSummary": {"update": len(steps)}}))
    return state, preview


def command_seconds(args: list[str], repeat: int) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", *args], capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if proc.returncode not in (0, 2, 3):
            raise SystemExit(f"pulumi-policies {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        out = proc.stdout
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        state, preview = files(opts.policies, Path(tmp))
        review, out = command_seconds(["access", "--format", "json", "--state", str(state), str(preview)], opts.repeat)
        diff, _ = command_seconds(["diff", "--state", str(state), str(preview)], opts.repeat)
        started = time.perf_counter()
        before, after = access.resources_of_preview(json.loads(preview.read_text()),
                                                    access.resources_of_state(json.loads(state.read_text())))
        was, now = access.declared(before), access.declared(after)
        moved = access.compare(access.build(was), access.build(now), access.changed(was, now))
        in_process = time.perf_counter() - started
    document = json.loads(out)
    row = {"policies": opts.policies, "access_cli_s": review, "diff_cli_s": diff, "model_in_process_s": in_process,
           "changes": len(document["changes"]), "changes_in_process": len(moved)}
    print(f"Access review of {opts.policies} policies, a tenth changed (median of {opts.repeat})")
    print(f"  `pulumi-policies access --state ... preview.json`: {review:6.2f} s  ({len(document['changes'])} changes; "
          f"target < 5 s)")
    print(f"  `pulumi-policies diff preview.json` (same preview):  {diff:6.2f} s  (access/diff {review / diff:.2f}x)")
    print(f"  in process, state + preview -> two models -> changes: {in_process:6.2f} s")
    save_json("access.json", row)
    return 0 if review < 5 else 1


if __name__ == "__main__":
    sys.exit(main())
