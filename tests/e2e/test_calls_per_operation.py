"""The fewest HTTP calls per operation, counted by the embedded server's request log."""

from __future__ import annotations

import pytest

from tests.support.engine import stack_factory
from tests.support.policies import calls_per_operation, new_policy_stack, seeded_server

NCCM = "/ux/nccm/configuration_policies/"
RM_ONE = "/api/resource-manager/policies"
EXPECTED = {
    "ConfigurationPolicy": {
        "create": {f"POST {NCCM}": 1, f"GET {NCCM}": 1},  # 201 without a body, then one page of the newest
        # a PUT replaces every field: the server's current run state is read first, so the PUT keeps it
        "update": {f"GET {NCCM}{{policy_id}}/": 1, f"PUT {NCCM}{{policy_id}}/": 1},
        "refresh": {f"GET {NCCM}{{policy_id}}/": 1},
        "delete": {f"DELETE {NCCM}{{policy_id}}/": 1},
        "adopt (import_id)": {f"GET {NCCM}{{policy_id}}/": 1},
    },
    "ResourcePolicy": {
        "create": {f"POST {RM_ONE}": 1},
        "update": {f"PATCH {RM_ONE}/{{ref}}": 1},
        "refresh": {f"GET {RM_ONE}/{{ref}}": 1},
        "delete": {f"DELETE {RM_ONE}/{{ref}}": 1},
        "adopt (import_id)": {f"GET {RM_ONE}/{{ref}}": 1},
    },
    "ProfilePolicy": {
        "create": {"POST /api/resource-manager/profiles/{profile_id}/policies": 1},
        "update": {"PATCH /api/resource-manager/profiles/{profile_id}/policies/{ref}": 1},
        "refresh": {"GET /api/resource-manager/profiles/{profile_id}/policies/{ref}": 1},
        "delete": {"DELETE /api/resource-manager/profiles/{profile_id}/policies/{ref}": 1},
        "adopt (import_id)": {"GET /api/resource-manager/profiles/{profile_id}/policies/{ref}": 1},
    },
}


pytestmark = pytest.mark.engine  # `measured` starts its own engine (stack_factory), not the fixture


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """One object of each kind through its life in one stack (the kinds' calls told apart by their routes)."""
    tmp = tmp_path_factory.mktemp("calls")
    with seeded_server(tmp / "emulator") as server:
        return calls_per_operation(new_policy_stack(stack_factory(tmp / "engine"), server, tmp / "p"), server)


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_calls_per_operation(kind, measured):
    table = measured[kind]
    print(f"\n{kind}: " + "; ".join(f"{op} {sum(c.values())}" for op, c in table.items()))
    for operation in ("preview (create)", "no-op preview", "no-op up"):
        assert table[operation] == {}, (operation, table[operation])
    for operation, calls in EXPECTED[kind].items():
        assert table[operation] == calls, (operation, table[operation])
    assert sum(table["destroy"].values()) == 1 and next(iter(table["destroy"])).startswith("DELETE")


def test_refresh_of_many_reads_listings_and_stays_exact(server, make_stack, tmp_path):
    from tests.support.policies import Api, mixed_policies

    items = mixed_policies(60)
    ps = new_policy_stack(make_stack, server, tmp_path / "p").declare(*items)
    ps.stack.up()
    dump = server.admin.dump()
    api = Api(server)
    rp, pp, cp = dump["resource_policies"][0], dump["profile_policies"][0], dump["configuration_policies"][0]
    api.rm.patch(f"/api/resource-manager/policies/{rp['id']}", json={"description": "by hand"})
    api.rm.delete(f"/api/resource-manager/profiles/{pp['profileId']}/policies/{pp['id']}")
    api.nccm.put(f"/ux/nccm/configuration_policies/{cp['id']}/", json={**cp, "description": "by hand too"})
    server.admin.clear_requests()
    ps.stack.refresh()
    calls = server.admin.requests()["counts"]
    print(f"\nrefresh of 60 policies: {sum(calls.values())} calls {calls}")
    assert sum(calls.values()) <= 20  # a few GETs and one listing per collection, not 60 GETs
    state = {r["outputs"].get("name") or r["outputs"].get("policyid"): r["outputs"]
             for r in ps.stack.resources() if r["type"].startswith("pulumi-python:dynamic/pulumi_policies:")}
    assert len(state) == 59 and pp["name"] not in state  # deleted by hand: dropped
    assert state[rp["name"]]["description"] == "by hand" and state[cp["policyid"]]["description"] == "by hand too"
    assert ps.stack.changes() == {"create": 1, "update": 2}
