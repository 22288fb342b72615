"""Named connections and import by natural key, the provider called as the engine calls it, against two embedded
servers over HTTP (the engine-level proof is tests/e2e/test_multi_tenant.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from pulumi_policies import connections, export, recovery
from pulumi_policies.providers import PROVIDERS
from tests.support.policies import Api, seeded_server

RP, PP, CP = (PROVIDERS[k]() for k in ("ResourcePolicy", "ProfilePolicy", "ConfigurationPolicy"))


@pytest.fixture
def two(tmp_path):
    """A default connection to one server and a connection named "prod" to another."""
    with seeded_server(tmp_path / "a") as a, seeded_server(tmp_path / "b") as b:
        connections.configure({
            "pulumi-policies:nccmUrl": a.url, "pulumi-policies:nccmApiKey": a.nccm_api_key,
            "pulumi-policies:resourceManagerUrl": a.url, "pulumi-policies:resourceManagerToken": a.rm_token,
            "pulumi-policies:requestTimeout": "7",
            "pulumi-policies:connections": json.dumps({"prod": {
                "nccmUrl": b.url, "nccmApiKey": b.nccm_api_key, "resourceManagerUrl": b.url,
                "resourceManagerToken": b.rm_token}}),
        })
        yield a, b
        connections.configure({})


def checked(provider, args: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, args)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return result.inputs


def test_a_named_connection_reaches_its_own_server_and_only_its_name_is_kept(two):
    a, b = two
    made = RP.create(checked(RP, {"name": "p", "connection": "prod"}))
    assert [p["name"] for p in b.admin.dump()["resource_policies"]] == ["p"] and a.admin.dump()["resource_policies"] == []
    assert made.outs["connection"] == "prod" and b.rm_token not in json.dumps(made.outs)
    assert RP.read(made.id, made.outs).outs["connection"] == "prod"   # refresh reads it there
    RP.delete(made.id, made.outs)
    assert b.admin.dump()["resource_policies"] == []
    # what it inherits from the default connection: how to talk (timeout), never to whom
    assert connections.current("prod").get("requestTimeout") == "7"
    assert connections.current("prod").get("resourceManagerUrl") == b.url
    bad = connections.Connection({"maxRetries": "x"}, name="prod", default={})
    with pytest.raises(connections.ConfigurationError, match=r"pulumi-policies:connections\.prod\.maxRetries must"):
        bad.retry_policy()


def test_an_unknown_connection_fails_check_naming_the_known_ones_with_no_http_call(two):
    a, b = two
    result = RP.check({}, {"name": "p", "connection": "staging"})
    [failure] = result.failures
    assert failure.reason.startswith("ResourcePolicy.connection: ")
    assert "'staging'" in failure.reason and "'prod'" in failure.reason
    assert a.admin.requests()["total"] == 0 and b.admin.requests()["total"] == 0


def test_changing_the_connection_replaces(two):
    made = RP.create(checked(RP, {"name": "p"}))
    diff = RP.diff(made.id, made.outs, checked(RP, {"name": "p", "connection": "prod"}))
    assert diff.replaces == ["connection"]
    assert RP.diff(made.id, made.outs, checked(RP, {"name": "p"})).changes is False


def test_a_bad_connections_value_is_said_when_a_connection_is_used():
    connections.configure({"pulumi-policies:connections": json.dumps({"prod": {"resourceManagerTokn": "x"}})})
    try:
        [failure] = RP.check({}, {"name": "p", "connection": "prod"}).failures
        assert "resourceManagerTokn" in failure.reason and "resourceManagerToken" in failure.reason
    finally:
        connections.configure({})


@pytest.mark.parametrize("import_id", ["name:hand-made", "prof-eng/hand-made",
                                       "resource-manager/profiles/prof-eng/policies/hand-made"])
def test_a_profile_policy_is_adopted_by_its_natural_key(two, import_id):
    a, _ = two
    api = Api(a)
    made = api.rm.post("/api/resource-manager/profiles/prof-eng/policies", json={"name": "hand-made"}).json()
    result = PP.create(checked(PP, {"name": "hand-made", "profile_id": "prof-eng", "import_id": import_id}))
    assert result.id == f"prof-eng/{made['id']}" and len(a.admin.dump()["profile_policies"]) == 1


@pytest.mark.parametrize("import_id", ["name:hand made", "resource-manager/policies/hand%20made", "hand made", "{id}"])
def test_a_resource_policy_is_adopted_by_the_import_ids_britives_terraform_provider_takes(two, import_id):
    """Terraform imports resource policies by name, bare or as resource-manager/policies/<name>; an id still works."""
    a, _ = two
    made = Api(a).rm.post("/api/resource-manager/policies", json={"name": "hand made"}).json()
    a.admin.clear_requests()
    result = RP.create(checked(RP, {"name": "hand made", "import_id": import_id.format(id=made["id"])}))
    assert result.id == made["id"] and len(a.admin.dump()["resource_policies"]) == 1
    assert not any(k.startswith(("POST", "PATCH")) for k in a.admin.requests()["counts"])  # adopted as it is


@pytest.mark.parametrize("import_id", ["cp/acme", "acme/cp"])  # as its set key has it; as earlier releases took it
def test_a_configuration_policy_is_adopted_by_policyid_and_organization(two, import_id):
    a, _ = two
    Api(a).nccm.post("/ux/nccm/configuration_policies/", json={"policyid": "cp", "organization": "acme"})
    [stored] = a.admin.dump()["configuration_policies"]
    result = CP.create(checked(CP, {"policyid": "cp", "organization": "acme", "import_id": import_id}))
    assert result.id == stored["id"] and len(a.admin.dump()["configuration_policies"]) == 1


def test_a_natural_key_matching_nothing_or_clashing_with_the_program_is_refused_and_changes_nothing(two):
    a, _ = two
    with pytest.raises(Exception, match="matches no existing ResourcePolicy"):
        RP.create(checked(RP, {"name": "ghost", "import_id": "name:ghost"}))
    # <profile_id>/<name> of another profile than the declared one is read as a remote id (ids may hold a "/")
    with pytest.raises(Exception, match="names no existing ProfilePolicy"):
        PP.create(checked(PP, {"name": "x", "profile_id": "prof-ops", "import_id": "prof-eng/x"}))
    # Terraform's full form says which profile it means: another profile than the declared one is said
    with pytest.raises(Exception, match="names a policy of profile 'prof-eng', but the program declares profile_id "
                                        "'prof-ops'"):
        PP.create(checked(PP, {"name": "x", "profile_id": "prof-ops",
                               "import_id": "resource-manager/profiles/prof-eng/policies/x"}))
    with pytest.raises(Exception, match="matches no existing ResourcePolicy"):
        RP.create(checked(RP, {"name": "ghost", "import_id": "ghost"}))  # neither an id nor a name
    dump = a.admin.dump()
    assert dump["resource_policies"] == [] and dump["profile_policies"] == []


class TwoOfOneName:
    """A collection holding two policies of one name (no server this project emulates allows it: a narrow unit)."""

    def matching(self, key: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": "id-1", "name": key["name"]}, {"id": "id-2", "name": key["name"]}]


def test_an_ambiguous_natural_key_is_refused_naming_the_ids():
    with pytest.raises(Exception, match="matches 2 ResourcePolicy objects") as err:
        RP._to_adopt(TwoOfOneName(), "name:twin", {"name": "twin"})  # type: ignore[arg-type]
    assert "'id-1'" in str(err.value) and "'id-2'" in str(err.value) and 'import_id="<id>"' in str(err.value)


def test_a_create_in_a_profile_the_server_does_not_have_says_so(two):
    with pytest.raises(Exception, match="Nothing to create in at that address") as err:
        PP.create(checked(PP, {"name": "p", "profile_id": "no-such-profile"}))
    assert "pulumi refresh" not in str(err.value)  # not an object deleted by hand


def test_export_of_a_named_connection_lists_its_server_and_keeps_the_name(two):
    a, b = two
    Api(a).rm.post("/api/resource-manager/policies", json={"name": "on-a"})
    Api(b).rm.post("/api/resource-manager/policies", json={"name": "on-b"})
    found = export.collect(["ResourcePolicy"], connection="prod")
    assert [(f.title, f.connection) for f in found] == [("on-b", "prod")]
    program = export.render(found)
    assert 'connection="prod",' in program and "on-a" not in program
    assert [f.title for f in export.collect(["ResourcePolicy"])] == ["on-a"]  # the default connection


class StackConfig:
    """What recovery reads of an Automation API stack here: its config (secrets decrypted)."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get_all_config(self) -> dict[str, Any]:
        return {k: SimpleNamespace(value=v, secret=False) for k, v in self.values.items()}


def test_recover_looks_a_pending_create_up_on_its_own_connection(two, tmp_path):
    a, b = two
    made = Api(b).rm.post("/api/resource-manager/policies", json={"name": "landed"}).json()
    config = {"pulumi-policies:resourceManagerUrl": a.url, "pulumi-policies:resourceManagerToken": a.rm_token,
              "pulumi-policies:connections": json.dumps({"prod": {"resourceManagerUrl": b.url,
                                                                  "resourceManagerToken": b.rm_token}})}
    pending = {"type": "creating", "resource": {
        "urn": "urn:pulumi:dev::p::pulumi-python:dynamic/pulumi_policies:ResourcePolicy::r",
        "type": "pulumi-python:dynamic/pulumi_policies:ResourcePolicy",
        "inputs": {"name": "landed", "connection": "prod"}}}
    [create] = recovery.pending_creates(StackConfig(config), {"pending_operations": [pending]})  # type: ignore[arg-type]
    assert create.found is not None and create.found["id"] == made["id"]
    assert a.admin.requests()["total"] == 0  # the default connection's server was never asked


def test_replacing_an_object_adopted_by_natural_key_is_refused_while_import_id_still_names_it(two):
    a, _ = two
    Api(a).nccm.post("/ux/nccm/configuration_policies/", json={"policyid": "cp", "organization": "acme"})
    made = CP.create(checked(CP, {"policyid": "cp", "organization": "acme", "import_id": "cp/acme"}))
    renamed = checked(CP, {"policyid": "cp-2", "organization": "acme", "import_id": "cp/acme"})
    with pytest.raises(Exception, match="Remove import_id from the program"):
        CP.diff(made.id, made.outs, renamed)
    Api(a).rm.post("/api/resource-manager/profiles/prof-eng/policies", json={"name": "x"})
    adopted = PP.create(checked(PP, {"name": "x", "profile_id": "prof-eng", "import_id": "name:x"}))
    moved = checked(PP, {"name": "x", "profile_id": "prof-ops", "import_id": "name:x"})  # names prof-ops's "x"
    assert PP.diff(adopted.id, adopted.outs, moved).replaces == ["profile_id"]
    to_prod = checked(PP, {"name": "x", "profile_id": "prof-eng", "import_id": "name:x", "connection": "prod"})
    assert PP.diff(adopted.id, adopted.outs, to_prod).replaces == ["connection"]  # another server: not refused
