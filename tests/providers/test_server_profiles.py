"""The provider, called as the engine calls it, against each server profile over HTTP: what real servers
do beyond the documents must cost no perpetual diff, no lost grant and no duplicate."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_policies import connections
from pulumi_policies.client import ConfigurationPolicies, RmPolicyCollection
from pulumi_policies.providers import PROVIDERS
from tests.support.policies import Api, connection_config, seeded_server

RP, CP = PROVIDERS["ResourcePolicy"](), PROVIDERS["ConfigurationPolicy"]()


@pytest.fixture
def profiled(tmp_path, request):
    """An emulator with the server profile named by the test's parameter, the provider configured for it."""
    with seeded_server(tmp_path / "emulator", profile=request.param) as server:
        plain, secret = connection_config(server)
        connections.configure({**plain, **secret})
        yield server
        connections.configure({})


def checked(provider, args: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
    result = provider.check(olds or {}, args)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return result.inputs


def post_counts(server) -> int:
    return sum(n for k, n in server.admin.requests()["counts"].items() if k.startswith("POST "))


@pytest.mark.parametrize("profiled", ["britive"], indirect=True)
def test_member_ids_filled_by_the_server_are_no_change(profiled):
    inputs = checked(RP, {"name": "p", "members": {"users": [{"name": "alice"}], "tags": [{"id": "t1"}]},
                          "condition": {"approval": {"timeToApprove": 30, "approvers": {"tags": ["b", "a"]}}}})
    made = RP.create(inputs)
    assert made.outs["members"]["users"][0]["id"]  # the server gave alice an id
    assert RP.diff(made.id, made.outs, inputs).changes is False
    read = RP.read(made.id, made.outs)
    assert RP.diff(made.id, read.outs, inputs).changes is False
    for members in ({"users": [{"name": "bob"}], "tags": [{"id": "t1"}]},       # another member
                    {"users": [{"name": "alice"}], "tags": [{"id": "t2"}]},     # another id
                    {"users": [{"name": "alice"}, {"name": "alice"}], "tags": [{"id": "t1"}]},  # twice
                    {"users": [{"id": "not-alices-id", "name": "alice"}], "tags": [{"id": "t1"}]}):
        news = checked(RP, {**inputs, "members": members}, inputs)
        assert RP.diff(made.id, read.outs, news).changes is True, members  # a real change still shows


@pytest.mark.parametrize("profiled", ["britive"], indirect=True)
def test_tokens_and_ai_identities_are_managed_like_the_other_member_kinds(profiled):
    api = Api(profiled)
    inputs = checked(RP, {"name": "p", "members": {"users": [{"name": "alice"}], "tokens": [{"name": "ci"}]}})
    made = RP.create(inputs)
    path = api.rm_path("ResourcePolicy", made.outs["policy_id"])
    stored = api.rm.get(path).json()["members"]
    assert [t["name"] for t in stored["tokens"]] == ["ci"] and stored["tokens"][0]["id"]  # the server's id
    assert RP.diff(made.id, RP.read(made.id, made.outs).outs, inputs).changes is False
    api.rm.patch(path, json={"members": {**stored, "aiIdentities": [{"name": "agent"}]}})  # granted by hand
    read = RP.read(made.id, made.outs)
    assert RP.diff(made.id, read.outs, inputs).changes is True  # drift, shown at the next preview
    RP.update(made.id, read.outs, inputs)
    assert api.rm.get(path).json()["members"]["aiIdentities"] == []  # the program's members are the truth


@pytest.mark.parametrize("profiled", ["britive"], indirect=True)
def test_a_settings_type_the_provider_does_not_know_survives_an_update(profiled):
    """A newer server's settings type (and a condition key nobody here knows) is kept on every write, read fresh
    before it: one an admin removed by hand since the last read is not brought back."""
    api = Api(profiled)
    profiled.admin.set_config(setting_types="any")
    inputs = checked(RP, {"name": "p", "members": {"users": [{"name": "alice"}]},
                          "settings": [{"settings_type": "JUSTIFICATION"}]})
    made = RP.create(inputs)
    path = api.rm_path("ResourcePolicy", made.outs["policy_id"])
    held = api.rm.get(path).json()
    geo = {"settingsType": "GEO", "isInherited": False, "regions": ["eu"]}
    assert api.rm.patch(path, json={"settings": [*held["settings"], geo]}).status_code == 204
    read = RP.read(made.id, made.outs)
    assert RP.diff(made.id, read.outs, inputs).changes is False  # not ours to manage: not a change
    RP.update(made.id, read.outs, checked(RP, {**inputs, "description": "v2"}, inputs))
    stored = api.rm.get(path).json()
    assert stored["description"] == "v2"
    assert [{k: s[k] for k in geo} for s in stored["settings"] if s["settingsType"] == "GEO"] == [geo]
    # An update sends only what changed: a description leaves the settings alone (no read, no settings sent).
    profiled.admin.clear_requests()
    RP.update(made.id, read.outs, checked(RP, {**inputs, "description": "v3"}, inputs))
    assert profiled.admin.requests()["counts"] == {"PATCH /api/resource-manager/policies/{ref}": 1}
    assert "GEO" in [s["settingsType"] for s in api.rm.get(path).json()["settings"]]
    # revoked by hand after the state recorded it: a settings update reads fresh and does not restore it
    api.rm.patch(path, json={"settings": [s for s in stored["settings"] if s["settingsType"] != "GEO"]})
    profiled.admin.clear_requests()
    RP.update(made.id, read.outs, checked(RP, {**inputs, "settings": [
        {"settings_type": "JUSTIFICATION", "justification_regex": "^CHG"}]}, inputs))  # the state still has GEO
    assert profiled.admin.requests()["counts"] == {"GET /api/resource-manager/policies/{ref}": 1,
                                                   "PATCH /api/resource-manager/policies/{ref}": 1}
    assert [s["settingsType"] for s in api.rm.get(path).json()["settings"]] == ["JUSTIFICATION"]


@pytest.mark.parametrize("profiled", ["documented"], indirect=True)
def test_a_failed_create_never_takes_over_somebody_elses_policy_of_that_name(profiled):
    api = Api(profiled)
    theirs = api.rm.post("/api/resource-manager/policies", json={"name": "x", "description": "theirs"}).json()
    profiled.admin.clear_requests()
    profiled.admin.set_faults([{"kind": "error", "status": 500, "method": "POST", "path": "/api/*", "count": 1}])
    with pytest.raises(Exception) as refused:
        RP.create(checked(RP, {"name": "x", "description": "mine"}))
    assert f"already exists (id {theirs['id']!r})" in str(refused.value) and "import_id=" in str(refused.value)
    assert api.rm.get(f"/api/resource-manager/policies/{theirs['id']}").json()["description"] == "theirs"
    assert post_counts(profiled) == 1  # and nothing was sent again


@pytest.mark.parametrize("profiled", ["documented"], indirect=True)
def test_the_lookup_after_an_nccm_create_is_one_look_under_the_retry_policy(profiled):
    plain, secret = connection_config(profiled)
    connections.configure({**plain, **secret, "pulumi-policies:maxRetries": "0"})
    profiled.admin.set_faults([{"kind": "error", "status": 503, "method": "GET", "path": "/ux/*"}])
    with pytest.raises(Exception, match="was created .* but looking it up failed"):
        CP.create(checked(CP, {"policyid": "p", "organization": "o"}))
    counts = profiled.admin.requests()["counts"]
    assert counts == {"POST /ux/nccm/configuration_policies/": 1, "GET /ux/nccm/configuration_policies/": 1}


@pytest.mark.parametrize("profiled", ["britive"], indirect=True)
def test_listings_are_read_page_after_page(profiled):
    api = Api(profiled)
    for i in range(250):
        assert api.rm.post("/api/resource-manager/policies", json={"name": f"p{i:03d}"}).status_code == 201
    profiled.admin.clear_requests()
    listed = RmPolicyCollection(connections.resource_manager_client()).list()
    assert sorted(p["name"] for p in listed) == [f"p{i:03d}" for i in range(250)]
    assert profiled.admin.requests()["counts"] == {"GET /api/resource-manager/policies": 3}  # pages of 100


@pytest.mark.parametrize("profiled", ["infraon"], indirect=True)
def test_drf_paging_and_the_unique_together_error(profiled):
    api = Api(profiled)
    for i in range(25):  # exactly one page of the newest-first look-up: its next page is a 404 on this server
        made = api.nccm.post("/ux/nccm/configuration_policies/", json={"policyid": f"c{i}", "organization": "o"})
        assert made.status_code == 201
    nccm = ConfigurationPolicies(connections.nccm_client())
    assert len(nccm.list_all(page_size=5)) == 25  # 5 full pages, then "Invalid page."
    assert nccm.find("c0", "o")["policyid"] == "c0"
    inputs = checked(CP, {"policyid": "c3", "organization": "o"})
    with pytest.raises(Exception) as taken:
        CP.create(inputs)
    text = str(taken.value)
    assert "must make a unique set" in text and "import_id=" in text, text
    assert len(profiled.admin.dump()["configuration_policies"]) == 25


@pytest.mark.parametrize("profiled", ["documented"], indirect=True)
def test_a_create_is_sent_again_by_one_loop_only(profiled):
    profiled.admin.set_faults([{"kind": "rate_limit", "method": "POST", "path": "/api/*", "count": 2, "retry_after": 0}])
    RP.create(checked(RP, {"name": "limited"}))
    assert post_counts(profiled) == 3  # two 429s, then the create: never attempts x attempts
    profiled.admin.clear_requests()
    profiled.admin.set_faults([{"kind": "error", "status": 503, "method": "POST", "path": "/api/*", "count": 1}])
    RP.create(checked(RP, {"name": "failed-once"}))
    counts = profiled.admin.requests()["counts"]
    assert counts["POST /api/resource-manager/policies"] == 2 and counts["GET /api/resource-manager/policies"] == 1
    names = [p["name"] for p in profiled.admin.dump()["resource_policies"]]
    assert sorted(names) == ["failed-once", "limited"]


@pytest.mark.parametrize("profiled", ["documented"], indirect=True)
def test_the_retry_budget_is_configuration(profiled):
    plain, secret = connection_config(profiled)
    connections.configure({**plain, **secret, "pulumi-policies:maxRetries": "0"})
    profiled.admin.set_faults([{"kind": "rate_limit", "method": "POST", "path": "/api/*", "count": 1}])
    with pytest.raises(Exception, match="HTTP 429"):
        RP.create(checked(RP, {"name": "no-budget"}))
    assert post_counts(profiled) == 1
    connections.configure({**plain, **secret, "pulumi-policies:retryWaitMax": "soon"})
    with pytest.raises(Exception, match="retryWaitMax"):
        RP.create(checked(RP, {"name": "bad-config"}))


@pytest.mark.parametrize("profiled", ["documented", "britive"], indirect=True)
def test_a_name_one_server_refuses_and_another_takes(profiled):
    """No length limit is documented; Britive's clients check only that a name is not blank. A server with a
    limit of its own (the emulator's documented profile: 255) refuses with its words, and nothing is made."""
    long_name = "n" * 300
    inputs = checked(RP, {"name": long_name})
    if profiled.state.behaviour.profile == "britive":
        assert RP.create(inputs).outs["name"] == long_name
        return
    with pytest.raises(Exception) as refused:
        RP.create(inputs)
    text = str(refused.value)
    assert "HTTP 400" in text and "name: at most 255 characters" in text and "ResourcePolicy (name 'nnn" in text, text
    assert profiled.admin.dump()["resource_policies"] == []
    assert RP.check({}, {"name": "  "}).failures  # a blank name never reaches a server
