"""The review report on preview shapes the end-to-end tests do not produce: components, unknowns,
secrets, delete-before-replace, awkward values, failed previews. Steps are built as `pulumi preview --json`
writes them (urn, op, oldState/newState with inputs)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from pulumi_policies.engine_state import UNKNOWN
from pulumi_policies.report import build_report, preview_errors, render_markdown, render_text

RP = "pulumi-python:dynamic/pulumi_policies:ResourcePolicy"


def step(op, inputs_old=None, inputs_new=None, urn=f"urn:pulumi:dev::proj::{RP}::rp"):
    out = {"op": op, "urn": urn}
    if inputs_old is not None:
        out["oldState"] = {"inputs": inputs_old}
    if inputs_new is not None:
        out["newState"] = {"inputs": inputs_new}
    return out


ALICE = {"name": "rp", "members": {"users": [{"name": "alice"}]}}


def test_policies_inside_a_component_are_reported_with_their_whole_name():
    urn = f"urn:pulumi:dev::proj::my:team:Team${RP}::team::rp"
    [change] = build_report({"steps": [step("update", ALICE, {"name": "rp", "members": {}}, urn=urn)]})
    assert change.kind == "ResourcePolicy" and change.resource == "team::rp"
    assert [(i.field, i.removed) for i in change.items] == [("members.users", ["alice"])]


def test_unknown_members_and_labels_are_not_spelled_out_character_by_character():
    new = {"name": "rp", "members": {"users": UNKNOWN}, "resource_labels": {"env": UNKNOWN}}
    [change] = build_report({"steps": [step("update", {**ALICE, "resource_labels": {"env": ["prod"]}}, new)]})
    items = {i.field: (i.added, i.removed) for i in change.items}
    assert items == {"members.users": (["(known after apply)"], ["alice"]),
                     "resource_labels.env": (["(known after apply)"], ["prod"])}
    nested = {"name": "rp", "members": {"users": [{"id": UNKNOWN}]}}
    [change] = build_report({"steps": [step("update", ALICE, nested)]})
    assert change.items[0].added == ["(known after apply)"]
    unknown_setting = {"name": "rp", "settings": [UNKNOWN]}
    old = {"name": "rp", "settings": [{"settings_type": "JUSTIFICATION"}]}
    [change] = build_report({"steps": [step("update", old, unknown_setting)]})
    assert change.items[0].removed == [] and change.items[0].changed  # not "JUSTIFICATION removed"


def test_a_masked_secret_is_a_field_change_not_everyone_losing_access():
    [change] = build_report({"steps": [step("update", ALICE, {"name": "rp", "members": "[secret]"})]})
    assert change.items == [] and change.fields == [("members", ALICE["members"], "[secret]")]


def test_delete_before_replace_reports_the_change_once_with_the_new_values():
    new = {"name": "rp2", "members": {"users": [{"name": "alice"}, {"name": "bob"}]}}
    steps = [step("delete-replaced", ALICE), step("replace", ALICE, new), step("create-replacement", ALICE, new)]
    [change] = build_report({"steps": steps})
    assert change.op == "replace" and change.title == "rp2"
    assert change.fields == [("name", "rp", "rp2")]
    assert [(i.field, i.added, i.removed) for i in change.items] == [("members.users", ["bob"], [])]


def test_markdown_cells_survive_pipes_and_backticks():
    steps = [step("update", {"name": "rp", "description": "db read | write"},
                  {"name": "rp", "description": "db `admin` | all"})]
    row = next(line for line in render_markdown(build_report({"steps": steps})).splitlines()
               if line.startswith("| `description`"))
    assert len(re.split(r"(?<!\\)\|", row)) == 5  # three cells (and the edges), whatever the values hold
    assert "``" in row  # the value's own backticks sit inside a longer code span


def test_a_failed_preview_is_an_error_not_an_empty_report(tmp_path):
    failed = {"steps": [], "diagnostics": [{"severity": "error", "message": "ResourcePolicy.name: Field required"},
                                           {"severity": "warning", "message": "just so you know"}]}
    assert preview_errors(failed) == ["ResourcePolicy.name: Field required"]
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(failed))
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff", str(path)], capture_output=True,
                          text=True)
    assert proc.returncode == 1 and "Field required" in proc.stderr and "No policy changes" not in proc.stdout
    assert "No policy changes" in render_text([])


def test_members_the_server_recorded_with_ids_are_not_reported_as_changed():
    """After a refresh against a server that fills in member ids (Britive), the recorded inputs carry them."""
    old = {"name": "rp", "description": "v1", "members": {"users": [{"id": "u-1", "name": "alice"}]}}
    new = {"name": "rp", "description": "v2", "members": {"users": [{"name": "alice"}, {"name": "bob"}]}}
    [change] = build_report({"steps": [step("update", old, new)]})
    assert change.fields == [("description", "v1", "v2")]
    assert [(i.field, i.added, i.removed) for i in change.items] == [("members.users", ["bob"], [])]


PP = "pulumi-python:dynamic/pulumi_policies:ProfilePolicy"
ORDER = "pulumi-python:dynamic/pulumi_policies:ProfilePolicyOrder"


def test_an_order_is_shown_by_policy_name_and_an_unknown_id_never_as_a_value():
    gated = {"op": "update", "urn": f"urn:pulumi:dev::proj::{PP}::gated",
             "oldState": {"inputs": {"profile_id": "p", "name": "gated"},
                          "outputs": {"profile_id": "p", "name": "gated", "policy_id": "id-1"}},
             "newState": {"inputs": {"profile_id": "p", "name": "gated", "description": "x"}}}
    order = {"op": "update", "urn": f"urn:pulumi:dev::proj::{ORDER}::order",
             "oldState": {"inputs": {"profile_id": "p", "policies": ["id-1", "id-2"]},
                          "outputs": {"profile_id": "p", "policies": ["id-1", "id-2"], "policy_ids": ["id-1", "id-2"],
                                      "policy_names": ["gated", "open"]}},
             "newState": {"inputs": {"profile_id": "p", "policies": ["id-2", UNKNOWN]}}}
    changes = build_report({"steps": [gated, order]})
    [moved] = [c for c in changes if c.kind == "ProfilePolicyOrder"]
    assert moved.fields == [("policies", ["gated", "open"], ["open", UNKNOWN])]
    text = render_text(changes) + render_markdown(changes)
    assert UNKNOWN not in text and "(known after apply)" in text and '"open"' in text, text
    assert "id-2" not in text, text
