"""Each resource's whole life on the real engine against the emulator over HTTP.

create -> preview shows 0 changes -> in-place update (id kept) -> identity change replaces ->
drift made through the API shows on refresh and the next up restores it -> an object deleted
remotely is dropped by refresh and recreated by up -> import_id adopts an existing object -> an
identity change of the adopted object replaces it -> destroy leaves the server empty. The server's
dump is the judge, not log text.
"""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_policies.models import ConfigurationPolicyArgs, ProfilePolicyArgs, ResourcePolicyArgs
from tests.support.policies import Api, new_policy_stack

ITSM = {"settings_type": "ITSM", "connection_id": "71b94622-30ef-4d17-babb-94972ce4b2db",
        "connection_type": "servicenow", "itsm_filter_criteria": [{"supported_ticket_type": "change_request",
                                                                   "filter": {"sysparm_query": ""}}]}
JUSTIFICATION = {"settings_type": "JUSTIFICATION", "is_justification_required": True,
                 "justification_regex": "^JIRA-[0-9]+$"}

CASES: dict[str, dict[str, Any]] = {
    "ResourcePolicy": {
        "args": {"name": "rp-lifecycle", "description": "v1", "access_type": "Allow",
                 "members": {"users": [{"name": "alice"}], "tags": [{"id": "t1", "name": "sre"}]},
                 "resource_labels": {"env": ["prod", "eu"]}, "condition": {"ipRange": ["10.0.0.0/8"]}},
        "update": {"description": "v2", "members": {"users": [{"name": "bob"}, {"name": "alice"}]},
                   "name": "rp-lifecycle-renamed"},
        "replace": None,
        "dump": "resource_policies", "model": ResourcePolicyArgs,
    },
    "ProfilePolicy": {
        "args": {"profile_id": "prof-eng", "name": "pp-lifecycle", "description": "v1",
                 "settings": [ITSM, JUSTIFICATION], "members": {"service_identities": [{"id": "si-1"}]}},
        "update": {"description": "v2", "settings": [JUSTIFICATION], "is_active": False},
        "replace": {"profile_id": "prof-ops"},
        "dump": "profile_policies", "model": ProfilePolicyArgs,
    },
    "ConfigurationPolicy": {
        "args": {"policyid": "cp-lifecycle", "organization": "acme", "name": "nightly backup",
                 "description": "v1", "policy_schedule": {"type": "daily", "time": "02:00"},
                 "associated_rules": "rule-1", "assigned_users": ["u2", "u1"]},
        "update": {"description": "v2", "policy_schedule": {"type": "weekly", "day": "sun"}},
        "replace": {"policyid": "cp-lifecycle-2"},
        "dump": "configuration_policies", "model": ConfigurationPolicyArgs,
    },
}


class Remote:
    """Direct API access to one kind, keyed by what the stack outputs say."""

    def __init__(self, server, kind: str) -> None:
        self.api, self.kind, self.server = Api(server), kind, server

    def path(self, out: dict[str, Any]) -> str:
        if self.kind == "ConfigurationPolicy":
            return f"/ux/nccm/configuration_policies/{out['id']}/"
        return self.api.rm_path(self.kind, out["policy_id"], out.get("profile_id", ""))

    def client(self):
        return self.api.nccm if self.kind == "ConfigurationPolicy" else self.api.rm

    def get(self, out: dict[str, Any]) -> dict[str, Any] | None:
        r = self.client().get(self.path(out))
        return None if r.status_code == 404 else r.raise_for_status().json()

    def drift(self, out: dict[str, Any]) -> None:
        if self.kind == "ConfigurationPolicy":
            current = self.get(out)
            assert self.api.nccm.put(self.path(out), json={**current, "description": "hand-made"}).status_code == 200
        else:
            assert self.api.rm.patch(self.path(out), json={"description": "hand-made"}).status_code == 204

    def delete(self, out: dict[str, Any]) -> None:
        assert self.client().delete(self.path(out)).status_code in (200, 204)

    def create(self, args: dict[str, Any]) -> str:
        model = CASES[self.kind]["model"].model_validate(args)
        if self.kind == "ConfigurationPolicy":
            assert self.api.nccm.post("/ux/nccm/configuration_policies/", json=model.model_dump(mode="json")).status_code == 201
            return next(p["id"] for p in self.server.admin.dump()["configuration_policies"]
                        if p["policyid"] == args["policyid"])
        body = model.model_dump(mode="json", by_alias=True, exclude={"profile_id"})
        r = self.api.rm.post(self.api.rm_path(self.kind, profile_id=args.get("profile_id", "")), json=body)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def count(self) -> int:
        return len(self.server.admin.dump()[CASES[self.kind]["dump"]])


@pytest.mark.parametrize("kind", list(CASES))
def test_lifecycle(kind, server, make_stack, tmp_path):
    case = CASES[kind]
    remote = Remote(server, kind)
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    declared = dict(case["args"])

    def declare(args: dict[str, Any], **extra: Any) -> None:
        ps.declare({"type": kind, "name": "p", "args": {**args, **extra}})

    # create
    declare(declared)
    ps.stack.up()
    out = ps.output("p")
    stored = remote.get(out)
    assert stored is not None and remote.count() == 1
    assert (stored.get("description"), stored["name"] if "name" in stored else None)[0] == "v1"
    assert ps.stack.changes() == {}, "an apply must never be followed by a non-empty preview"

    # in-place update keeps the id
    declared.update(case["update"])
    declare(declared)
    assert ps.stack.changes() == {"update": 1}
    ps.stack.up()
    out2 = ps.output("p")
    assert out2["id"] == out["id"]
    assert remote.get(out2)["description"] == "v2" and remote.count() == 1
    assert ps.stack.changes() == {}

    # identity change replaces (create the new one, then delete the old one)
    if case["replace"]:
        declared.update(case["replace"])
        declare(declared)
        assert ps.stack.changes() == {"replace": 1}
        ps.stack.up()
        out3 = ps.output("p")
        assert out3["id"] != out2["id"] and remote.get(out2) is None and remote.get(out3) is not None
        assert remote.count() == 1
        out2 = out3
        assert ps.stack.changes() == {}

    # drift made by hand: refresh sees it, the next up restores the declared state
    remote.drift(out2)
    ps.stack.refresh()
    [state] = ps.stack.resources(kind)
    assert state["outputs"]["description"] == "hand-made"  # refresh records what the server holds
    assert ps.stack.changes() == {"update": 1}
    ps.stack.up()
    assert remote.get(out2)["description"] == "v2"
    assert ps.stack.changes() == {}

    # deleted remotely: refresh drops it, up creates it again
    remote.delete(out2)
    ps.stack.refresh()
    assert ps.stack.resources(kind) == []
    ps.stack.up()
    out4 = ps.output("p")
    assert out4["id"] != out2["id"] and remote.get(out4)["description"] == "v2" and remote.count() == 1

    # adoption: an object made by hand is brought under management, not duplicated
    adopted_args = {k: v for k, v in declared.items()}
    for key in ("name", "policyid"):
        if key in adopted_args:
            adopted_args[key] = adopted_args[key] + "-adopt"
    existing_id = remote.create({**adopted_args, "description": "made by hand"})
    ps.declare({"type": kind, "name": "p", "args": declared},
               {"type": kind, "name": "adopted", "args": {**adopted_args, "import_id": existing_id}})
    ps.stack.up()
    adopted = ps.output("adopted")
    assert remote.count() == 2
    assert adopted.get("policy_id", adopted["id"]) == existing_id
    assert remote.get(adopted)["description"] == "v2"  # brought to the declared state
    assert ps.stack.changes() == {}

    # import_id has done its work: an identity change of the adopted object replaces it with a new object.
    # While the program still names the old object in import_id, preview refuses (the replacement would
    # adopt what it deletes) and says what to do; without it, the replacement goes through.
    if case["replace"]:
        (key,) = case["replace"]
        moved = {**adopted_args, key: {"profile_id": "prof-eng", "policyid": "cp-moved"}[key]}
        ps.declare({"type": kind, "name": "p", "args": declared},
                   {"type": kind, "name": "adopted", "args": {**moved, "import_id": existing_id}})
        refused = ps.stack.pulumi("preview", check=False)
        assert refused.returncode != 0 and "Remove import_id from the program" in refused.stdout, refused.stdout
        ps.declare({"type": kind, "name": "p", "args": declared}, {"type": kind, "name": "adopted", "args": moved})
        assert ps.stack.changes() == {"replace": 1}
        ps.stack.up()
        replaced = ps.output("adopted")
        assert remote.get(adopted) is None and remote.get(replaced)["description"] == "v2"
        assert replaced.get("policy_id", replaced["id"]) != existing_id and remote.count() == 2
        assert ps.stack.changes() == {}

    # destroy leaves the server empty
    ps.stack.destroy()
    assert remote.count() == 0
