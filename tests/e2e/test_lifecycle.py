"""All three resources through their whole life on the real engine, against every server profile over HTTP.

One stack holds one object of each kind and walks them through the scenario together, step by step:
create -> preview shows 0 changes -> in-place update (ids kept) -> identity change replaces ->
drift made through the API shows on refresh and the next up restores it -> objects deleted remotely
are dropped by refresh and made again by up -> import_id adopts objects made by hand -> an identity
change of an adopted object replaces it (refused while import_id still names it) -> destroy leaves the
server empty. The server's dump is the judge, not log text; after every apply a preview must be empty.
"""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_policies.models import ConfigurationPolicyArgs, ProfilePolicyArgs, ResourcePolicyArgs
from tests.conftest import SERVER_PROFILES
from tests.support.policies import Api, assert_server_holds_exactly, new_policy_stack

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
        "replace": None, "adopt_key": "name",
        "dump": "resource_policies", "model": ResourcePolicyArgs,
    },
    "ProfilePolicy": {
        "args": {"profile_id": "prof-eng", "name": "pp-lifecycle", "description": "v1",
                 "settings": [ITSM, JUSTIFICATION], "members": {"service_identities": [{"id": "si-1"}]}},
        "update": {"description": "v2", "settings": [JUSTIFICATION], "is_active": False},
        "replace": {"profile_id": "prof-ops"}, "adopt_key": "name", "moved": {"profile_id": "prof-eng"},
        "dump": "profile_policies", "model": ProfilePolicyArgs,
    },
    "ConfigurationPolicy": {
        "args": {"policyid": "cp-lifecycle", "organization": "acme", "name": "nightly backup",
                 "description": "v1", "policy_schedule": {"type": "daily", "time": "02:00"},
                 "associated_rules": "rule-1", "assigned_users": ["u2", "u1"]},
        "update": {"description": "v2", "policy_schedule": {"type": "weekly", "day": "sun"}},
        "replace": {"policyid": "cp-lifecycle-2"}, "adopt_key": "policyid", "moved": {"policyid": "cp-moved"},
        "dump": "configuration_policies", "model": ConfigurationPolicyArgs,
    },
}
KINDS = list(CASES)
REPLACEABLE = [k for k in KINDS if CASES[k]["replace"]]


class Remote:
    """Direct API access, as a person with curl would have it, keyed by what the stack outputs say."""

    def __init__(self, server) -> None:
        self.api, self.server = Api(server), server

    def path(self, kind: str, out: dict[str, Any]) -> str:
        if kind == "ConfigurationPolicy":
            return f"/ux/nccm/configuration_policies/{out['id']}/"
        return self.api.rm_path(kind, out["policy_id"], out.get("profile_id", ""))

    def client(self, kind: str):
        return self.api.nccm if kind == "ConfigurationPolicy" else self.api.rm

    def get(self, kind: str, out: dict[str, Any]) -> dict[str, Any] | None:
        r = self.client(kind).get(self.path(kind, out))
        return None if r.status_code == 404 else r.raise_for_status().json()

    def drift(self, kind: str, out: dict[str, Any]) -> None:
        if kind == "ConfigurationPolicy":
            current = self.get(kind, out)
            assert self.api.nccm.put(self.path(kind, out), json={**current, "description": "hand-made"}).status_code == 200
        else:
            assert self.api.rm.patch(self.path(kind, out), json={"description": "hand-made"}).status_code == 204

    def delete(self, kind: str, out: dict[str, Any]) -> None:
        assert self.client(kind).delete(self.path(kind, out)).status_code in (200, 204)

    def create(self, kind: str, args: dict[str, Any]) -> str:
        model = CASES[kind]["model"].model_validate(args)
        if kind == "ConfigurationPolicy":
            made = self.api.nccm.post("/ux/nccm/configuration_policies/", json=model.model_dump(mode="json"))
            assert made.status_code == 201, made.text
            return next(p["id"] for p in self.server.admin.dump()["configuration_policies"]
                        if p["policyid"] == args["policyid"])
        body = model.model_dump(mode="json", by_alias=True, exclude={"profile_id"})
        r = self.api.rm.post(self.api.rm_path(kind, profile_id=args.get("profile_id", "")), json=body)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def counts(self) -> dict[str, int]:
        dump = self.server.admin.dump()
        return {kind: len(dump[CASES[kind]["dump"]]) for kind in KINDS}


class Scenario:
    """One stack with one object of each kind (resource names = kind names), and the server it talks to."""

    def __init__(self, make_stack, server, tmp_path) -> None:
        self.remote, self.server = Remote(server), server
        self.ps = new_policy_stack(make_stack, server, tmp_path / "project")
        self.declared = {kind: dict(CASES[kind]["args"]) for kind in KINDS}
        self.adopted: dict[str, dict[str, Any]] = {}
        self.items: list[dict[str, Any]] = []

    @property
    def stack(self):
        return self.ps.stack

    def declare(self, **extra: dict[str, Any]) -> None:
        items = [{"type": kind, "name": kind, "args": args} for kind, args in self.declared.items()]
        items += [{"type": kind, "name": f"adopted-{kind}", "args": args} for kind, args in extra.items()]
        self.ps.declare(*items)
        self.items = items

    def outputs(self) -> dict[str, dict[str, Any]]:
        return self.stack.outputs()

    def settled(self) -> None:
        """After an apply: the server holds every declared object once, with its declared values, and nothing
        else; and a preview shows no change (no perpetual diff)."""
        assert_server_holds_exactly(self.server.admin.dump(), self.items)
        assert self.stack.changes() == {}, "an apply must never be followed by a non-empty preview"


def step_create(s: Scenario) -> dict[str, dict[str, Any]]:
    s.declare()
    s.stack.up()
    outs = s.outputs()
    for kind in KINDS:
        stored = s.remote.get(kind, outs[kind])
        assert stored is not None and stored["description"] == "v1", (kind, stored)
    assert s.remote.counts() == dict.fromkeys(KINDS, 1)
    s.settled()
    # The state records where the program declared each resource, and only that: the line of the program's
    # constructor call (not this package's __init__, nor the runner's and asyncio's frames: 1.3 KB of each
    # resource's checkpoint entry, rewritten after every step, before).
    program = (s.stack.project_dir / "__main__.py").read_text().splitlines()
    line = next(i for i, text in enumerate(program, 1) if "cls(item[" in text)
    for kind in KINDS:
        [state] = s.stack.resources(kind)
        assert state["sourcePosition"] == f"project:///__main__.py#{line}", state["sourcePosition"]
        assert state["stackTrace"] == [{"sourcePosition": f"project:///__main__.py#{line}"}]
    return outs


def step_update_in_place(s: Scenario, before: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for kind in KINDS:
        s.declared[kind].update(CASES[kind]["update"])
    s.declare()
    assert s.stack.changes() == {"update": 3}
    s.stack.up()
    outs = s.outputs()
    for kind in KINDS:
        assert outs[kind]["id"] == before[kind]["id"], f"{kind}: an in-place update keeps the id"
        assert s.remote.get(kind, outs[kind])["description"] == "v2"
    assert s.remote.counts() == dict.fromkeys(KINDS, 1)
    s.settled()
    return outs


def step_identity_change_replaces(s: Scenario, before: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for kind in REPLACEABLE:
        s.declared[kind].update(CASES[kind]["replace"])
    s.declare()
    assert s.stack.changes() == {"replace": len(REPLACEABLE)}
    s.stack.up()
    outs = s.outputs()
    for kind in REPLACEABLE:
        assert outs[kind]["id"] != before[kind]["id"]
        assert s.remote.get(kind, before[kind]) is None and s.remote.get(kind, outs[kind]) is not None
    assert s.remote.counts() == dict.fromkeys(KINDS, 1)
    s.settled()
    return outs


def step_drift_shows_on_refresh_and_up_restores(s: Scenario, outs: dict[str, dict[str, Any]]) -> None:
    for kind in KINDS:
        s.remote.drift(kind, outs[kind])
    s.stack.refresh()
    for kind in KINDS:
        [state] = s.stack.resources(kind)
        assert state["outputs"]["description"] == "hand-made", kind  # refresh records what the server holds
    assert s.stack.changes() == {"update": 3}
    s.stack.up()
    assert all(s.remote.get(kind, outs[kind])["description"] == "v2" for kind in KINDS)
    s.settled()


def step_remote_delete_is_dropped_and_made_again(s: Scenario, outs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for kind in KINDS:
        s.remote.delete(kind, outs[kind])
    s.stack.refresh()
    assert all(s.stack.resources(kind) == [] for kind in KINDS)
    s.stack.up()
    again = s.outputs()
    for kind in KINDS:
        assert again[kind]["id"] != outs[kind]["id"] and s.remote.get(kind, again[kind])["description"] == "v2"
    assert s.remote.counts() == dict.fromkeys(KINDS, 1)
    s.settled()
    return again


def step_import_id_adopts_objects_made_by_hand(s: Scenario) -> dict[str, str]:
    existing = {}
    for kind in KINDS:
        key = CASES[kind]["adopt_key"]
        s.adopted[kind] = {**s.declared[kind], key: s.declared[kind][key] + "-adopt"}
        existing[kind] = s.remote.create(kind, {**s.adopted[kind], "description": "made by hand"})
    s.declare(**{kind: {**s.adopted[kind], "import_id": existing[kind]} for kind in KINDS})
    s.stack.up()
    outs = s.outputs()
    for kind in KINDS:
        adopted = outs[f"adopted-{kind}"]
        assert adopted.get("policy_id", adopted["id"]) == existing[kind]
        assert s.remote.get(kind, adopted)["description"] == "v2"  # brought to the declared state
    assert s.remote.counts() == dict.fromkeys(KINDS, 2)
    s.settled()
    return existing


def step_replacing_an_adopted_object_needs_import_id_gone(s: Scenario, existing: dict[str, str]) -> None:
    before = s.outputs()
    moved = {kind: {**s.adopted[kind], **CASES[kind]["moved"]} for kind in REPLACEABLE}
    s.declare(**{kind: {**s.adopted[kind], **moved.get(kind, {}), "import_id": existing[kind]} for kind in KINDS})
    refused = s.stack.pulumi("preview", check=False)
    assert refused.returncode != 0 and "Remove import_id from the program" in refused.stdout, refused.stdout
    s.declare(**{kind: {**s.adopted[kind], **moved.get(kind, {})} for kind in KINDS})
    assert s.stack.changes() == {"replace": len(REPLACEABLE)}
    s.stack.up()
    after = s.outputs()
    for kind in REPLACEABLE:
        old, new = before[f"adopted-{kind}"], after[f"adopted-{kind}"]
        assert s.remote.get(kind, old) is None and s.remote.get(kind, new)["description"] == "v2"
        assert new.get("policy_id", new["id"]) != existing[kind]
    assert s.remote.counts() == dict.fromkeys(KINDS, 2)
    s.settled()


def step_destroy_leaves_the_server_empty(s: Scenario) -> None:
    s.stack.destroy()
    assert s.remote.counts() == dict.fromkeys(KINDS, 0)


@pytest.mark.parametrize("server", SERVER_PROFILES, indirect=True)
def test_lifecycle(server, make_stack, tmp_path):
    s = Scenario(make_stack, server, tmp_path)
    created = step_create(s)
    updated = step_update_in_place(s, created)
    current = step_identity_change_replaces(s, updated)
    step_drift_shows_on_refresh_and_up_restores(s, current)
    current = step_remote_delete_is_dropped_and_made_again(s, current)
    existing = step_import_id_adopts_objects_made_by_hand(s)
    step_replacing_an_adopted_object_needs_import_id_gone(s, existing)
    step_destroy_leaves_the_server_empty(s)
