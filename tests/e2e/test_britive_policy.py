"""A Britive policy as real tenants hold it, on the real engine against the embedded server's britive profile: an
approval condition, IP and time windows, IM settings, tokens and AI identities.

The server stores a condition the way Britive's own Terraform provider shows servers do (its equality functions in
britive-client-go/client.go): lists and days in another order, the IP list re-spaced, a manager approval that is
not required dropped. None of that is a change; every edit made by hand is drift found by refresh; a bad condition
fails the preview naming the field, before any HTTP call; what the server holds beyond the models is kept.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.policies import Api, new_policy_stack

CONDITION = {
    "approval": {"approvers": {"tags": ["dba", "sre"], "userIds": ["bwayne", "ckent"]},
                 "notificationMedium": ["Email", "Teams"],
                 "managerApproval": {"condition": "Any", "required": True},
                 "timeToApprove": 30, "validFor": 2, "isValidForInDays": True},
    "ipAddress": "10.0.0.0/8,192.168.1.5",
    "timeOfAccess": {"daysSchedule": {"fromTime": "08:00:00", "toTime": "18:00:00", "timezone": "Europe/Berlin",
                                      "days": ["MONDAY", "TUESDAY", "FRIDAY"]}},
}
IM = {"settings_type": "IM", "connection_id": "pd-1", "connection_type": "pagerDuty",
      "escalation_policies": ["p-night", "p-day"]}


def declared(condition=CONDITION, **extra):
    return [
        {"type": "ProfilePolicy", "name": "pp", "args": {
            "profile_id": "prof-eng", "name": "db-break-glass", "condition": condition, "settings": [IM],
            "members": {"tags": [{"name": "sre"}], "tokens": [{"name": "ci"}], "ai_identities": [{"name": "agent"}]},
            **extra}},
        # the Terraform provider's users hold the condition as a JSON string, Python names work as well
        {"type": "ResourcePolicy", "name": "rp", "args": {
            "name": "prod-db-read", "resource_labels": {"env": ["prod"]}, "members": {"users": [{"name": "alice"}]},
            "condition": json.dumps({"approval": {"timeToApprove": 15, "managerApproval": {"condition": "All",
                                                                                          "required": False}},
                                     "ip_address": "10.1.0.0/16"})}},
    ]


@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_a_whole_britive_policy_round_trips_with_no_perpetual_diff_and_drift_found(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*declared())
    ps.stack.up()
    api = Api(server)
    [pp] = server.admin.dump()["profile_policies"]
    held = api.rm.get(api.rm_path("ProfilePolicy", pp["id"], "prof-eng")).json()
    stored = json.loads(held["condition"])  # a JSON string on this server, not what was sent verbatim
    assert stored["ipAddress"] != CONDITION["ipAddress"] or stored["approval"]["approvers"] != \
        CONDITION["approval"]["approvers"], "the britive profile should not echo a condition verbatim"
    assert [s["settingsType"] for s in held["settings"]] == ["IM"]
    assert [m["name"] for m in held["members"]["tokens"]] == ["ci"]
    assert [m["name"] for m in held["members"]["aiIdentities"]] == ["agent"]
    [rp] = server.admin.dump()["resource_policies"]
    assert "managerApproval" not in json.loads(api.rm.get(api.rm_path("ResourcePolicy", rp["id"])).json()
                                               ["condition"])["approval"]  # dropped: not required

    # none of the server's normalisations is a change, before or after a refresh
    assert ps.stack.changes() == {}
    ps.stack.refresh()
    assert ps.stack.changes() == {}
    outputs = ps.output("pp")
    assert outputs["condition"]["approval"]["manager_approval"] == {"condition": "Any", "required": True}
    assert outputs["condition"]["time_of_access"]["days_schedule"]["timezone"] == "Europe/Berlin"

    # an approval weakened by hand is drift: refresh finds it, the preview shows it, up puts it back
    weakened = json.loads(json.dumps(stored))
    weakened["approval"].pop("managerApproval")
    weakened["approval"]["timeToApprove"] = 600
    path = api.rm_path("ProfilePolicy", pp["id"], "prof-eng")
    assert api.rm.patch(path, json={"condition": json.dumps(weakened)}).status_code == 204
    ps.stack.refresh()
    assert ps.stack.changes() == {"update": 1}
    ps.stack.up()
    again = json.loads(api.rm.get(path).json()["condition"])
    assert again["approval"]["timeToApprove"] == 30 and again["approval"]["managerApproval"]["required"] is True
    assert ps.stack.changes() == {}

    # a key this project does not know, added on the server, survives an update of another field
    extended = {**again, "geoFence": {"countries": ["DE"]}}
    api.rm.patch(path, json={"condition": json.dumps(extended)})
    ps.stack.refresh()
    assert ps.stack.changes() == {}
    ps.declare(*declared(description="reviewed"))
    ps.stack.up()
    kept = api.rm.get(path).json()
    assert kept["description"] == "reviewed" and json.loads(kept["condition"])["geoFence"] == {"countries": ["DE"]}


@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_a_bad_condition_fails_the_preview_naming_the_field_with_no_call(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    bad = json.loads(json.dumps(CONDITION))
    bad["approval"]["managerApproval"]["condition"] = "Some"
    bad["ipAddress"] = "10.0.0.0/33"
    bad["timeOfAccess"]["daysSchedule"]["toTime"] = "25:00:00"
    ps.declare(*declared(condition=bad))
    server.admin.clear_requests()
    proc = ps.stack.pulumi("preview", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for said in ("ProfilePolicy.condition.approval.manager_approval.condition: Input should be 'All', 'Any' or "
                 "'Manager'", "ProfilePolicy.condition.ip_address: '10.0.0.0/33' is not an IP address",
                 "ProfilePolicy.condition.time_of_access.days_schedule.to_time: must be a time of day"):
        assert said in text, text
    assert server.admin.requests()["total"] == 0


@pytest.mark.parametrize("server", ["documented", "britive", "infraon"], indirect=True)
def test_conditions_round_trip_on_every_server_profile_and_a_real_change_shows(server, make_stack, tmp_path):
    """The condition on every profile (IM settings and the tokens/aiIdentities kinds are Britive's: the documented
    servers do not keep them); each block's real change shows in `preview --diff` and in `pulumi-policies diff`."""
    policy = {"type": "ProfilePolicy", "name": "pp", "args": {
        "profile_id": "prof-eng", "name": "db-break-glass", "members": {"tags": [{"name": "sre"}]},
        "condition": {**CONDITION, "timeOfAccess": {**CONDITION["timeOfAccess"], "dateSchedule": {
            "fromDate": "2027-01-01 00:00:00", "toDate": "2027-06-30 23:59:59", "timezone": "UTC"}}}}}
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(policy)
    ps.stack.up()
    assert ps.stack.changes() == {}

    changed = json.loads(json.dumps(policy))
    condition = changed["args"]["condition"]
    condition["approval"]["approvers"]["tags"].append("oncall")                  # an approver added
    condition["ipAddress"] = "10.0.0.0/8"                                        # the IP list narrowed
    condition["timeOfAccess"]["daysSchedule"]["days"] = ["MONDAY", "TUESDAY"]     # a day removed
    condition["approval"]["managerApproval"]["required"] = False                 # manager approval dropped
    ps.declare(changed)
    shown = ps.stack.pulumi("preview", "--diff").stdout
    assert "condition" in shown and "oncall" in shown and "FRIDAY" in shown, shown
    preview = ps.stack.preview_json()
    state = tmp_path / "state.json"  # the stack's other policies: what the access part reads besides the preview
    state.write_text(ps.stack.pulumi("stack", "export", "--show-secrets").stdout)
    report = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff", "--format", "text",
                             "--detailed-exitcode", "--state", str(state)],
                            input=json.dumps(preview), capture_output=True, text=True)
    assert report.returncode == 2 and "UPDATE   ProfilePolicy 'db-break-glass'" in report.stdout, report.stderr
    assert "condition:" in report.stdout
    # the access part: approval weakened (an approver more, no manager), the IP window narrowed
    assert "weaker approval profile prof-eng" in report.stdout, report.stdout
