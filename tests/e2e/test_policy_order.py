"""A profile's policy order (issue 25) on the real engine, against the embedded server's britive profile: the order
is applied, a reorder in the program previews as an update of the order resource, a reorder or a switch-off made by
hand is found by refresh and undone by up, an unchanged program has nothing to do, and destroy switches ordering off.

The program (projects/policy_order) gives the order resource some policies as ProfilePolicy ``policy_id`` Outputs and
some by name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.engine import Stack, copy_project
from tests.support.policies import Api, connection_config

PROJECT = Path(__file__).resolve().parent / "projects" / "policy_order"
PROFILE = "prof-eng"
ORDER_URN_TYPE = "pulumi_policies:ProfilePolicyOrder"
RM = "/api/resource-manager"


def declare(stack: Stack, order: list[str] | None, policies: tuple[str, ...] = ("a", "b", "c", "d")) -> Stack:
    spec: dict[str, Any] = {"profile_id": PROFILE, "policies": list(policies)}
    if order is not None:
        spec["order"] = order
    (stack.project_dir / "order.json").write_text(json.dumps(spec))
    return stack


def server_order(api: Api) -> list[str]:
    """The profile's policy names by priority, as the server lists them (each carries its order)."""
    body = api.rm.get(f"{RM}/profiles/{PROFILE}/policies").json()
    listed = body["data"] if isinstance(body, dict) else body
    assert all(isinstance(p.get("order"), int) for p in listed), listed
    return [p["name"] for p in sorted(listed, key=lambda p: p["order"])]


def ordering_enabled(api: Api) -> bool:
    return bool(api.rm.get(f"{RM}/profiles/{PROFILE}").json()["policyOrderingEnabled"])


def state(stack: Stack) -> dict[str, Any]:
    """The order resource as the state holds it (a refresh rewrites it; the stack's outputs wait for the next up)."""
    (resource,) = stack.resources(ORDER_URN_TYPE)
    return resource


def planned(stack: Stack) -> dict[str, str]:
    """What a preview would do to each resource that changes: {resource name: op}."""
    steps = stack.preview_json().get("steps", [])
    return {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in steps if s.get("op") != "same"}


@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_the_policy_order_is_applied_kept_and_restored(server, make_stack, tmp_path):
    plain, secret = connection_config(server)
    stack = make_stack(copy_project(PROJECT, tmp_path / "project")).init(config=plain, secrets=secret)
    api = Api(server)

    # c (its policy_id Output) and a (by name) first; b and d follow, in the order the server held them
    declare(stack, ["id:c", "a"]).up()
    rest = server_order(api)[2:]  # b and d, in the order they were created (side by side: either way)
    assert ordering_enabled(api) and server_order(api) == ["c", "a", *rest] and sorted(rest) == ["b", "d"]
    stack_outputs = stack.outputs()
    ids, outputs = stack_outputs["ids"], stack_outputs["order"]
    assert outputs["policies"] == [ids["c"], "a"] and outputs["policy_ids"] == [ids["c"], ids["a"]]
    assert outputs["order"] == [ids[n] for n in ["c", "a", *rest]] and outputs["enabled"] is True
    assert stack.changes() == {}

    # the same policies in the other form (a by its id, c by its name) are no change
    declare(stack, ["c", "id:a"])
    assert stack.changes() == {}

    # a reorder in the program: an update of the order resource alone, applied by up
    declare(stack, ["a", "id:c"])
    assert planned(stack) == {"order": "update"}
    stack.up()
    assert server_order(api) == ["a", "c", *rest]
    assert stack.changes() == {}  # no perpetual diff

    # a reorder by hand: invisible to a preview (no HTTP in diff), found by refresh, undone by up
    by_hand = [{"id": ids[n], "order": i} for i, n in enumerate("dcba")]
    assert api.rm.post(f"{RM}/profiles/{PROFILE}/policies/order", json=by_hand).status_code == 200
    assert stack.changes() == {}
    stack.refresh()
    refreshed = state(stack)
    assert refreshed["outputs"]["policies"] == [ids["c"], "a"]  # the declared policies as the server orders them
    assert refreshed["inputs"]["policies"] == [ids["c"], "a"]  # what `preview --diff` compares the program with
    assert planned(stack) == {"order": "update"}  # the profile policies themselves are unchanged
    diff = stack.pulumi("preview", "--diff").stdout
    assert "~ policies" in diff and f'[0]: "{ids["c"]}" => "a"' in diff, diff  # the server's order => the program's
    stack.up()
    assert server_order(api) == ["a", "c", "d", "b"]  # the declared first; the others keep the order made by hand
    assert stack.changes() == {}

    # ordering switched off by hand: found by refresh, switched on again by up
    assert api.rm.patch(f"{RM}/profiles/{PROFILE}", json={"policyOrderingEnabled": False}).status_code == 200
    stack.refresh()
    assert state(stack)["outputs"]["enabled"] is False
    assert planned(stack) == {"order": "update"}
    stack.up()
    assert ordering_enabled(api) and server_order(api)[:2] == ["a", "c"]
    assert stack.changes() == {}

    # a policy added to the program goes last and changes nothing of the order resource
    declare(stack, ["a", "id:c"], policies=("a", "b", "c", "d", "e"))
    assert planned(stack) == {"e": "create"}
    stack.up()
    assert server_order(api)[-1] == "e" and stack.changes() == {}

    # destroy: ordering off on the server, the policies gone
    stack.destroy()
    assert not ordering_enabled(api)
    assert server.admin.dump()["profile_policies"] == []


@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_an_order_naming_no_policy_of_the_profile_fails_naming_it(server, make_stack, tmp_path):
    plain, secret = connection_config(server)
    stack = make_stack(copy_project(PROJECT, tmp_path / "project")).init(config=plain, secrets=secret)
    declare(stack, ["a", "zz"], policies=("a", "b"))
    failed = stack.up(check=False)
    assert failed.returncode != 0
    said = failed.stdout + failed.stderr
    assert "ProfilePolicyOrder (profile 'prof-eng'): create failed: policies[1] 'zz' is neither the id nor the name " \
           "of a policy of profile 'prof-eng'" in said, said
    assert re.search(r"its policies, by priority: '[ab]' \([0-9a-f-]+\), '[ab]' \([0-9a-f-]+\)", said), said
    assert server.rm_token not in said

    # a duplicate is refused at preview, before any call
    declare(stack, ["a", "b", "a"], policies=("a", "b"))
    refused = stack.pulumi("preview", check=False)
    assert refused.returncode != 0
    assert "ProfilePolicyOrder.policies[2]: 'a' is listed already, at policies[0]" in refused.stdout + refused.stderr
