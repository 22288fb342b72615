"""The review report, built from real `pulumi preview --json` output of each resource type."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pulumi_policies.report import build_report, render_markdown, render_text
from tests.support.policies import Api, new_policy_stack

JUSTIFICATION = {"settings_type": "JUSTIFICATION", "justification_regex": "^CHG[0-9]+$"}
ITSM = {"settings_type": "ITSM", "connection_id": "c-1", "connection_type": "servicenow"}


def declared(rp_users, pp_settings, labels, cp_policyid="cp-1", with_rp=True):
    items = [
        {"type": "ProfilePolicy", "name": "pp", "args": {"profile_id": "prof-eng", "name": "prod-db",
                                                          "settings": pp_settings,
                                                          "members": {"users": [{"name": "carol"}]}}},
        {"type": "ConfigurationPolicy", "name": "cp", "args": {"policyid": cp_policyid, "organization": "acme",
                                                               "description": "nightly"}},
    ]
    if with_rp:
        items.append({"type": "ResourcePolicy", "name": "rp",
                      "args": {"name": "staging", "members": {"users": [{"name": u} for u in rp_users]},
                               "resource_labels": labels}})
    return items


def preview_report(ps):
    preview = ps.stack.preview_json()
    return preview, {c.resource: c for c in build_report(preview)}


def test_report_for_create_update_replace_delete(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*declared(["alice"], [ITSM], {"env": ["staging"]}))
    _, report = preview_report(ps)
    assert {c.op for c in report.values()} == {"create"} and set(report) == {"pp", "cp", "rp"}
    assert report["rp"].items[0].field == "members.users" and report["rp"].items[0].added == ["alice"]
    ps.stack.up()
    requests_before = server.admin.requests()["total"]

    # update members, labels and settings; replace the configuration policy
    ps.declare(*declared(["alice", "bob"], [JUSTIFICATION], {"env": ["staging", "prod"]}, cp_policyid="cp-2"))
    preview, report = preview_report(ps)
    rp, pp, cp = report["rp"], report["pp"], report["cp"]
    assert rp.op == "update" and pp.op == "update" and cp.op == "replace"
    items = {i.field: i for i in rp.items}
    assert items["members.users"].added == ["bob"] and items["members.users"].removed == []
    assert items["resource_labels.env"].added == ["prod"]
    settings = next(i for i in pp.items if i.field == "settings")
    assert settings.added == ["JUSTIFICATION matching ^CHG[0-9]+$"]
    assert settings.removed == ["ITSM via servicenow connection c-1"]
    assert ("policyid", "cp-1", "cp-2") in cp.fields and cp.replace_reasons == ["policyid"]
    md = render_markdown(list(report.values()))
    assert "- **members.users** + `bob`\n" in md and "| `policyid` | `\"cp-1\"` | `\"cp-2\"` |" in md
    assert "gains access" not in md  # a member line says who was added, not what it does: the access part says it
    assert "members.users: + bob" in render_text(list(report.values()))

    # the CLI reads the same JSON from stdin (with the stack's state, as `access` does); with --detailed-exitcode
    # exit code 2 means "changes"; after the fields, who gains what
    state = tmp_path / "state.json"
    state.write_text(json.dumps(ps.stack.export()))
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff", "--format", "text",
                           "--detailed-exitcode", "--state", str(state)],
                          input=json.dumps(preview), capture_output=True, text=True)
    assert proc.returncode == 2 and "REPLACE  ConfigurationPolicy 'cp-2'" in proc.stdout, proc.stderr
    said = proc.stdout[proc.stdout.index("Access changes:"):]
    assert "user bob\n- gains resources env in [prod, staging]: no approval or condition (via rp)" in said, said
    assert "user alice\n- gains resources env in [prod, staging]" in said  # the labels widened: prod is new to her
    assert "user carol\n- weaker-approval" not in said and "user carol\n- weaker approval profile prof-eng: " \
        "ITSM ticket (c-1, any ticket) -> justification matching ^CHG[0-9]+$ (via pp)" in said, said  # ITSM for a reason
    alone = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff", "--format", "text"],
                           input=json.dumps(preview), capture_output=True, text=True)
    assert alone.returncode == 0 and "Access changes not computed: a preview alone" in alone.stdout  # no verdict on a part

    # delete
    ps.declare(*declared(["alice"], [ITSM], {"env": ["staging"]}, with_rp=False))
    _, report = preview_report(ps)
    assert report["rp"].op == "delete"
    assert report["rp"].items[0].removed == ["alice"]

    # at a terminal, with no preview piped in, `diff` runs the preview of the selected stack itself
    terminal, user_side = os.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff", "--format", "markdown",
                               "--detailed-exitcode", "--cwd", str(ps.stack.project_dir)], stdin=user_side,
                              capture_output=True, text=True, env=ps.stack.env, timeout=300)
    finally:
        os.close(terminal)
        os.close(user_side)
    assert proc.returncode == 2 and "1 policy: 1 " in proc.stdout, proc.stdout + proc.stderr
    assert server.admin.requests()["total"] == requests_before  # previews made no API call

    # no changes: exit code 0
    ps.declare(*declared(["alice"], [ITSM], {"env": ["staging"]}))
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff"],
                          input=json.dumps(ps.stack.preview_json()), capture_output=True, text=True)
    assert proc.returncode == 0 and "No policy changes." in proc.stdout


def test_report_after_refresh_shows_only_the_drift(server, make_stack, tmp_path):
    """Refresh records the server's values (server defaults included); the report must not call those changes."""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*declared(["alice"], [ITSM], {"env": ["staging"]}))
    ps.stack.up()
    [rp] = server.admin.dump()["resource_policies"]
    api = Api(server)
    api.rm.patch(f"/api/resource-manager/policies/{rp['id']}",
                 json={"description": "made by hand", "isActive": False,
                       "members": {"users": [{"name": "mallory"}, {"name": "alice"}]}})
    ps.stack.refresh()
    _, report = preview_report(ps)
    assert set(report) == {"rp"}
    change = report["rp"]
    # the policy switched off by hand is drift (is_active left out means true); a description set by hand is carried
    assert change.fields == [("is_active", False, True)]
    assert [(i.field, i.added, i.removed) for i in change.items] == [("members.users", [], ["mallory"])]
