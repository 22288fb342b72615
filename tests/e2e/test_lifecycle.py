"""All three resources through their whole life on the real engine, against every server profile over HTTP.

One stack holds one object of each kind on each server profile (the "documented" server through the default
connection, the "britive" and "infraon" servers through named connections of those names) and walks them
through the scenario together, step by step, each engine command serving all nine:
create -> preview shows 0 changes -> in-place update (ids kept) -> identity change replaces ->
drift made through the API shows on refresh and the next up restores it -> objects deleted remotely
are dropped by refresh and made again by up -> import_id adopts objects made by hand -> an identity
change of an adopted object replaces it (refused while import_id still names it) -> destroy leaves the
server empty. The server's dump is the judge, not log text; after every apply a preview must be empty.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import pytest

from pulumi_policies.models import ConfigurationPolicyArgs, ProfilePolicyArgs, ResourcePolicyArgs
from tests.conftest import SERVER_PROFILES
from tests.support.policies import Api, assert_server_holds_exactly, connection_config, new_policy_stack, seeded_server

ITSM = {"settings_type": "ITSM", "connection_id": "71b94622-30ef-4d17-babb-94972ce4b2db",
        "connection_type": "servicenow", "itsm_filter_criteria": [{"supported_ticket_type": "change_request",
                                                                   "filter": {"sysparm_query": ""}}]}
JUSTIFICATION = {"settings_type": "JUSTIFICATION", "is_justification_required": True,
                 "justification_regex": "^JIRA-[0-9]+$"}

CASES: dict[str, dict[str, Any]] = {
    "ResourcePolicy": {
        "args": {"name": "rp-lifecycle", "description": "v1", "access_type": "Allow",
                 "members": {"users": [{"name": "alice"}], "tags": [{"id": "t1", "name": "sre"}]},
                 "resource_labels": {"env": ["prod", "eu"]}, "condition": {"ipAddress": "10.0.0.0/8",
                                                                              "approval": {"timeToApprove": 30}}},
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
DEFAULT = SERVER_PROFILES[0]  # reached through the default connection; the others through named connections
PAIRS = [(profile, kind) for profile in SERVER_PROFILES for kind in KINDS]


def name(profile: str, kind: str) -> str:
    """The resource of `kind` on the server of `profile`."""
    return f"{kind}-{profile}"


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
    """One stack with one object of each kind on each server (resource names: name(profile, kind))."""

    def __init__(self, make_stack, servers: dict[str, Any], tmp_path) -> None:
        self.servers = servers
        self.remotes = {profile: Remote(server) for profile, server in servers.items()}
        self.ps = new_policy_stack(make_stack, servers[DEFAULT], tmp_path / "project")
        for profile, server in servers.items():
            if profile != DEFAULT:
                plain, secret = connection_config(server)
                def path(key: str, profile: str = profile) -> str:
                    return key.replace("pulumi-policies:", f"pulumi-policies:connections.{profile}.")
                self.ps.stack.pulumi("config", "set-all", "--path",
                                     *(f for k, v in plain.items() for f in ("--plaintext", f"{path(k)}={v}")),
                                     *(f for k, v in secret.items() for f in ("--secret", f"{path(k)}={v}")),
                                     secret=list(secret.values()))
        self.declared = {(profile, kind): dict(CASES[kind]["args"]) for profile, kind in PAIRS}
        self.adopted: dict[tuple[str, str], dict[str, Any]] = {}
        self.items: dict[str, list[dict[str, Any]]] = {}

    @property
    def stack(self):
        return self.ps.stack

    def remote(self, profile: str) -> Remote:
        return self.remotes[profile]

    def declare(self, extra: dict[tuple[str, str], dict[str, Any]] | None = None) -> None:
        def item(profile: str, kind: str, resource: str, args: dict[str, Any]) -> dict[str, Any]:
            on = {} if profile == DEFAULT else {"connection": profile}
            return {"type": kind, "name": resource, "args": {**args, **on}}
        self.items = {profile: [] for profile in SERVER_PROFILES}
        for (profile, kind), args in self.declared.items():
            self.items[profile].append(item(profile, kind, name(profile, kind), args))
        for (profile, kind), args in (extra or {}).items():
            self.items[profile].append(item(profile, kind, f"adopted-{name(profile, kind)}", args))
        self.ps.declare(*(i for items in self.items.values() for i in items))

    def outputs(self) -> dict[str, dict[str, Any]]:
        return self.stack.outputs()

    def states(self) -> dict[str, dict[str, Any]]:
        """What the state records for each resource, by resource name (one `pulumi stack export`)."""
        return {r["urn"].rsplit("::", 1)[-1]: r for r in self.stack.resources()}

    def counts(self) -> dict[tuple[str, str], int]:
        return {(profile, kind): n for profile, remote in self.remotes.items() for kind, n in remote.counts().items()}

    def settled(self) -> None:
        """After an apply: each server holds every object declared for it once, with its declared values, and
        nothing else; and a preview shows no change (no perpetual diff)."""
        for profile, server in self.servers.items():
            assert_server_holds_exactly(server.admin.dump(), self.items[profile])
        assert self.stack.changes() == {}, "an apply must never be followed by a non-empty preview"


def step_create(s: Scenario) -> dict[str, dict[str, Any]]:
    s.declare()
    s.stack.up()
    outs = s.outputs()
    for profile, kind in PAIRS:
        stored = s.remote(profile).get(kind, outs[name(profile, kind)])
        assert stored is not None and stored["description"] == "v1", (profile, kind, stored)
    assert s.counts() == dict.fromkeys(PAIRS, 1)
    s.settled()
    # The state records where the program declared each resource, and only that: the line of the program's
    # constructor call (not this package's __init__, nor the runner's and asyncio's frames: 1.3 KB of each
    # resource's checkpoint entry, rewritten after every step, before).
    program = (s.stack.project_dir / "__main__.py").read_text().splitlines()
    line = next(i for i, text in enumerate(program, 1) if "cls(item[" in text)
    states = s.states()
    for profile, kind in PAIRS:
        state = states[name(profile, kind)]
        assert state["sourcePosition"] == f"project:///__main__.py#{line}", state["sourcePosition"]
        assert state["stackTrace"] == [{"sourcePosition": f"project:///__main__.py#{line}"}]
        assert state["outputs"].get("connection") == (None if profile == DEFAULT else profile)
    return outs


def step_update_in_place(s: Scenario, before: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for profile, kind in PAIRS:
        s.declared[profile, kind].update(CASES[kind]["update"])
    s.declare()
    assert s.stack.changes() == {"update": len(PAIRS)}
    s.stack.up()
    outs = s.outputs()
    for profile, kind in PAIRS:
        resource = name(profile, kind)
        assert outs[resource]["id"] == before[resource]["id"], f"{resource}: an in-place update keeps the id"
        assert s.remote(profile).get(kind, outs[resource])["description"] == "v2"
    assert s.counts() == dict.fromkeys(PAIRS, 1)
    s.settled()
    return outs


def step_identity_change_replaces(s: Scenario, before: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    replaced = [(profile, kind) for profile, kind in PAIRS if kind in REPLACEABLE]
    for profile, kind in replaced:
        s.declared[profile, kind].update(CASES[kind]["replace"])
    s.declare()
    assert s.stack.changes() == {"replace": len(replaced)}
    s.stack.up()
    outs = s.outputs()
    for profile, kind in replaced:
        resource, remote = name(profile, kind), s.remote(profile)
        assert outs[resource]["id"] != before[resource]["id"]
        assert remote.get(kind, before[resource]) is None and remote.get(kind, outs[resource]) is not None
    assert s.counts() == dict.fromkeys(PAIRS, 1)
    s.settled()
    return outs


def step_drift_shows_on_refresh_and_up_restores(s: Scenario, outs: dict[str, dict[str, Any]]) -> None:
    for profile, kind in PAIRS:
        s.remote(profile).drift(kind, outs[name(profile, kind)])
    s.stack.refresh()
    states = s.states()
    for profile, kind in PAIRS:  # refresh records what each server holds
        assert states[name(profile, kind)]["outputs"]["description"] == "hand-made", (profile, kind)
    assert s.stack.changes() == {"update": len(PAIRS)}
    s.stack.up()
    assert all(s.remote(p).get(k, outs[name(p, k)])["description"] == "v2" for p, k in PAIRS)
    s.settled()


def step_remote_delete_is_dropped_and_made_again(s: Scenario, outs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    for profile, kind in PAIRS:
        s.remote(profile).delete(kind, outs[name(profile, kind)])
    s.stack.refresh()
    assert all(s.stack.resources(kind) == [] for kind in KINDS)
    s.stack.up()
    again = s.outputs()
    for profile, kind in PAIRS:
        resource = name(profile, kind)
        assert again[resource]["id"] != outs[resource]["id"]
        assert s.remote(profile).get(kind, again[resource])["description"] == "v2"
    assert s.counts() == dict.fromkeys(PAIRS, 1)
    s.settled()
    return again


def step_import_id_adopts_objects_made_by_hand(s: Scenario) -> dict[tuple[str, str], str]:
    existing = {}
    for profile, kind in PAIRS:
        key = CASES[kind]["adopt_key"]
        s.adopted[profile, kind] = {**s.declared[profile, kind], key: s.declared[profile, kind][key] + "-adopt"}
        existing[profile, kind] = s.remote(profile).create(kind, {**s.adopted[profile, kind],
                                                                  "description": "made by hand"})
    s.declare({pair: {**s.adopted[pair], "import_id": existing[pair]} for pair in PAIRS})
    s.stack.up()
    outs = s.outputs()
    for profile, kind in PAIRS:
        adopted = outs[f"adopted-{name(profile, kind)}"]
        assert adopted.get("policy_id", adopted["id"]) == existing[profile, kind]
        assert s.remote(profile).get(kind, adopted)["description"] == "v2"  # brought to the declared state
    assert s.counts() == dict.fromkeys(PAIRS, 2)
    s.settled()
    return existing


def step_replacing_an_adopted_object_needs_import_id_gone(s: Scenario, existing: dict[tuple[str, str], str]) -> None:
    before = s.outputs()
    moved = {(p, k): {**s.adopted[p, k], **CASES[k]["moved"]} for p, k in PAIRS if k in REPLACEABLE}
    s.declare({pair: {**s.adopted[pair], **moved.get(pair, {}), "import_id": existing[pair]} for pair in PAIRS})
    refused = s.stack.pulumi("preview", check=False)
    assert refused.returncode != 0 and "Remove import_id from the program" in refused.stdout, refused.stdout
    s.declare({pair: {**s.adopted[pair], **moved.get(pair, {})} for pair in PAIRS})
    assert s.stack.changes() == {"replace": len(moved)}
    s.stack.up()
    after = s.outputs()
    for profile, kind in moved:
        old, new = before[f"adopted-{name(profile, kind)}"], after[f"adopted-{name(profile, kind)}"]
        assert s.remote(profile).get(kind, old) is None and s.remote(profile).get(kind, new)["description"] == "v2"
        assert new.get("policy_id", new["id"]) != existing[profile, kind]
    assert s.counts() == dict.fromkeys(PAIRS, 2)
    s.settled()


def step_destroy_leaves_the_server_empty(s: Scenario) -> None:
    s.stack.destroy()
    assert s.counts() == dict.fromkeys(PAIRS, 0)


@pytest.fixture
def servers(tmp_path):
    """One embedded server per server profile."""
    with ExitStack() as stack:
        yield {profile: stack.enter_context(seeded_server(tmp_path / profile, profile=profile))
               for profile in SERVER_PROFILES}


def test_lifecycle_on_every_server_profile(servers, make_stack, tmp_path):
    s = Scenario(make_stack, servers, tmp_path)
    created = step_create(s)
    updated = step_update_in_place(s, created)
    current = step_identity_change_replaces(s, updated)
    step_drift_shows_on_refresh_and_up_restores(s, current)
    current = step_remote_delete_is_dropped_and_made_again(s, current)
    existing = step_import_id_adopts_objects_made_by_hand(s)
    step_replacing_an_adopted_object_needs_import_id_gone(s, existing)
    step_destroy_leaves_the_server_empty(s)
