"""`pulumi-policies access` on the real engine: who gains or loses access by a preview, under which approval, with
the policies that cause it; single resources and policy sets; Markdown, JSON, --fail-on new-access, --baseline."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

from tests.support.policies import new_policy_stack

APPROVAL = {"approval": {"approvers": {"tags": ["sre-leads"]}, "manager_approval": {"condition": "All",
                                                                                  "required": True}}}


def users(*names):
    return {"users": [{"name": n} for n in names]}


def rp(name, members, **args):
    return {"type": "ResourcePolicy", "name": name,
            "args": {"name": name, "members": members, "resource_labels": {"env": ["staging"]},
                     "access_level": "read", **args}}


BASE = [
    rp("read", {**users("alice", "bob"), "tags": [{"name": "dev"}]}),
    rp("deny-bob", users("bob"), access_type="Deny"),
    rp("gated", users("gus"), condition=APPROVAL),
    rp("lvl", users("hal")),
    {"type": "ProfilePolicy", "name": "admins",
     "args": {"profile_id": "prof-eng", "name": "admins", "members": users("carol"), "is_active": False}},
    {"type": "ResourcePolicySet", "name": "estate",
     "args": {"policies": [{"name": "estate-a", "members": users("dave"), "resource_labels": {"env": ["dev"]}}]}},
]


def access(ps, *args):
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "access", "--run", "--cwd",
                           str(ps.stack.project_dir), "--stack", ps.stack.name, *args],
                          capture_output=True, text=True, env=ps.stack.env, timeout=300)
    assert proc.returncode in (0, 2, 3), proc.stdout + proc.stderr
    return proc


def found(proc):
    return sorted((c["principal"]["name"], c["change"], tuple(c["via"])) for c in json.loads(proc.stdout)["changes"])


def by_name(declared, name):
    return next(d for d in declared if d["name"] == name)


def test_who_gains_and_loses_access_by_a_preview(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*BASE)
    ps.stack.up()
    baseline = tmp_path / "baseline.json"
    quiet = access(ps, "--save-model", str(baseline), "--fail-on", "new-access")
    assert quiet.returncode == 0 and "No change to who can reach what" in quiet.stdout
    assert {a["principal"]["name"] for a in json.loads(baseline.read_text())["access"]} == {
        "alice", "dev", "gus", "hal", "dave"}  # bob is denied, carol's policy is off

    # alice added to the Deny: she loses what `read` gave her; nobody gains, so the gate passes
    only_loss = copy.deepcopy(BASE)
    by_name(only_loss, "deny-bob")["args"]["members"] = users("bob", "alice")
    ps.declare(*only_loss)
    proc = access(ps, "--format", "json", "--fail-on", "new-access")
    assert proc.returncode == 0 and found(proc) == [("alice", "loses", ("deny-bob",))]
    assert json.loads(proc.stdout)["changes"][0]["reach"] == {"resource_labels": {"env": ["staging"]},
                                                              "access_level": "read"}

    # every kind of new access at once, each with the policy that causes it
    gains = [d for d in copy.deepcopy(BASE) if d["name"] != "deny-bob"]              # a Deny deleted
    by_name(gains, "admins")["args"]["is_active"] = True                             # a policy switched on
    by_name(gains, "read")["args"]["resource_labels"] = {"env": ["staging", "prod"]}  # labels widened
    by_name(gains, "gated")["args"].pop("condition")                                 # approval dropped
    by_name(gains, "lvl")["args"]["access_level"] = "write"                          # level raised
    by_name(gains, "estate")["args"]["policies"][0]["members"] = users("dave", "frank")  # a set's member added
    ps.declare(*gains)
    proc = access(ps, "--format", "json", "--fail-on", "new-access")
    assert proc.returncode == 3, proc.stdout
    assert found(proc) == [
        ("alice", "gains", ("read",)),
        ("bob", "gains", ("deny-bob", "read")),
        ("carol", "gains", ("admins",)),
        ("dev", "gains", ("read",)),
        ("frank", "gains", ("estate[estate-a]",)),
        ("gus", "weaker-approval", ("gated",)),
        ("hal", "gains", ("lvl",)),
        ("hal", "loses", ("lvl",)),
    ]
    changes = {(c["principal"]["name"], c["change"]): c for c in json.loads(proc.stdout)["changes"]}
    assert changes[("carol", "gains")]["reach"] == {"profile": "prof-eng"}
    assert changes[("gus", "weaker-approval")]["approval"]["before"][0]["approval"]["manager"] == "All"
    assert changes[("gus", "weaker-approval")]["approval"]["after"] == [{}]
    assert changes[("bob", "gains")]["principal"] == {"kind": "user", "name": "bob"}

    md = access(ps).stdout  # the pull-request comment: a summary, then principals, those who gain first
    assert md.startswith("### Access changes\n\n**New access.** 6 principals gain access; 1 with a weaker approval; "
                         "1 principal loses access."), md
    assert "**user `gus`**\n- **weaker approval** resources env in [staging], access level `read`: approval by tag " \
        "sre-leads, manager approval (All) -> no approval or condition (via `gated`)" in md
    assert md.index("**user `hal`**") < md.index("**user `gus`**")  # a gain before a weaker approval

    # against the saved model instead of the state: the same changes (every involved policy named)
    again = access(ps, "--format", "json", "--baseline", str(baseline))
    assert [(n, c) for n, c, _ in found(again)] == [(n, c) for n, c, _ in found(proc)]


WORKFLOW = re.search(r"<!-- pull-request workflow -->\n```sh\n(.*?)```",
                     (Path(__file__).resolve().parents[2] / "README.md").read_text(), re.S)


def run_workflow(ps, tmp_path):
    """The README's pull-request workflow, step by step under `bash -e`, with `gh` recording the comment."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text('#!/bin/sh\nwhile [ "$1" != "--body-file" ]; do shift; done\ncp "$2" "$GH_COMMENT"\n')
    gh.chmod(0o755)
    comment = tmp_path / "comment.md"
    comment.unlink(missing_ok=True)
    env = {**ps.stack.env, "PATH": f"{bin_dir}:{ps.stack.env['PATH']}", "STACK": ps.stack.name, "PR": "7",
           "GH_COMMENT": str(comment)}
    proc = subprocess.run(["bash", "-e", "-c", WORKFLOW.group(1)], cwd=ps.stack.project_dir, env=env,
                          capture_output=True, text=True, timeout=300)
    assert not (ps.stack.project_dir / "state.json").exists()  # the plaintext export is not left behind
    return proc, comment.read_text() if comment.exists() else None


def test_the_gate_fails_closed_without_noise_and_the_readme_workflow_runs(server, make_stack, tmp_path):
    itsm = {"settings_type": "ITSM", "connection_id": "snow-prod", "connection_type": "servicenow",
            "itsm_filter_criteria": [{"supported_ticket_type": "change", "filter": {"state": "approved"}}]}
    base = [
        rp("read", users("alice")),
        {"type": "ProfilePolicy", "name": "ticketed",
         "args": {"profile_id": "prof-eng", "name": "ticketed", "members": users("ivy"),
                  "settings": [{"settings_type": "JUSTIFICATION", "justification_regex": "^CHG[0-9]{7}$"}]}},
        {"type": "ProfilePolicy", "name": "itsm",
         "args": {"profile_id": "prof-ops", "name": "itsm", "members": users("jo"), "settings": [itsm]}},
        rp("team", users("kim"), resource_labels={"team": ["db"]}),
    ]
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*base)
    ps.stack.up()
    assert WORKFLOW is not None
    proc, comment = run_workflow(ps, tmp_path)
    assert proc.returncode == 0 and comment is not None and "No change to who can reach what" in comment, proc.stderr

    # noise: a new Allow for what alice already holds under the same gate is no gain
    ps.declare(*base, rp("again", users("alice")))
    quiet = access(ps, "--format", "json", "--fail-on", "new-access")
    assert quiet.returncode == 0 and found(quiet) == [], quiet.stdout

    # weaker approvals the old model called stronger, and a label widened: new access, each named
    weaker = copy.deepcopy(base)
    by_name(weaker, "ticketed")["args"]["settings"][0]["justification_regex"] = ".*"
    by_name(weaker, "itsm")["args"]["settings"] = [{**itsm, "connection_id": "snow-sandbox"}]
    by_name(weaker, "team")["args"]["resource_labels"] = {"team": []}
    ps.declare(*weaker)
    # a label key with no values is refused at preview, naming the field (servers read it as nothing or anything)
    refused = ps.stack.pulumi("preview", check=False)
    assert refused.returncode != 0 and "ResourcePolicy.resource_labels: label 'team' has no values" in refused.stdout + \
        refused.stderr, refused.stdout
    by_name(weaker, "team")["args"]["resource_labels"] = {"team": ["db", "web"]}
    ps.declare(*weaker)
    proc = access(ps, "--format", "json", "--fail-on", "new-access")
    assert proc.returncode == 3, proc.stdout
    assert {("ivy", "weaker-approval", ("ticketed",)), ("jo", "weaker-approval", ("itsm",)),
            ("kim", "gains", ("team",))} <= set(found(proc)), found(proc)

    # diff prints the same access changes as access, from the same model
    text = access(ps, "--format", "text").stdout
    diff = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff", "--run", "--cwd",
                           str(ps.stack.project_dir), "--stack", ps.stack.name, "--format", "text"],
                          capture_output=True, text=True, env=ps.stack.env, timeout=300)
    assert diff.returncode == 0 and diff.stdout[diff.stdout.index("Access changes:"):].strip() == text.strip()

    # the README's workflow: the report is posted (exit 0 for writing it), then the gate blocks the merge (3)
    proc, comment = run_workflow(ps, tmp_path)
    assert proc.returncode == 3 and comment is not None and "**New access.**" in comment, proc.stderr

    # bad inputs: each refused in one line, exit 1
    preview, state = tmp_path / "preview.json", tmp_path / "state.json"
    preview.write_text(json.dumps(ps.stack.preview_json()))
    state.write_text(json.dumps(ps.stack.export()))
    for args, stdin, said in ((["--state", str(preview), str(state)], None, "is a stack's state"),
                              (["-"], "{}", "has no steps"), (["--state", str(state), "-"], '{"steps": [', "truncated")):
        proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "access", "--fail-on", "new-access",
                               *args], input=stdin, capture_output=True, text=True, env=ps.stack.env, timeout=60)
        assert proc.returncode == 1 and said in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, \
            (args, proc.stderr)
