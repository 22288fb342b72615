"""The provider's writes and reads, called as the engine calls them, against the embedded server over HTTP.

Each test pins a behaviour that the engine-level suites reach only at great cost: what a PATCH that
clears fields leaves in the outputs, what a PUT does to fields the server keeps, how a refresh copes with
a collection whose listing fails, what an adoption costs, and what preview decides with unknown values.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulumi_policies import connections
from pulumi_policies.engine_state import UNKNOWN
from pulumi_policies.providers import PROVIDERS
from tests.support.policies import Api

RP, PP, CP = (PROVIDERS[k]() for k in ("ResourcePolicy", "ProfilePolicy", "ConfigurationPolicy"))


@pytest.fixture
def api(server):
    connections.configure({"pulumi-policies:nccmUrl": server.url, "pulumi-policies:resourceManagerUrl": server.url,
                        "pulumi-policies:nccmApiKey": server.nccm_api_key,
                        "pulumi-policies:resourceManagerToken": server.rm_token})
    yield Api(server)
    connections.configure({})


def checked(provider, args: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
    result = provider.check(olds or {}, args)
    assert not result.failures, [(f.property, f.reason) for f in result.failures]
    return result.inputs


def created(provider, args: dict[str, Any]):
    inputs = checked(provider, args)
    result = provider.create(inputs)
    return result.id, result.outs, inputs


@pytest.mark.parametrize("provider,scope", [(RP, {}), (PP, {"profile_id": "prof-eng"})])
@pytest.mark.parametrize("cleared", [{"access_level": "admin"}, {"resource_labels": {"env": ["prod"]}},
                                     {"condition": {"ip_address": "10.0.0.0/8"}}])
def test_fields_cleared_by_a_patch_are_gone_from_the_outputs(api, provider, scope, cleared):
    id_, outs, inputs = created(provider, {"name": "p", **scope, **cleared})
    news = checked(provider, {"name": "p", **scope}, inputs)
    assert provider.diff(id_, outs, news).changes
    outs = provider.update(id_, outs, news).outs  # PATCH answers 204: outputs are derived, not read
    assert provider.diff(id_, outs, news).changes is False, f"perpetual diff: {outs}"
    (field,) = cleared
    assert outs.get(field) is None
    assert provider.read(id_, outs).outs.get(field) is None  # and the server agrees


def test_a_put_keeps_what_the_server_changed_since_the_last_read(api, server):
    id_, outs, inputs = created(CP, {"policyid": "pol", "organization": "acme", "description": "v1"})
    path = f"/ux/nccm/configuration_policies/{id_}/"
    activated = {"activated_by": "alice", "activation_time": "2026-01-01T00:00:00.000000Z", "progress": 40,
                 "processid": 7}
    assert api.nccm.put(path, json={**api.nccm.get(path).json(), **activated}).status_code == 200
    server.admin.clear_requests()

    news = checked(CP, {"policyid": "pol", "organization": "acme", "description": "v2"}, inputs)
    outs = CP.update(id_, outs, news).outs
    assert server.admin.requests()["counts"] == {"GET /ux/nccm/configuration_policies/{policy_id}/": 1,
                                                 "PUT /ux/nccm/configuration_policies/{policy_id}/": 1}

    after = api.nccm.get(path).json()
    assert after["description"] == "v2"
    assert {k: after[k] for k in activated} == activated  # a full replace must not reset the run state
    assert {k: outs[k] for k in activated} == activated


def test_an_update_of_an_object_deleted_by_hand_says_to_refresh(api):
    id_, outs, inputs = created(CP, {"policyid": "gone", "organization": "acme"})
    assert api.nccm.delete(f"/ux/nccm/configuration_policies/{id_}/").status_code == 204
    news = checked(CP, {"policyid": "gone", "organization": "acme", "description": "v2"}, inputs)
    with pytest.raises(Exception, match=r"no longer exists on the server .*pulumi refresh"):
        CP.update(id_, outs, news)


def test_refresh_drops_every_policy_of_a_deleted_profile(api):
    made = [created(PP, {"name": f"n{i}", "profile_id": "prof-ops"}) for i in range(6)]
    assert api.rm.delete("/api/resource-manager/profiles/prof-ops").status_code in (200, 204)
    # The first reads are GETs (404: dropped); the rest would be served by a listing, which now 404s too.
    assert [PP.read(id_, outs).id for id_, outs, _ in made] == [""] * 6


def test_a_malformed_policy_in_a_listing_fails_only_its_own_read(api, server):
    made = [created(RP, {"name": f"n{i}"}) for i in range(6)]
    listing = api.rm.get("/api/resource-manager/policies").json()
    bad = next(p for p in listing if p["id"] == made[-1][0])
    bad["isActive"] = "maybe"  # a listing in which one policy does not parse
    server.admin.set_faults([{"kind": "respond", "method": "GET", "path": "/api/resource-manager/policies",
                              "status": 200, "body": json.dumps(listing)}])
    server.admin.clear_requests()
    assert [RP.read(id_, outs).id for id_, outs, _ in made] == [id_ for id_, _, _ in made]
    routes = server.admin.requests()["counts"]
    # 3 GETs, one listing (a bare array: its second page, the same again, says it is whole), then a GET for the
    # one policy the listing could not vouch for
    assert routes == {"GET /api/resource-manager/policies/{ref}": 4, "GET /api/resource-manager/policies": 2}


def test_adopting_many_costs_one_get_and_one_patch_each(api, server):
    ids = [api.rm.post("/api/resource-manager/policies", json={"name": f"n{i}"}).json()["id"] for i in range(20)]
    server.admin.clear_requests()
    for i, remote_id in enumerate(ids):
        created(RP, {"name": f"n{i}", "description": "managed now", "import_id": remote_id})
    log = server.admin.requests()
    assert log["counts"] == {"GET /api/resource-manager/policies/{ref}": 20,
                               "PATCH /api/resource-manager/policies/{ref}": 20}, log["counts"]


@pytest.mark.parametrize("provider,args,field", [
    (CP, {"policyid": "p", "description": UNKNOWN}, "organization"),
    (PP, {"name": UNKNOWN}, "profile_id"),
    (RP, {"description": UNKNOWN}, "name"),
])
def test_a_missing_field_is_reported_at_preview_even_when_other_values_are_unknown(provider, args, field):
    failures = provider.check({}, args).failures
    assert [f.reason.split(":", 1)[0] for f in failures] == [f"{provider.spec.kind}.{field}"]


def test_a_missing_field_inside_an_unknown_value_waits_for_the_value():
    assert PP.check({}, {"name": "n", "profile_id": "p", "settings": [UNKNOWN]}).failures == []
    assert PP.check({}, {"name": "n", "profile_id": "p", "members": UNKNOWN}).failures == []


def test_adopting_an_object_whose_identity_differs_is_refused_and_named(api, server):
    existing, _, _ = created(CP, {"policyid": "pol", "organization": "acme", "description": "by hand"})
    before = server.admin.dump()
    inputs = checked(CP, {"policyid": "pol", "organization": "globex", "import_id": existing})
    with pytest.raises(Exception, match=r"names a ConfigurationPolicy with organization 'acme'.*remove import_id"):
        CP.create(inputs)
    assert server.admin.dump() == before  # nothing was changed in place
