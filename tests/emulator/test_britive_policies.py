"""Britive policies, whole (issue 25): what a Britive tenant does with a policy's condition, settings, members and
order, and its maintenance answer, over HTTP, against the `britive` profile and, for contrast, `documented`."""

from __future__ import annotations

import json

import httpx
import pytest

from pulumi_policies.emulator import EmulatorServer
from pulumi_policies.emulator.faults import MAINTENANCE_BODY

from .conftest import RM, Clients
from .test_server_behaviour import _serve

PROFILE = f"{RM}/profiles/prof-1"
PP = f"{PROFILE}/policies"
RP = f"{RM}/policies"

CONDITION = {
    "approval": {
        "approvers": {"tags": ["a-tag", "b-tag"], "userIds": ["alice", "bob"], "channelIds": ["c1", "c2"],
                      "slackAppChannels": ["s1", "s2"],
                      "teamsAppChannels": [{"team": "ops", "channels": ["alerts", "general"]},
                                           {"team": "sec", "channels": ["a", "b"]}],
                      "futureApprovers": ["x", "y"]},
        "notificationMedium": ["Email", "Teams"],
        "managerApproval": {"condition": "Any", "required": False},
        "timeToApprove": 30, "validFor": 2, "isValidForInDays": True, "futureFlag": [1, 2],
    },
    "ipAddress": "10.0.0.0/8,  192.168.1.5 ,172.16.0.1",
    "timeOfAccess": {
        "dateSchedule": {"fromDate": "2022-10-29 10:30:00", "toDate": "2022-11-29 10:30:00", "timezone": "Asia/Calcutta"},
        "daysSchedule": {"fromTime": "09:00:00", "toTime": "17:30:00", "timezone": "UTC",
                         "days": ["FRIDAY", "MONDAY", "SATURDAY"]},
    },
    "futureKey": {"kept": ["as", "sent"]},
}


def _condition(policy: dict) -> dict:
    raw = policy["condition"]
    return (json.loads(raw) if raw else {}) if isinstance(raw, str) else raw


def _britive(api: Clients) -> None:
    api.server.admin.set_config(profile="britive")


# -- 1. condition storage ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("base", [PP, RP])
def test_britive_stores_the_condition_not_verbatim(api, base):
    _britive(api)
    created = api.rm.post(base, json={"name": "c", "condition": json.dumps(CONDITION)})
    assert created.status_code == 201, created.text
    stored = _condition(api.rm.get(f"{base}/{created.json()['id']}").json())
    assert stored != CONDITION and _condition(created.json()) == stored
    approval, approvers = stored["approval"], stored["approval"]["approvers"]
    for key in ("tags", "userIds", "channelIds", "slackAppChannels"):  # another order than sent: descending
        assert approvers[key] == sorted(CONDITION["approval"]["approvers"][key], reverse=True), key
    assert approvers["teamsAppChannels"] == [{"team": "sec", "channels": ["b", "a"]},
                                             {"team": "ops", "channels": ["general", "alerts"]}]
    assert approval["notificationMedium"] == ["Teams", "Email"]
    assert stored["timeOfAccess"]["daysSchedule"]["days"] == ["SATURDAY", "MONDAY", "FRIDAY"]
    assert stored["ipAddress"] == "192.168.1.5, 172.16.0.1, 10.0.0.0/8"  # trimmed, ", ", reordered
    assert "managerApproval" not in approval  # not required: dropped
    # what the tenant does not know is kept as sent, in place
    assert approvers["futureApprovers"] == ["x", "y"] and approval["futureFlag"] == [1, 2]
    assert stored["futureKey"] == CONDITION["futureKey"]
    # the rest verbatim
    assert stored["timeOfAccess"]["dateSchedule"] == CONDITION["timeOfAccess"]["dateSchedule"]
    assert {k: approval[k] for k in ("timeToApprove", "validFor", "isValidForInDays")} == {
        "timeToApprove": 30, "validFor": 2, "isValidForInDays": True}


def test_britive_condition_read_back_and_sent_again_is_stored_unchanged(api):
    _britive(api)
    policy = api.rm.post(PP, json={"name": "c", "condition": CONDITION}).json()
    assert api.rm.patch(f"{PP}/{policy['id']}", json={"condition": policy["condition"]}).status_code == 204
    assert api.rm.get(f"{PP}/{policy['id']}").json()["condition"] == policy["condition"]
    # a PATCH of another field keeps the stored condition as it is
    assert api.rm.patch(f"{PP}/{policy['id']}", json={"description": "d"}).status_code == 204
    assert api.rm.get(f"{PP}/{policy['id']}").json()["condition"] == policy["condition"]


@pytest.mark.parametrize("manager, kept", [
    ({"condition": "All", "required": True}, True),
    ({"condition": "Manager", "required": False}, False),
    ({"condition": "Any"}, False),  # `required` absent
    ({}, False),
    (None, False),
])
def test_britive_drops_a_manager_approval_that_is_not_required(api, manager, kept):
    _britive(api)
    sent = {"approval": {"managerApproval": manager, "timeToApprove": 5}}
    stored = _condition(api.rm.post(RP, json={"name": "m", "condition": sent}).json())
    assert ("managerApproval" in stored["approval"]) is kept
    if kept:
        assert stored["approval"]["managerApproval"] == manager
    assert stored["approval"]["timeToApprove"] == 5


def test_documented_server_keeps_the_condition_verbatim_and_takes_any_object(api):
    policy = api.rm.post(RP, json={"name": "c", "condition": CONDITION}).json()
    assert policy["condition"] == CONDITION
    assert api.rm.get(f"{RP}/{policy['id']}").json()["condition"] == CONDITION
    odd = {"approval": {"managerApproval": {"condition": "sometimes", "required": "yes"}}, "ipAddress": ["x"]}
    assert api.rm.post(RP, json={"name": "odd", "condition": odd}).json()["condition"] == odd


BAD = [
    ({"approval": {"managerApproval": {"condition": "all", "required": True}}},
     "condition.approval.managerApproval.condition"),
    ({"approval": {"managerApproval": {"condition": "All", "required": "true"}}},
     "condition.approval.managerApproval.required"),
    ({"approval": {"timeToApprove": "30"}}, "condition.approval.timeToApprove"),
    ({"approval": {"timeToApprove": 30.5}}, "condition.approval.timeToApprove"),
    ({"approval": {"validFor": True}}, "condition.approval.validFor"),
    ({"approval": {"isValidForInDays": "yes"}}, "condition.approval.isValidForInDays"),
    ({"approval": {"notificationMedium": ["Email", 3]}}, "condition.approval.notificationMedium"),
    ({"approval": {"approvers": {"tags": "sre"}}}, "condition.approval.approvers.tags"),
    ({"approval": {"approvers": {"userIds": ["alice", 7]}}}, "condition.approval.approvers.userIds.1"),
    ({"approval": {"approvers": {"teamsAppChannels": [{"channels": ["a"]}]}}},
     "condition.approval.approvers.teamsAppChannels.0.team"),
    ({"approval": "yes"}, "condition.approval"),
    ({"ipAddress": ["10.0.0.1"]}, "condition.ipAddress"),
    ({"ipAddress": "10.0.0.1, not-an-ip"}, "'not-an-ip'"),
    ({"ipAddress": "10.0.0.1,,10.0.0.2"}, "condition.ipAddress"),
    ({"ipAddress": "10.0.0.0/33"}, "condition.ipAddress"),
    ({"timeOfAccess": {"dateSchedule": {"fromDate": "2022-10-29T10:30:00", "toDate": "2022-11-29 10:30:00",
                                        "timezone": "UTC"}}}, "condition.timeOfAccess.dateSchedule.fromDate"),
    ({"timeOfAccess": {"dateSchedule": {"fromDate": "2022-10-29 10:30:00", "toDate": "2022-13-01 10:30:00",
                                        "timezone": "UTC"}}}, "condition.timeOfAccess.dateSchedule.toDate"),
    ({"timeOfAccess": {"dateSchedule": {"fromDate": "2022-10-29 10:30:00", "toDate": "2022-11-29 10:30:00",
                                        "timezone": "Mars/Olympus"}}}, "condition.timeOfAccess.dateSchedule.timezone"),
    ({"timeOfAccess": {"daysSchedule": {"fromTime": "9:00", "toTime": "17:00:00", "timezone": "UTC",
                                        "days": ["MONDAY"]}}}, "condition.timeOfAccess.daysSchedule.fromTime"),
    ({"timeOfAccess": {"daysSchedule": {"fromTime": "09:00:00", "toTime": "24:00:00", "timezone": "UTC",
                                        "days": ["MONDAY"]}}}, "condition.timeOfAccess.daysSchedule.toTime"),
    ({"timeOfAccess": {"daysSchedule": {"fromTime": "09:00:00", "toTime": "17:00:00", "timezone": "UTC",
                                        "days": ["Monday"]}}}, "condition.timeOfAccess.daysSchedule.days.0"),
    ({"timeOfAccess": {"daysSchedule": {"fromTime": "09:00:00", "toTime": "17:00:00", "timezone": "UTC",
                                        "days": ["MONDAY", "FUNDAY"]}}}, "condition.timeOfAccess.daysSchedule.days.1"),
    ({"timeOfAccess": {"daysSchedule": {"fromTime": "09:00:00", "toTime": "17:00:00", "timezone": "UTC"}}},
     "condition.timeOfAccess.daysSchedule.days"),
]


@pytest.mark.parametrize("condition, field", BAD)
def test_britive_validates_the_condition_400_naming_the_field(api, condition, field):
    _britive(api)
    good = api.rm.post(PP, json={"name": "good"}).json()
    for r in (api.rm.post(PP, json={"name": "bad", "condition": json.dumps(condition)}),
              api.rm.patch(f"{PP}/{good['id']}", json={"condition": condition})):
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["status"] == 400 and body["errorCode"] == "RM-400" and field in body["message"], body
    assert [p["name"] for p in api.rm.get(PP).json()["data"]] == ["good"]  # nothing stored
    assert api.rm.get(f"{PP}/{good['id']}").json()["condition"] == ""  # the PATCH changed nothing


def test_britive_takes_nulls_where_the_docs_allow_them(api):
    _britive(api)
    sent = {"approval": None, "ipAddress": None, "timeOfAccess": {"dateSchedule": None, "daysSchedule": None}}
    r = api.rm.post(RP, json={"name": "nulls", "condition": sent})
    assert r.status_code == 201, r.text
    assert _condition(r.json()) == sent


# -- 2. settings -------------------------------------------------------------------------------------------------
IM = {"settingsType": "IM", "connectionId": "conn-1", "connectionType": "pagerDuty", "isAutoApprovalEnabled": True,
      "escalationPolicies": ["e1", "e2"]}


def test_britive_takes_im_settings(api):
    _britive(api)
    r = api.rm.post(PP, json={"name": "im", "settings": [IM, {"settingsType": "JUSTIFICATION"}]})
    assert r.status_code == 201, r.text
    im = api.rm.get(f"{PP}/{r.json()['id']}").json()["settings"][0]
    assert {k: im[k] for k in IM} == IM
    assert im["id"] and im["entityId"] == r.json()["id"] and im["entityType"] == "POLICY" and im["isInherited"] is False
    for bad, field in (({**IM, "connectionId": ""}, "connectionId"),
                       ({k: v for k, v in IM.items() if k != "connectionType"}, "connectionType"),
                       ({**IM, "isAutoApprovalEnabled": "sometimes"}, "isAutoApprovalEnabled"),
                       ({**IM, "escalationPolicies": "e1"}, "escalationPolicies"),
                       ({"settingsType": "GEO"}, "settingsType")):
        refused = api.rm.post(PP, json={"name": "bad", "settings": [bad]})
        assert refused.status_code == 400 and field in refused.json()["message"], (bad, refused.text)
    twice = api.rm.post(PP, json={"name": "bad", "settings": [IM, IM]})
    assert twice.status_code == 400 and "IM appears more than once" in twice.json()["message"]


def test_documented_server_refuses_im_settings_naming_the_type(api):
    r = api.rm.post(PP, json={"name": "im", "settings": [IM]})
    assert r.status_code == 400
    message = r.json()["message"]
    assert "settings.0.settingsType" in message and "'IM'" in message and "ITSM, JUSTIFICATION" in message


def test_setting_types_any_keeps_an_unknown_type_verbatim(api):
    """A newer server: a settings type nobody here knows is stored and returned as sent (the provider's tests
    check that such a type survives its writes); the known types are still checked."""
    _britive(api)
    api.server.admin.set_config(setting_types="any")
    geo = {"settingsType": "GEO", "isInherited": False, "regions": ["eu", "us"], "nested": {"a": [1]}}
    r = api.rm.post(RP, json={"name": "geo", "settings": [{"settingsType": "JUSTIFICATION"},
                                                          {**geo, "id": "client's", "entityId": "x"}, IM]})
    assert r.status_code == 201, r.text
    settings = api.rm.get(f"{RP}/{r.json()['id']}").json()["settings"]
    assert [s["settingsType"] for s in settings] == ["JUSTIFICATION", "GEO", "IM"]  # in place
    assert {k: settings[1][k] for k in geo} == geo
    assert settings[1]["id"] != "client's" and settings[1]["entityId"] == r.json()["id"]  # the server's
    for bad, words in (([{"regions": []}], "settings.0.settingsType: is required"),
                       ([geo, geo], "GEO appears more than once"),
                       ([{"settingsType": "ITSM"}], "connectionId")):
        refused = api.rm.post(RP, json={"name": "bad", "settings": bad})
        assert refused.status_code == 400 and words in refused.json()["message"], refused.text
    api.server.admin.set_config(setting_types="britive")
    refused = api.rm.post(RP, json={"name": "bad", "settings": [geo]})
    assert refused.status_code == 400 and "'GEO' is not a settings type" in refused.json()["message"]


# -- 3. members --------------------------------------------------------------------------------------------------
KINDS = ("users", "tags", "serviceIdentities", "tokens", "aiIdentities")


def test_britive_stores_and_returns_every_member_kind(api):
    _britive(api)
    members = {kind: [{"id": f"{kind}-1", "name": f"{kind} one"}] for kind in KINDS}
    created = api.rm.post(PP, json={"name": "all", "members": members})
    assert created.status_code == 201 and created.json()["members"] == members
    path = f"{PP}/{created.json()['id']}"
    assert api.rm.get(path).json()["members"] == members
    assert api.rm.get(PP).json()["data"][0]["members"] == members
    patched = {**members, "tokens": [{"id": "t2", "name": "ci"}], "aiIdentities": []}
    assert api.rm.patch(path, json={"members": patched}).status_code == 204
    assert api.rm.get(path).json()["members"] == patched
    api.server.admin.set_config(profile="documented")  # the document's three kinds only
    documented = api.rm.post(PP, json={"name": "three", "members": members}).json()
    assert documented["members"] == {k: members[k] for k in ("users", "tags", "serviceIdentities")}


# -- 4. prioritisation -------------------------------------------------------------------------------------------
def _policies(api: Clients, **params) -> list[dict]:
    return api.rm.get(PP, params={"size": 100, **params}).json()["data"]


def _enable(api: Clients, on: bool = True) -> httpx.Response:
    return api.rm.patch(PROFILE, json={"policyOrderingEnabled": on})


def test_britive_profile_switches_policy_ordering_on_and_off(api):
    _britive(api)
    assert api.rm.get(PROFILE).json()["policyOrderingEnabled"] is False
    enabled = _enable(api)
    assert enabled.status_code == 200 and enabled.json()["policyOrderingEnabled"] is True
    assert api.rm.get(PROFILE).json() == {"id": "prof-1", "name": "one", "description": "",
                                          "policyOrderingEnabled": True}
    assert api.rm.get(f"{RM}/profiles/prof-2").json()["policyOrderingEnabled"] is False  # per profile
    assert {p["id"]: p["policyOrderingEnabled"] for p in api.rm.get(f"{RM}/profiles").json()["data"]} == {
        "prof-1": True, "prof-2": False}
    assert _enable(api, False).json()["policyOrderingEnabled"] is False
    renamed = api.rm.patch(PROFILE, json={"name": "uno", "description": "first", "delegationEnabled": True})
    assert renamed.status_code == 200 and renamed.json() == {"id": "prof-1", "name": "uno", "description": "first",
                                                             "policyOrderingEnabled": False}
    for body, words in (({"policyOrderingEnabled": "true"}, "policyOrderingEnabled"), ({"name": " "}, "name")):
        refused = api.rm.patch(PROFILE, json=body)
        assert refused.status_code == 400 and words in refused.json()["message"]
    assert api.rm.patch(PROFILE, json={"name": "two"}).status_code == 409
    assert api.rm.patch(f"{RM}/profiles/nope", json={"policyOrderingEnabled": True}).status_code == 404


def test_britive_orders_a_profiles_policies(api):
    _britive(api)
    ids = [api.rm.post(PP, json={"name": n}).json()["id"] for n in ("a", "b", "c")]
    assert all("order" not in p for p in _policies(api))  # ordering is off: no order on the wire
    _enable(api)
    assert [(p["id"], p["order"]) for p in _policies(api)] == [(ids[0], 0), (ids[1], 1), (ids[2], 2)]
    order = [{"id": ids[2], "order": 0}, {"id": ids[0], "order": 1}, {"id": ids[1], "order": 2}]
    r = api.rm.post(f"{PP}/order", json=order)
    assert r.status_code == 200 and r.json() == order  # 200 with the stored array (a 204 fails Britive's Go client)
    assert [(p["id"], p["order"]) for p in _policies(api)] == [(i["id"], i["order"]) for i in order]
    assert api.rm.get(f"{PP}/{ids[0]}").json()["order"] == 1
    assert [p["id"] for p in api.rm.get(PP, params={"page": 1, "size": 2}).json()["data"]] == [ids[1]]  # pages too
    shuffled = api.rm.post(f"{PP}/order", json=[order[2], order[0], order[1]])  # any order of the items
    assert shuffled.json() == order

    # a new policy goes last; a PATCH keeps the order; a deleted one closes the gap
    d = api.rm.post(PP, json={"name": "d", "order": 0}).json()
    assert d["order"] == 3
    assert api.rm.patch(f"{PP}/{ids[2]}", json={"description": "x", "order": 3}).status_code == 204
    assert api.rm.delete(f"{PP}/{ids[0]}").status_code == 204
    assert [(p["name"], p["order"]) for p in _policies(api)] == [("c", 0), ("b", 1), ("d", 2)]

    # switched off: no order on the wire, creation order; switched on again: the saved order is back
    _enable(api, False)
    assert [p["name"] for p in _policies(api)] == ["b", "c", "d"] and all("order" not in p for p in _policies(api))
    refused = api.rm.post(f"{PP}/order", json=[])
    assert refused.status_code == 400 and "not enabled" in refused.json()["message"]
    _enable(api)
    assert [(p["name"], p["order"]) for p in _policies(api)] == [("c", 0), ("b", 1), ("d", 2)]


def test_britive_refuses_an_incomplete_or_wrong_order_naming_the_problem(api):
    _britive(api)
    a, b = (api.rm.post(PP, json={"name": n}).json()["id"] for n in ("a", "b"))
    other = api.rm.post(f"{RM}/profiles/prof-2/policies", json={"name": "elsewhere"}).json()["id"]
    _enable(api)
    for body, words in (
        ([{"id": a, "order": 0}], f"missing: 'b' ({b})"),
        ([{"id": a, "order": 0}, {"id": a, "order": 1}], f"policy '{a}' is given more than once"),
        ([{"id": a, "order": 0}, {"id": b, "order": 0}], "order 0 is given more than once"),
        ([{"id": a, "order": 0}, {"id": b, "order": 2}], "[1].order: 2 is outside 0..1"),
        ([{"id": a, "order": 0}, {"id": b, "order": -1}], "[1].order: -1 is outside 0..1"),
        ([{"id": a, "order": 0}, {"id": b, "order": "1"}], "[1].order: an integer is required"),
        ([{"id": a, "order": 0}, {"id": b, "order": 1}, {"id": other, "order": 2}],
         f"'{other}' is not a policy of profile 'prof-1'"),
        ([{"order": 0}, {"id": b, "order": 1}], "[0].id: a policy id is required"),
        ({"id": a, "order": 0}, "send a JSON array"),
        ([a, b], "send a JSON array"),
    ):
        r = api.rm.post(f"{PP}/order", json=body)
        assert r.status_code == 400 and words in r.json()["message"], (body, r.text)
        assert "prof-1" in r.json()["message"]
    assert [p["order"] for p in _policies(api)] == [0, 1]  # nothing changed
    assert api.rm.post(f"{RM}/profiles/nope/policies/order", json=[]).status_code == 404
    empty = api.rm.patch(f"{RM}/profiles/prof-2", json={"policyOrderingEnabled": True})
    assert empty.status_code == 200
    api.rm.delete(f"{RM}/profiles/prof-2/policies/{other}")
    assert api.rm.post(f"{RM}/profiles/prof-2/policies/order", json=[]).json() == []  # no policies: []


def test_documented_server_has_no_prioritisation(api):
    api.rm.post(PP, json={"name": "a"})
    assert "policyOrderingEnabled" not in api.rm.get(PROFILE).json()
    assert "order" not in api.rm.get(PP).json()[0]
    for r in (api.rm.patch(PROFILE, json={"policyOrderingEnabled": True}), api.rm.post(f"{PP}/order", json=[])):
        assert r.status_code == 405 and r.json()["errorCode"] == "RM-405" and "does not order" in r.json()["message"]


# -- 5. maintenance ----------------------------------------------------------------------------------------------
def test_maintenance_fault_answers_503_maint0001(api):
    rules = api.server.admin.set_faults([{"kind": "maintenance", "path": "/api/*", "count": 1}])
    assert rules[0]["kind"] == "maintenance"
    r = api.rm.get(RP)
    assert r.status_code == 503 and r.headers["content-type"] == "application/json"
    assert r.json() == MAINTENANCE_BODY == {"status": 503, "errorCode": "MAINT0001",
                                            "message": "The tenant is under maintenance. Please try again later."}
    assert api.rm.get(RP).status_code == 200  # count 1: the tenant is back
    [entry, _] = api.server.admin.requests()["entries"][-2:]
    assert entry["status"] == 503 and entry["fault"] == "maintenance"
    with pytest.raises(httpx.HTTPStatusError) as refused:
        api.server.admin.set_faults([{"kind": "maintenance", "status": 500}])
    assert refused.value.response.status_code == 400 and "always a 503" in refused.value.response.text


def test_maintenance_fault_from_the_command_line(tmp_path):
    proc = _serve("--memory", "--profile", "britive", "--fault", '{"kind": "maintenance", "method": "POST"}',
                  env={"PULUMI_POLICIES_RM_TOKEN": "t"})
    try:
        info = {}
        while len(info) < 4:
            key, _, value = proc.stdout.readline().partition(": ")
            info[key] = value.strip()
        headers = {"Authorization": "TOKEN t"}
        assert httpx.get(f"{info['url']}{RP}", headers=headers).status_code == 200
        r = httpx.post(f"{info['url']}{RP}", json={"name": "p"}, headers=headers)
        assert r.status_code == 503 and r.json()["errorCode"] == "MAINT0001"
    finally:
        proc.terminate()
        proc.wait(10)


def test_maintenance_fault_given_to_the_server(tmp_path):
    with EmulatorServer(faults=[{"kind": "maintenance"}]) as server:
        r = httpx.get(f"{server.url}{RP}", headers={"Authorization": f"TOKEN {server.rm_token}"})
        assert r.status_code == 503 and r.json() == MAINTENANCE_BODY
