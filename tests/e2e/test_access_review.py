"""`pulumi-policies access` on the real engine: who gains or loses access by a preview, under which approval, with
the policies that cause it; single resources and policy sets; Markdown, JSON, --fail-on new-access, --baseline."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


_DOCUMENTS: dict[tuple[str, str, int], tuple[Path, Path]] = {}


def documents(ps):
    """The stack's preview and state (`--show-secrets`) as the README's workflow writes them, once per program and
    state: every report of one change reads the same two files (each `pulumi` command costs a second of CPU)."""
    project = ps.stack.project_dir
    backend = Path(ps.stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    serial = max((f.stat().st_mtime_ns for f in backend.rglob("*.json")), default=0)
    key = (str(project), (project / "resources.json").read_text(), serial)
    if key not in _DOCUMENTS:
        preview, state = project / f"preview-{len(_DOCUMENTS)}.json", project / f"state-{len(_DOCUMENTS)}.json"
        preview.write_text(ps.stack.pulumi("preview", "--json").stdout)
        state.write_text(ps.stack.pulumi("stack", "export", "--show-secrets").stdout)
        _DOCUMENTS[key] = (preview, state)
    return _DOCUMENTS[key]


def access(ps, *args):
    preview, state = documents(ps)
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "access", "--state", str(state), str(preview),
                           *args], capture_output=True, text=True, env=ps.stack.env, timeout=300)
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


def pp(name, members, **args):
    return {"type": "ProfilePolicy", "name": name, "args": {"profile_id": "prof-eng", "name": name, "members": members,
                                                            **args}}


def order(*policies):
    return {"type": "ProfilePolicyOrder", "name": "order",
            "args": {"profile_id": "prof-eng", "policies": list(policies)}}


def verdict(ps, tmp_path, *args):
    """`access --fail-on new-access` (JSON) on the stack's preview and state as the engine writes them, and `diff`
    of the same files printing the same access changes as `access` (text): (exit code, the JSON document)."""
    preview, state = tmp_path / "preview.json", tmp_path / "state.json"
    preview.write_text(ps.stack.pulumi("preview", "--json").stdout)
    state.write_text(ps.stack.pulumi("stack", "export", "--show-secrets").stdout)
    try:
        def cli(*command):
            return subprocess.run([sys.executable, "-m", "pulumi_policies.cli", *command, "--state", str(state),
                                   str(preview)], capture_output=True, text=True, env=ps.stack.env, timeout=120)
        gate = cli("access", "--format", "json", "--fail-on", "new-access", *args)
        assert gate.returncode in (0, 3), gate.stdout + gate.stderr
        text, diff = cli("access", "--format", "text"), cli("diff", "--format", "text")
        assert diff.returncode == 0 and diff.stdout[diff.stdout.index("Access changes:"):].strip() == text.stdout.strip(), \
            diff.stdout + diff.stderr
        return gate.returncode, json.loads(gate.stdout), gate.stdout + text.stdout + diff.stdout
    finally:
        state.unlink()  # it holds the secrets in plaintext


@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_values_the_preview_hides_fail_closed_and_a_refresh_adds_no_noise(server, make_stack, tmp_path):
    """The adopter's ways past the gate (issue 31), each on the engine's own preview: a Deny switched off by a value
    known only after apply, a secret member, a reorder whose moved policy is also touched; and after a refresh, a new
    Allow for reach already held is no change."""
    base = [
        rp("read", users("dan")),
        rp("no-bob", users("bob"), access_type="Deny"),
        pp("gated", users("ann"), condition=APPROVAL),
        pp("open", users("ann")),
        order("@gated.policy_id", "@open.policy_id"),  # ann's path is the gated one
    ]
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*base).stack.up()
    baseline = tmp_path / "baseline.json"
    code, doc, _ = verdict(ps, tmp_path, "--save-model", str(baseline))
    assert code == 0 and doc["changes"] == [], doc

    # a Deny whose is_active is known only after apply (False), and bob added to the Allow it shadowed
    hidden = copy.deepcopy(base)
    by_name(hidden, "read")["args"]["members"] = users("dan", "bob")
    by_name(hidden, "no-bob")["args"]["is_active"] = {"$after": "@other.policy_id", "value": False}
    ps.declare(rp("other", users("nobody"), is_active=False), *hidden)  # created by this update: its id unknown
    code, doc, _ = verdict(ps, tmp_path)
    assert code == 3 and found_in(doc) == [("bob", "gains", ("no-bob", "read"))], doc
    assert {"policy": "no-bob", "field": "is_active", "read_as": "no Deny"} in doc["unseen"], doc["unseen"]

    # the ungated Allow moved ahead of the gated one, and touched in the same change (a member added): the order
    # weakens ann's approval, the touch is zed's gain, each named for its own
    reordered = copy.deepcopy(base)
    by_name(reordered, "open")["args"]["members"] = users("ann", "zed")
    by_name(reordered, "order")["args"]["policies"] = ["@open.policy_id", "@gated.policy_id"]
    ps.declare(*reordered)
    code, doc, _ = verdict(ps, tmp_path)
    assert code == 3 and found_in(doc) == [("ann", "weaker-approval", ("order",)), ("zed", "gains", ("open",))], doc

    # a secret member: the preview shows the members as "[secret]", a principal nobody can name gains (the members
    # the state showed are read as gone); nothing prints the secret
    secret = copy.deepcopy(base)
    by_name(secret, "read")["args"]["members"] = {"users": [{"name": "dan"}, {"name": {"$secret": "alice"}}]}
    ps.declare(*secret)
    code, doc, printed = verdict(ps, tmp_path)
    assert code == 3 and [f for f in found_in(doc) if f[1] != "loses"] == [("(secret)", "gains", ("read",))], doc
    assert "alice" not in printed
    # ... applied, the state read with --show-secrets names her against the model saved before
    ps.stack.up()
    assert "alice" not in json.dumps(ps.stack.outputs())
    code, doc, _ = verdict(ps, tmp_path, "--baseline", str(baseline))
    assert code == 3 and found_in(doc) == [("alice", "gains", ("read",))], doc

    # after a refresh, a new Allow for what dan already holds under the same gate is no change
    ps.stack.refresh()
    ps.declare(*secret, rp("again", users("dan")))
    code, doc, _ = verdict(ps, tmp_path)
    assert code == 0 and doc["changes"] == [], doc


def found_in(doc):
    return sorted((c["principal"]["name"], c["change"], tuple(c["via"])) for c in doc["changes"])
