"""Britive's own Python SDK (PyPI `britive` 4.7.0, unmodified) as a client of the embedded server's britive profile:
it creates, reads and updates profile policies holding whole conditions (approval, IP and time windows) and every
member kind, and prioritises them, with no error. The SDK only talks to https://<tenant>.britive-app.com, so its
requests are routed to the server by a transport adapter on its own session (no DNS or TLS here)."""

from __future__ import annotations

import json
import warnings

import pytest
import requests
from britive.britive import Britive
from britive.exceptions import InvalidRequest

TENANT = "https://acme.britive-app.com"
CONDITION = {
    "approval": {"approvers": {"tags": ["sre-leads", "dba"], "userIds": ["alice", "bob"]},
                 "notificationMedium": ["email", "slack"],
                 "managerApproval": {"condition": "All", "required": True},
                 "timeToApprove": 30, "validFor": 2, "isValidForInDays": True},
    "ipAddress": "10.0.0.0/8,192.168.1.5",
    "timeOfAccess": {
        "dateSchedule": {"fromDate": "2027-01-01 00:00:00", "toDate": "2027-12-31 23:59:59", "timezone": "UTC"},
        "daysSchedule": {"fromTime": "08:00:00", "toTime": "18:00:00", "timezone": "Europe/Berlin",
                         "days": ["MONDAY", "FRIDAY"]}},
}
MEMBERS = {"tags": [{"name": "sre"}], "users": [{"name": "carol"}], "tokens": [{"name": "ci-token"}],
           "serviceIdentities": [{"name": "deployer"}], "aiIdentities": [{"name": "triage-bot"}]}


class ToEmulator(requests.adapters.HTTPAdapter):
    """Sends what the SDK addresses to the tenant to the embedded server instead."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        request.url = request.url.replace(TENANT, self.url, 1)
        return super().send(request, **kwargs)


@pytest.fixture
def sdk(server, monkeypatch):
    def unreachable(*_args, **_kwargs):  # the SDK's reachability probe of the tenant's domain (no DNS here)
        raise requests.exceptions.Timeout("no network")
    monkeypatch.setattr(requests, "head", unreachable)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Tenant validation timed out, but domain structure is valid"
        client = Britive(tenant="acme", token=server.rm_token, query_features=False)
    client.session.mount(TENANT, ToEmulator(server.url))
    return client


def held(answer):
    condition = answer["condition"]
    return json.loads(condition) if isinstance(condition, str) else condition


@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_britives_sdk_creates_reads_updates_and_orders_whole_policies(sdk, server):
    policies = sdk.access_broker.profiles.policies
    made = policies.create("prof-eng", "db-break-glass", "Allow", condition=CONDITION, members=MEMBERS,
                           resource_labels={"env": ["prod"]})
    got = policies.get("prof-eng", made["id"])
    stored = held(got)
    assert isinstance(got["condition"], str)  # Britive's servers hold the condition as a JSON string
    assert sorted(stored["approval"]["approvers"]["tags"]) == ["dba", "sre-leads"]
    assert sorted(stored["approval"]["approvers"]["userIds"]) == ["alice", "bob"]
    assert sorted(i.strip() for i in stored["ipAddress"].split(",")) == ["10.0.0.0/8", "192.168.1.5"]
    assert stored["timeOfAccess"]["daysSchedule"]["timezone"] == "Europe/Berlin"
    assert {kind: [m["name"] for m in got["members"][kind]] for kind in MEMBERS} == \
        {kind: [m["name"] for m in members] for kind, members in MEMBERS.items()}
    assert all(m.get("id") for kind in MEMBERS for m in got["members"][kind])  # read back with ids

    # an update as the SDK sends it (the whole policy); the manager approval no longer required is dropped
    lighter = {**CONDITION, "approval": {**CONDITION["approval"], "managerApproval": {"condition": "Any",
                                                                                     "required": False}}}
    policies.update("prof-eng", made["id"], "db-break-glass", "Allow", condition=lighter, members=MEMBERS)
    again = held(policies.get("prof-eng", made["id"]))
    assert "managerApproval" not in again["approval"] and again["approval"]["timeToApprove"] == 30
    # a condition Britive would refuse is refused to the SDK too (its error, not ours)
    with pytest.raises(InvalidRequest, match="managerApproval.condition") as refused:
        policies.update("prof-eng", made["id"], "db-break-glass", "Allow",
                        condition={"approval": {"managerApproval": {"condition": "Some", "required": True}}})
    assert str(refused.value).startswith("400 - ")  # the SDK read the status, errorCode and message it expects

    other = policies.create("prof-eng", "readers", "Allow", members={"tags": [{"name": "dev"}]})
    ordering = sdk.access_broker.profiles.policy_prioritization
    ordering.enable("prof-eng")
    ordering.reorder("prof-eng", [other["id"], made["id"]])
    listed = policies.list("prof-eng")
    listed = listed.get("data", listed) if isinstance(listed, dict) else listed
    assert [p["name"] for p in sorted(listed, key=lambda p: p["order"])] == ["readers", "db-break-glass"]
    ordering.disable("prof-eng")
