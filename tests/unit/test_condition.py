"""The typed condition of resource-manager policies: validation at preview naming the field, equality as Britive's
own Terraform provider compares conditions (britive-client-go/client.go ConditionEqual and the block functions), and
what a server holds beyond the models kept on every write."""

from __future__ import annotations

import json

import pytest

from pulumi_policies.models import RmPolicyRecord, python_names
from pulumi_policies.providers import PROVIDERS

RP, PP = PROVIDERS["ResourcePolicy"](), PROVIDERS["ProfilePolicy"]()

APPROVAL = {"approvers": {"tags": ["sre", "dba"], "userIds": ["bwayne", "ckent"]},
            "notificationMedium": ["Teams", "Email"], "managerApproval": {"condition": "All", "required": True},
            "timeToApprove": 30, "validFor": 2, "isValidForInDays": True}
CONDITION = {"approval": APPROVAL, "ipAddress": "10.0.0.0/8,192.168.1.5",
             "timeOfAccess": {"dateSchedule": {"fromDate": "2026-01-01 00:00:00", "toDate": "2026-12-31 23:59:59",
                                               "timezone": "Europe/Berlin"},
                              "daysSchedule": {"fromTime": "08:00:00", "toTime": "18:30:00", "timezone": "UTC",
                                               "days": ["MONDAY", "FRIDAY"]}}}


def reasons(provider, news):
    return " | ".join(f.reason for f in provider.check({}, news).failures)


def checked(condition, provider=RP):
    scope = {"profile_id": "p"} if provider is PP else {}
    result = provider.check({}, {"name": "db", **scope, "condition": condition})
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


@pytest.mark.parametrize("condition,field,said", [
    ({"approval": {"managerApproval": {"condition": "Some", "required": True}}},
     "condition.approval.manager_approval.condition", "'All', 'Any' or 'Manager'"),
    ({"ipAddress": "10.0.0.0/8, 300.1.1.1"}, "condition.ip_address", "'300.1.1.1' is not an IP address"),
    ({"timeOfAccess": {"daysSchedule": {"fromTime": "09:00:00", "toTime": "25:00:00", "timezone": "UTC",
                                        "days": ["MONDAY"]}}},
     "condition.time_of_access.days_schedule.to_time", "HH:MM:SS"),
    ({"timeOfAccess": {"dateSchedule": {"fromDate": "2026-01-01 00:00:00", "toDate": "2026-02-01 00:00:00",
                                        "timezone": "Mars/Olympus_Mons"}}},
     "condition.time_of_access.date_schedule.timezone", "tz database"),
    ({"timeOfAccess": {"dateSchedule": {"fromDate": "2026-03-01 00:00:00", "toDate": "2026-02-01 00:00:00",
                                        "timezone": "UTC"}}},
     "condition.time_of_access.date_schedule", "is after to_date"),
    ({"timeOfAccess": {"daysSchedule": {"fromTime": "09:00:00", "toTime": "17:00:00", "timezone": "UTC",
                                        "days": ["FUNDAY"]}}},
     "condition.time_of_access.days_schedule.days[0]", "MONDAY"),
    ({"approval": {"timeToApprove": 0}}, "condition.approval.time_to_approve", "greater than or equal to 1"),
    ({"approval": {"approver": {"tags": ["x"]}}}, "condition.approval.approver", "Extra inputs"),
    ("{not json", "condition", "JSON"),
])
def test_a_bad_condition_is_refused_at_preview_naming_the_field(condition, field, said):
    for provider, kind in ((RP, "ResourcePolicy"), (PP, "ProfilePolicy")):
        scope = {"profile_id": "p"} if provider is PP else {}
        text = reasons(provider, {"name": "db", **scope, "condition": condition})
        assert f"{kind}.{field}: " in text and said in text, text


def test_python_names_wire_names_and_a_json_string_are_one_condition():
    wire = checked(CONDITION)
    assert wire == checked(json.dumps(CONDITION))
    assert wire["condition"]["approval"]["manager_approval"] == {"condition": "All", "required": True}
    python = {"approval": {"approvers": {"tags": ["dba", "sre"], "user_ids": ["ckent", "bwayne"]},
                           "notification_medium": ["Email", "Teams"],
                           "manager_approval": {"condition": "All", "required": True},
                           "time_to_approve": 30, "valid_for": 2, "is_valid_for_in_days": True},
              "ip_address": "192.168.1.5, 10.0.0.0/8",
              "time_of_access": {"date_schedule": {"from_date": "2026-01-01 00:00:00", "to_date": "2026-12-31 23:59:59",
                                                   "timezone": "Europe/Berlin"},
                                 "days_schedule": {"from_time": "08:00:00", "to_time": "18:30:00", "timezone": "UTC",
                                                   "days": ["friday", "monday"]}}}
    assert checked(python) == wire


def test_what_servers_do_to_a_condition_is_no_change():
    news = checked(CONDITION)
    # as a Britive server returns it: a JSON string, lists in another order, the IP list re-spaced, no manager
    # approval where none is required
    held = json.loads(json.dumps(CONDITION))
    held["approval"]["approvers"] = {"userIds": ["ckent", "bwayne"], "tags": ["dba", "sre"]}
    held["ipAddress"] = "192.168.1.5, 10.0.0.0/8"
    held["timeOfAccess"]["daysSchedule"]["days"] = ["FRIDAY", "MONDAY"]
    olds = python_names(RmPolicyRecord, {"id": "1", "name": "db", "condition": json.dumps(held)})
    assert RP.diff("1", olds, news).changes is False
    not_required = checked({"approval": {"timeToApprove": 30, "managerApproval": {"condition": "All",
                                                                                  "required": False}}})
    dropped = python_names(RmPolicyRecord, {"id": "1", "name": "db", "condition": {"approval": {"timeToApprove": 30}}})
    assert RP.diff("1", dropped, not_required).changes is False
    assert RP.diff("1", {"name": "db", "condition": {"approval": {}, "ipAddress": None}}, checked({})).changes is False


@pytest.mark.parametrize("change", [
    lambda c: c["approval"].pop("managerApproval"),
    lambda c: c["approval"]["managerApproval"].update(condition="Any"),
    lambda c: c["approval"]["approvers"]["tags"].append("everyone"),
    lambda c: c["approval"].update(timeToApprove=60),
    lambda c: c.update(ipAddress="0.0.0.0/0"),
    lambda c: c["timeOfAccess"].pop("daysSchedule"),
    lambda c: c["timeOfAccess"]["daysSchedule"]["days"].append("SUNDAY"),
    lambda c: c.pop("approval"),
])
def test_every_real_change_of_a_condition_is_a_change(change):
    olds = checked(CONDITION)
    edited = json.loads(json.dumps(CONDITION))
    change(edited)
    assert RP.diff("1", olds, checked(edited)).changes is True


def test_keys_and_settings_types_a_server_holds_beyond_the_models_are_sent_back():
    held = {"id": "1", "name": "db",
            "condition": json.dumps({"approval": {"timeToApprove": 30, "escalateAfter": 5}, "geoFence": ["eu"]}),
            "settings": [{"settingsType": "GEO", "regions": ["eu"], "connectionId": "g-1"},
                         {"settingsType": "JUSTIFICATION", "isJustificationRequired": True}],
            "members": {"users": [{"name": "alice"}], "robots": [{"name": "r2"}]}}
    current = RP.outputs(held, {})
    assert current["settings"][0] == {"settingsType": "GEO", "regions": ["eu"], "connectionId": "g-1"}  # as held
    news = RP.check({}, {"name": "db", "condition": {"approval": {"time_to_approve": 45}},
                         "settings": [{"settings_type": "JUSTIFICATION"}], "members": {"users": [{"name": "bob"}]}})
    assert news.failures == []
    body = RP._update_body(news.inputs, ["condition", "settings", "members"], held)
    assert body["condition"] == {"approval": {"timeToApprove": 45, "escalateAfter": 5}, "geoFence": ["eu"]}
    assert {"settingsType": "GEO", "regions": ["eu"], "connectionId": "g-1"} in body["settings"]
    assert body["members"]["robots"] == [{"name": "r2"}] and body["members"]["users"] == [{"id": None, "name": "bob"}]
    # what is only on the server never shows as a change, and a removed approval takes its unknown keys with it
    assert RP.diff("1", current, RP.check({}, {"name": "db", "condition": {"approval": {"timeToApprove": 30}},
                                               "settings": [{"settings_type": "JUSTIFICATION"}],
                                               "members": {"users": [{"name": "alice"}]}}).inputs).changes is False
    assert RP._update_body(RP.check({}, {"name": "db"}).inputs, ["condition"], held)["condition"] == {"geoFence": ["eu"]}
    # what did not change is not sent at all
    assert set(RP._update_body(news.inputs, ["members"], held)) == {"name", "members"}


def test_im_settings_and_the_new_member_kinds_are_declarable():
    result = PP.check({}, {"name": "db", "profile_id": "p",
                           "settings": [{"settings_type": "IM", "connection_id": "pd-1", "connection_type": "pagerDuty",
                                         "escalation_policies": ["p2", "p1"]}],
                           "members": {"tokens": [{"name": "ci"}], "ai_identities": [{"name": "agent"}]}})
    assert result.failures == []
    body = PP._create_body(result.inputs)
    [im] = body["settings"]
    assert {k: v for k, v in im.items() if v is not None} == {
        "settingsType": "IM", "isInherited": False, "connectionId": "pd-1", "connectionType": "pagerDuty",
        "isAutoApprovalEnabled": False, "escalationPolicies": ["p1", "p2"]}
    assert body["members"]["tokens"] == [{"id": None, "name": "ci"}]
    assert body["members"]["aiIdentities"] == [{"id": None, "name": "agent"}]
    text = reasons(PP, {"name": "db", "profile_id": "p", "settings": [{"settings_type": "IM", "connection_id": "x"}]})
    assert "ProfilePolicy.settings[0].connection_type: Field required" in text, text
