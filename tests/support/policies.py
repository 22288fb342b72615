"""A stack of declared policies against a running emulator, and direct API access to make drift."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pulumi_policies.emulator import EmulatorServer
from pulumi_policies.models import ConfigurationPolicyArgs, PolicyFields
from pulumi_policies.models.canonical import aligned, canonical
from tests.support.engine import Stack, copy_project

DECLARED = Path(__file__).resolve().parents[1] / "e2e" / "projects" / "declared"


PROFILES = [{"id": "prof-eng", "name": "engineering"}, {"id": "prof-ops", "name": "operations"}]


@contextmanager
def seeded_server(data_dir: Path, **options: Any) -> Iterator[EmulatorServer]:
    """The embedded API server on a free loopback port, its data in `data_dir`, profiles prof-eng and prof-ops."""
    data_dir.mkdir(parents=True, exist_ok=True)
    seed = data_dir / "seed.json"
    seed.write_text(json.dumps({"profiles": PROFILES}))
    with EmulatorServer(data_dir=data_dir / "db", seed_file=seed, **options) as server:
        yield server


def connection_config(server: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(plain config, secret config) pointing the resources at an emulator, as its server profile needs."""
    plain = {"pulumi-policies:nccmUrl": server.url, "pulumi-policies:resourceManagerUrl": server.url}
    if server.state.behaviour.nccm_auth == "apikey":
        plain["pulumi-policies:nccmAuthScheme"] = "ApiKey"
    secret = {"pulumi-policies:nccmApiKey": server.nccm_api_key,
              "pulumi-policies:resourceManagerToken": server.rm_token}
    return plain, secret



@dataclass
class PolicyStack:
    stack: Stack

    def declare(self, *resources: dict[str, Any]) -> PolicyStack:
        (self.stack.project_dir / "resources.json").write_text(json.dumps(list(resources), indent=1))
        return self

    def output(self, name: str) -> dict[str, Any]:
        return self.stack.outputs()[name]


def new_policy_stack(make_stack: Any, server: Any, workdir: Path, name: str = "dev") -> PolicyStack:
    project = copy_project(DECLARED, workdir)
    plain, secret = connection_config(server)
    stack = make_stack(project, name).init(config=plain, secrets=secret)
    return PolicyStack(stack).declare()


class Api:
    """The two APIs, called directly as a person would with curl (for drift and pre-existing objects)."""

    def __init__(self, server: Any) -> None:
        key = server.nccm_api_key
        if server.state.behaviour.nccm_auth == "apikey":
            key = f"ApiKey {key}"
        self.nccm = httpx.Client(base_url=server.url, headers={"Authorization": key}, timeout=10)
        self.rm = httpx.Client(base_url=server.url, headers={"Authorization": f"TOKEN {server.rm_token}"}, timeout=10)

    def nccm_get(self, policy_id: str) -> httpx.Response:
        return self.nccm.get(f"/ux/nccm/configuration_policies/{policy_id}/")

    def rm_path(self, kind: str, policy_id: str = "", profile_id: str = "") -> str:
        base = (f"/api/resource-manager/profiles/{profile_id}/policies" if kind == "ProfilePolicy"
                else "/api/resource-manager/policies")
        return f"{base}/{policy_id}" if policy_id else base


# One declared object per kind, and the change an update makes to it (used by the calls-per-operation
# test and benchmark).
SAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "ConfigurationPolicy": ({"policyid": "cpo", "organization": "acme", "policy_schedule": {"frequency": "daily"}},
                            {"description": "changed"}),
    "ProfilePolicy": ({"profile_id": "prof-eng", "name": "cpo", "members": {"tags": [{"name": "sre"}]},
                       "settings": [{"settings_type": "JUSTIFICATION", "justification_regex": "^J-[0-9]+$"}]},
                      {"description": "changed"}),
    "ResourcePolicy": ({"name": "cpo", "resource": "db", "members": {"users": [{"name": "alice"}]},
                        "resource_labels": {"env": ["dev"]}}, {"description": "changed"}),
}


def kind_of_call(call: str) -> str:
    """Which kind's collection a request-log entry ("GET /api/resource-manager/...") went to."""
    path = call.split(" ", 1)[1]
    if path.startswith("/ux/nccm/"):
        return "ConfigurationPolicy"
    return "ProfilePolicy" if path.startswith("/api/resource-manager/profiles/") else "ResourcePolicy"


def calls_per_operation(ps: PolicyStack, server: Any, kinds: tuple[str, ...] = tuple(SAMPLES)
                        ) -> dict[str, dict[str, dict[str, int]]]:
    """One object of each kind through its life, side by side in one stack (resource names = kinds); the
    server's request log per kind and operation: {kind: {operation: {call: n}}}. The collections' routes
    tell the kinds' calls apart."""
    table: dict[str, dict[str, dict[str, int]]] = {kind: {} for kind in kinds}

    def declare(extra: dict[str, dict[str, Any]] | None = None) -> PolicyStack:
        return ps.declare(*({"type": k, "name": k, "args": {**SAMPLES[k][0], **(extra or {}).get(k, {})}}
                            for k in kinds))

    def measured(operation: str, action: Any) -> None:
        server.admin.clear_requests()
        action()
        for kind in kinds:
            table[kind][operation] = {}
        for call, n in server.admin.requests()["counts"].items():
            table[kind_of_call(call)][operation][call] = n

    changed = {k: SAMPLES[k][1] for k in kinds}
    measured("preview (create)", lambda: declare().stack.changes())
    measured("create", lambda: ps.stack.up())
    measured("no-op preview", lambda: ps.stack.changes())
    measured("no-op up", lambda: ps.stack.up())
    measured("update", lambda: declare(changed).stack.up())
    measured("refresh", lambda: ps.stack.refresh())
    measured("delete", lambda: ps.declare().stack.up())
    # adoption of an identical object made by hand: it is read, nothing is written
    api = Api(server)
    adopted: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        args = {**SAMPLES[kind][0], **SAMPLES[kind][1]}
        if kind == "ConfigurationPolicy":
            api.nccm.post("/ux/nccm/configuration_policies/", json=args)
            remote_id = server.admin.dump()["configuration_policies"][-1]["id"]
        else:
            body = PolicyFields.model_validate({k: v for k, v in args.items() if k != "profile_id"})
            created = api.rm.post(api.rm_path(kind, profile_id=args.get("profile_id", "")),
                                  json=body.model_dump(mode="json", by_alias=True, exclude_none=True))
            remote_id = created.json()["id"]
        adopted[kind] = {**SAMPLES[kind][1], "import_id": remote_id}
    measured("adopt (import_id)", lambda: declare(adopted).stack.up())
    measured("destroy", lambda: ps.stack.destroy())
    return table


def mixed_policies(n: int, release: str = "v1") -> list[dict[str, Any]]:
    """n policies, the three kinds in turn, whose descriptions say the release."""
    items = []
    for i in range(n):
        if i % 3 == 0:
            args: dict[str, Any] = {"policyid": f"cp-{i}", "organization": "acme", "description": release,
                                    "policy_schedule": {"frequency": "daily", "hour": i % 24}}
            items.append({"type": "ConfigurationPolicy", "name": f"r{i}", "args": args})
        else:
            args = {"name": f"p-{i}", "description": release, "resource": f"db-{i}",
                    "members": {"users": [{"name": f"u{i}"}], "tags": [{"name": "sre"}]},
                    "resource_labels": {"env": ["dev", "prod"][: 1 + i % 2]}}
            if i % 3 == 1:
                items.append({"type": "ProfilePolicy", "name": f"r{i}",
                              "args": {**args, "profile_id": ["prof-eng", "prof-ops"][i % 2]}})
            else:
                items.append({"type": "ResourcePolicy", "name": f"r{i}", "args": args})
    return items


def as_sets(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same policies declared as one policy set per kind (named after the kind, lower case)."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        kinds.setdefault(item["type"], []).append(item["args"])
    return [{"type": f"{kind}Set", "name": kind.lower(), "args": {"policies": args}} for kind, args in kinds.items()]


def assert_server_holds_exactly(dump: dict[str, list[dict[str, Any]]], items: list[dict[str, Any]]) -> None:
    """Every declared object once, with its declared fields; nothing else."""
    keys = {"ConfigurationPolicy": Counter((p["policyid"], p["organization"]) for p in dump["configuration_policies"]),
            "ProfilePolicy": Counter((p["profileId"], p["name"]) for p in dump["profile_policies"]),
            "ResourcePolicy": Counter(p["name"] for p in dump["resource_policies"])}
    duplicates = {kind: [k for k, n in c.items() if n > 1] for kind, c in keys.items()}
    assert duplicates == {k: [] for k in keys}, duplicates
    assert sum(sum(c.values()) for c in keys.values()) == len(items)
    by_key = {("ConfigurationPolicy", (p["policyid"], p["organization"])): p for p in dump["configuration_policies"]}
    by_key |= {("ProfilePolicy", (p["profileId"], p["name"])): p for p in dump["profile_policies"]}
    by_key |= {("ResourcePolicy", p["name"]): p for p in dump["resource_policies"]}
    for item in items:
        args = item["args"]
        if item["type"] == "ConfigurationPolicy":
            model, key = ConfigurationPolicyArgs, (args["policyid"], args["organization"])
        else:
            model = PolicyFields
            key = (args["profile_id"], args["name"]) if item["type"] == "ProfilePolicy" else args["name"]
        stored = aligned(model, args, by_key[(item["type"], key)])  # members as declared: by id, name or both
        fields = [f for f in args if f not in ("profile_id", "import_id")]
        assert canonical(model, stored, only=fields) == canonical(model, args, only=fields), item


# Server-managed bookkeeping that any write moves forward; everything else must be restored exactly.
VOLATILE = {"last_update_time", "lastupdatetime", "updatedAt", "updated_at", "modifiedAt", "modified_at"}


def comparable(dump: dict[str, Any]) -> dict[str, Any]:
    def strip(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if k not in VOLATILE}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj
    return strip(dump)


# The engine's most verbose logging, and how its own trace of the provider's Configure starts.
VERBOSE = ("-v=9", "--logflow", "--logtostderr")
ENGINE_CONFIGURE_LOG = "Marshaling property for RPC[Provider["  # the engine's own -v=9 trace of Configure


def occurrences(texts: list[str], secrets: tuple[str, ...]) -> list[str]:
    """The line around every occurrence of a secret."""
    return [line for t in texts for line in t.splitlines() if any(s in line for s in secrets)]
