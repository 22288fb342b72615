"""Names and ids that try to reach another route are escaped: the request log proves every call hit its own route."""

from __future__ import annotations

import pytest

from tests.support.policies import new_policy_stack

HOSTILE = ["a/b", "../../policies", "x?filter=name eq y", "frag#ment", "100%", "with space", "ünïcødé ✓",
           "..", "%2F%2e%2e", "tab\there"]
ROUTES = {
    "/api/resource-manager/policies", "/api/resource-manager/policies/{ref}",
    "/api/resource-manager/profiles/{profile_id}/policies", "/api/resource-manager/profiles/{profile_id}/policies/{ref}",
    "/ux/nccm/configuration_policies/", "/ux/nccm/configuration_policies/{policy_id}/",
}


def routes_hit(server) -> set[str]:
    return {key.split(" ", 1)[1] for key in server.admin.requests()["counts"]}


@pytest.mark.slow
def test_hostile_names_reach_only_their_own_routes(server, make_stack, tmp_path):
    items = []
    for i, name in enumerate(HOSTILE):
        items.append({"type": "ResourcePolicy", "name": f"rp{i}",
                      "args": {"name": name, "resource": "db", "members": {"tags": [{"name": "t"}]}}})
        items.append({"type": "ProfilePolicy", "name": f"pp{i}",
                      "args": {"name": name, "profile_id": "prof-eng", "members": {"tags": [{"name": "t"}]}}})
    items.append({"type": "ConfigurationPolicy", "name": "cp",
                  "args": {"policyid": "../x?y#z %", "organization": "ü/..", "policy_schedule": {"a": 1}}})
    ps = new_policy_stack(make_stack, server, tmp_path / "project").declare(*items)
    server.admin.clear_requests()
    ps.stack.up()
    ps.stack.refresh()
    for item in items:
        item["args"]["description"] = "changed"
    ps.declare(*items).stack.up()
    dump = server.admin.dump()
    assert sorted(p["name"] for p in dump["resource_policies"]) == sorted(HOSTILE)
    assert sorted(p["name"] for p in dump["profile_policies"]) == sorted(HOSTILE)
    assert all(p["description"] == "changed" for kind in ("resource_policies", "profile_policies") for p in dump[kind])
    assert dump["configuration_policies"][0]["policyid"] == "../x?y#z %"
    assert ps.stack.changes() == {}
    ps.stack.destroy()
    assert routes_hit(server) <= ROUTES, routes_hit(server) - ROUTES
    assert all(e["status"] < 400 for e in server.admin.requests()["entries"])
    dump = server.admin.dump()
    assert dump["resource_policies"] == dump["profile_policies"] == dump["configuration_policies"] == []


@pytest.mark.slow
def test_hostile_import_id_is_one_escaped_lookup(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare({"type": "ResourcePolicy", "name": "r",
                "args": {"name": "r", "resource": "db", "import_id": "../profiles/prof-eng/policies?x=1#y"}})
    server.admin.clear_requests()
    proc = ps.stack.up(check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "names no existing ResourcePolicy" in text
    assert server.admin.requests()["counts"] == {"GET /api/resource-manager/policies/{ref}": 1}
    assert server.admin.requests()["entries"][0]["path"] == "/api/resource-manager/policies/../profiles/prof-eng/policies?x=1#y"
