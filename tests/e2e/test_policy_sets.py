"""Policy sets through their whole life on the real engine, against the embedded server over HTTP.

One stack declares a ResourcePolicySet, a ProfilePolicySet (over two profiles) and a ConfigurationPolicySet and
walks them through the scenario a platform team lives: bad input refused at preview, naming the policy and the
field -> create (each policy once, three resources in the state) -> a no-op preview -> an edit, a removal and an
addition, shown per policy by `preview --diff` and the review report, applied without touching the rest -> drift
made by hand found by refresh and restored -> adoption of a policy made by hand -> a create the server refuses
half-way: the update fails naming the policy, the state records what was done, and going back or forward from
there leaves each policy once -> destroy leaves the server empty. The server's dump is the judge.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from pulumi_policies.report import build_report
from tests.support.policies import Api, assert_server_holds_exactly, mixed_policies, new_policy_stack

SET_OF = {"ResourcePolicy": "rps", "ProfilePolicy": "pps", "ConfigurationPolicy": "cps"}


class Estate:
    """What the program declares: the items of each set, in the shape assert_server_holds_exactly takes."""

    def __init__(self, ps: Any) -> None:
        self.ps = ps
        self.items: dict[str, list[dict[str, Any]]] = {kind: [] for kind in SET_OF}
        for item in mixed_policies(30):
            self.items[item["type"]].append(item["args"])

    def declare(self, extra: dict[str, Any] | None = None) -> Estate:
        # The resource policy set last: the create that the faults fail is its, and an update stops starting steps
        # at the first failure, so the other two sets must have started by then (registered first, they have).
        sets = [{"type": f"{kind}Set", "name": SET_OF[kind], "args": {"policies": items}}
                for kind, items in sorted(self.items.items(), key=lambda kv: kv[0] == "ResourcePolicy")]
        self.ps.declare(*sets, *([extra] if extra else []))
        return self

    def flat(self) -> list[dict[str, Any]]:
        return [{"type": kind, "args": args} for kind, items in self.items.items() for args in items]

    def ids(self) -> dict[str, str]:
        outputs = self.ps.stack.outputs()
        return {f"{name}[{key}]": value for name in SET_OF.values() for key, value in outputs[name]["ids"].items()}


def report(ps: Any) -> set[tuple[str, str]]:
    """(op, resource) of every policy change the review report shows for the stack's preview."""
    return {(c.op, c.resource) for c in build_report(ps.stack.preview_json())}


def recorded(ps: Any, name: str) -> dict[str, Any]:
    """The outputs the state records for the set `name` (stack outputs are the last update's; refresh does not
    change them)."""
    [found] = [r for r in ps.stack.resources() if r["urn"].endswith(f"::{name}")]
    return found["outputs"]


@pytest.fixture
def estate(server, make_stack, tmp_path) -> Estate:
    return Estate(new_policy_stack(make_stack, server, tmp_path / "project"))


def bad_input_is_refused_at_preview_naming_the_policy_and_field(estate: Estate, server: Any) -> None:
    rps = estate.items["ResourcePolicy"]
    estate.items["ResourcePolicy"] = [*rps, {**rps[0], "access_type": "Sometimes"}, {**rps[1], "description": "twin"}]
    estate.items["ResourcePolicy"][-2]["name"] = "bad-one"
    proc = estate.declare().ps.stack.pulumi("preview", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ResourcePolicySet.policies['bad-one'].access_type" in text, text
    assert f"ResourcePolicySet.policies[1] and [{len(rps) + 1}] are both ResourcePolicy (name '{rps[1]['name']}'" in text
    estate.items["ResourcePolicy"] = rps
    assert server.admin.requests()["total"] == 0  # nothing was sent


def create_makes_each_policy_once_in_three_resources(estate: Estate, server: Any) -> None:
    """The server refuses one resource policy's create: that set is recorded with what it made (a partial
    create), the report shows the one policy left to make, and the next up makes it."""
    server.admin.set_faults([{"kind": "error", "status": 400, "method": "POST", "path": "/api/resource-manager/policies",
                              "after": 4, "count": 1, "body": json.dumps({"message": "quota exceeded"})}])
    proc = estate.declare().ps.stack.up(check=False)
    server.admin.clear_faults()
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and re.search(r"ResourcePolicySet\.policies\['p-\d+'\]: .*quota exceeded", text), text
    made = recorded(estate.ps, "rps")["ids"]
    assert len(made) == len(estate.items["ResourcePolicy"]) - 1
    [missing] = [p["name"] for p in estate.items["ResourcePolicy"] if p["name"] not in made]
    assert report(estate.ps) == {("create", f"rps[{missing}]")}
    estate.ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), estate.flat())
    dynamic = [r for r in estate.ps.stack.resources() if r["type"].startswith("pulumi-python:dynamic/")]
    assert sorted(r["type"].rsplit(":", 1)[-1] for r in dynamic) == [
        "ConfigurationPolicySet", "ProfilePolicySet", "ResourcePolicySet"]
    assert len(estate.ids()) == 30
    server.admin.clear_requests()
    assert estate.ps.stack.changes() == {}  # no perpetual diff
    assert server.admin.requests()["total"] == 0


def edits_show_per_policy_and_touch_nothing_else(estate: Estate, server: Any) -> None:
    before = estate.ids()
    rps, cps = estate.items["ResourcePolicy"], estate.items["ConfigurationPolicy"]
    rps[0]["description"] = "v2"
    removed = rps.pop(1)["name"]
    rps.append({"name": "p-new", "resource": "db-new", "members": {"tags": [{"name": "sre"}]}})
    cps[0]["policy_schedule"] = {"frequency": "weekly"}
    estate.declare()
    shown = estate.ps.stack.pulumi("preview", "--diff").stdout
    assert '~ description: "v1" => "v2"' in shown
    assert "consumer" not in shown.split("--outputs:--")[0]  # the diff of inputs, not every output of every item
    edited_cp = f"{cps[0]['policyid']}/{cps[0]['organization']}"
    assert report(estate.ps) == {("update", f"rps[{rps[0]['name']}]"), ("delete", f"rps[{removed}]"),
                                 ("create", "rps[p-new]"), ("update", f"cps[{edited_cp}]")}
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "diff", "--format", "text",
                           "--detailed-exitcode", "--run", "--cwd", str(estate.ps.stack.project_dir),
                           "--stack", estate.ps.stack.name],
                          capture_output=True, text=True, env=estate.ps.stack.env)
    text = proc.stdout
    assert proc.returncode == 2, proc.stderr  # changes
    assert f"UPDATE   ResourcePolicy '{rps[0]['name']}' (rps[{rps[0]['name']}])" in text, text
    assert 'description: "v1" -> "v2"' in text and "CREATE   ResourcePolicy 'p-new' (rps[p-new])" in text
    estate.ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), estate.flat())
    after = estate.ids()
    assert {k: v for k, v in after.items() if k in before} == {k: v for k, v in before.items() if k in after}
    assert set(before) - set(after) == {f"rps[{removed}]"} and set(after) - set(before) == {"rps[p-new]"}
    assert estate.ps.stack.changes() == {}


def drift_is_found_by_refresh_and_restored(estate: Estate, server: Any) -> None:
    api = Api(server)
    rp_name = estate.items["ResourcePolicy"][2]["name"]
    rp_id = estate.ps.output("rps")["ids"][rp_name]
    assert api.rm.patch(api.rm_path("ResourcePolicy", rp_id), json={"description": "by hand"}).status_code == 204
    pp = estate.items["ProfilePolicy"][0]
    pp_key = f"{pp['profile_id']}/{pp['name']}"
    pp_id = estate.ps.output("pps")["policies"][pp_key]["policy_id"]
    assert api.rm.delete(api.rm_path("ProfilePolicy", pp_id, pp["profile_id"])).status_code in (200, 204)
    assert estate.ps.stack.changes() == {}  # not known before a refresh
    estate.ps.stack.refresh()
    assert recorded(estate.ps, "rps")["policies"][rp_name]["description"] == "by hand"
    assert pp_key not in recorded(estate.ps, "pps")["ids"]
    assert report(estate.ps) == {("update", f"rps[{rp_name}]"), ("create", f"pps[{pp_key}]")}
    estate.ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), estate.flat())
    assert estate.ps.stack.changes() == {}


def a_policy_made_by_hand_is_adopted_not_duplicated(estate: Estate, server: Any) -> None:
    api = Api(server)
    made = api.rm.post(api.rm_path("ResourcePolicy"), json={"name": "hand-made", "description": "old",
                                                            "resource": "db-h"}).json()
    estate.items["ResourcePolicy"].append({"name": "hand-made", "import_id": "name:hand-made", "description": "new",
                                           "resource": "db-h", "members": {"tags": [{"name": "sre"}]}})
    estate.declare().ps.stack.up()
    assert estate.ps.output("rps")["ids"]["hand-made"] == made["id"]
    assert_server_holds_exactly(server.admin.dump(), estate.flat())


def a_create_refused_half_way_is_recorded_then_reverted_or_completed(estate: Estate, server: Any) -> None:
    """The server refuses one create of four, while two policies are being edited: the step fails naming the
    policy, and the state records what was done (created, updated), so that going back to the previous program
    undoes exactly that, and going forward again finishes the job, with no duplicate either way."""
    before = estate.flat()
    rps = estate.items["ResourcePolicy"]
    edited = [dict(p) for p in rps]
    for policy in edited[:2]:
        policy["description"] = "edited"
    added = [{"name": f"late-{i}", "resource": f"db-l{i}", "members": {"tags": [{"name": "sre"}]}} for i in range(4)]
    estate.items["ResourcePolicy"] = edited + added
    server.admin.set_faults([{"kind": "error", "status": 400, "method": "POST", "path": "/api/resource-manager/policies",
                              "after": 2, "count": 1, "body": json.dumps({"message": "quota exceeded"})}])
    proc = estate.declare().ps.stack.up(check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ResourcePolicySet: update failed for 1 of 6 policies" in text, text
    assert re.search(r"ResourcePolicySet\.policies\['late-\d'\]: .*quota exceeded", text), text
    assert "What was done is recorded in the state" in text
    server.admin.clear_faults()
    recorded_ids = recorded(estate.ps, "rps")["ids"]
    assert len([k for k in recorded_ids if k.startswith("late-")]) == 3  # the three creates that landed
    assert [p["description"] for p in recorded(estate.ps, "rps")["policies"].values()
            if p["name"] in (edited[0]["name"], edited[1]["name"])] == ["edited", "edited"]
    # back to the program before: the creates and edits the failed step made are undone
    estate.items["ResourcePolicy"] = rps
    late = {k for k in recorded_ids if k.startswith("late-")}
    assert report(estate.declare().ps) == {("delete", f"rps[{k}]") for k in late} | {
        ("update", f"rps[{p['name']}]") for p in edited[:2]}
    estate.ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), before)
    assert estate.ps.stack.changes() == {}
    # forward again: everything, once
    estate.items["ResourcePolicy"] = edited + added
    estate.declare().ps.stack.up()
    assert_server_holds_exactly(server.admin.dump(), estate.flat())
    assert estate.ps.stack.changes() == {}


def destroy_leaves_the_server_empty(estate: Estate, server: Any) -> None:
    estate.ps.stack.destroy()
    dump = server.admin.dump()
    assert dump["resource_policies"] == dump["profile_policies"] == dump["configuration_policies"] == []


def test_policy_sets_through_their_life(estate, server):
    bad_input_is_refused_at_preview_naming_the_policy_and_field(estate, server)
    create_makes_each_policy_once_in_three_resources(estate, server)
    edits_show_per_policy_and_touch_nothing_else(estate, server)
    drift_is_found_by_refresh_and_restored(estate, server)
    a_policy_made_by_hand_is_adopted_not_duplicated(estate, server)
    a_create_refused_half_way_is_recorded_then_reverted_or_completed(estate, server)
    destroy_leaves_the_server_empty(estate, server)
