"""Stack-level rollback on the real engine: the server's dump is the judge.

An update that changes N deployed policies and adds new ones is made to fail at request k (the
embedded server refuses it); after the automatic rollback the dump equals the one taken before the
update, and a preview of the recorded state shows no changes.
"""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_policies import rollback
from tests.support.engine import Stack
from tests.support.policies import as_sets, comparable, new_policy_stack


def declared(version: str, extra: bool) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for i in range(2):
        items.append({"type": "ResourcePolicy", "name": f"rp{i}",
                      "args": {"name": f"rp{i}", "description": version,
                               "members": {"users": [{"name": f"user-{version}-{i}"}]}}})
        items.append({"type": "ProfilePolicy", "name": f"pp{i}",
                      "args": {"name": f"pp{i}", "profile_id": "prof-eng", "description": version}})
        items.append({"type": "ConfigurationPolicy", "name": f"cp{i}",
                      "args": {"policyid": f"cp{i}", "organization": "acme", "description": version}})
    if extra:
        items += [{"type": "ResourcePolicy", "name": "rp-new", "args": {"name": "rp-new"}},
                  {"type": "ProfilePolicy", "name": "pp-new", "args": {"name": "pp-new", "profile_id": "prof-eng"}},
                  {"type": "ConfigurationPolicy", "name": "cp-new",
                   "args": {"policyid": "cp-new", "organization": "acme"}}]
    return items


# The failing update writes 9 times: 6 in-place updates (PATCH/PUT) and 3 creates (POST); write k is refused.
@pytest.mark.parametrize("k", [1, 5, 9])
def test_failed_update_rolls_back_to_the_last_good_dump(k, server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*declared("v1", extra=False))
    ps.stack.up()
    before, outputs = server.admin.dump(), ps.stack.outputs()

    ps.declare(*declared("v2", extra=True))
    server.admin.clear_requests()
    server.admin.set_faults([{"kind": "error", "status": 400, "method": "POST|PUT|PATCH", "after": k - 1,
                              "count": 1}])
    ok, report = rollback.up_with_rollback(ps.stack.name, ps.stack.project_dir, env=ps.stack.env)
    assert not ok and report is not None
    assert server.admin.requests()["counts"], "the failing update reached the server"
    assert report.ok, report.text()
    assert comparable(server.admin.dump()) == comparable(before)
    assert ps.stack.outputs() == outputs, "the outputs other stacks read must be back too"
    assert {r["urn"].rsplit("::", 1)[-1] for r in ps.stack.resources(":ResourcePolicy")} == {"rp0", "rp1"}
    assert "rp-new" not in report.restored and ("rp-new" in report.deleted or k == 1 or "rp-new" not in report.left)


def test_rollback_command_restores_the_previous_update(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*declared("v1", extra=False))
    ps.stack.up()
    before, outputs = server.admin.dump(), ps.stack.outputs()
    ps.declare(*declared("v2", extra=True))
    ps.stack.up()
    assert comparable(server.admin.dump()) != comparable(before) and ps.stack.outputs() != outputs
    Stack(ps.stack.project_dir, ps.stack.env, "other").pulumi("stack", "init")  # the user has moved on to another

    report = rollback.rollback(ps.stack.name, ps.stack.project_dir, env=ps.stack.env)
    assert report.ok, report.text()
    assert sorted(report.deleted) == ["cp-new", "pp-new", "rp-new"]
    assert len(report.restored) == 6
    assert comparable(server.admin.dump()) == comparable(before)
    assert ps.stack.outputs() == outputs and len(outputs) == 6 and "stack outputs restored" in report.text()
    assert ps.stack.selected() == "other", "a rollback of dev leaves the stack the user's own commands act on as it was"


def test_rollback_reports_what_it_cannot_restore_and_continues_with_skip(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*declared("v1", extra=False))
    ps.stack.up()
    ps.declare(*declared("v2", extra=False))
    ps.stack.up()
    # the server now refuses every change to rp0
    refuse_rp0 = [{"kind": "error", "status": 403, "method": "PATCH",
                   "path": f"/api/resource-manager/policies/{ps.output('rp0')['policy_id']}"}]
    server.admin.set_faults(refuse_rp0)
    report = rollback.rollback(ps.stack.name, ps.stack.project_dir, env=ps.stack.env)
    print("\n" + report.text())
    assert not report.ok and set(report.left) >= {"rp0"} and "403" in report.left["rp0"]
    # what the engine did not reach once rp0 failed is reported as such, naming the failure that stopped it
    for name, reason in report.left.items():
        assert name == "rp0" or reason.startswith("not reached") and "rp0" in reason, (name, reason)
    assert "--skip rp0" in report.text()
    left = set(report.left)
    server.admin.clear_faults()
    server.admin.set_faults(refuse_rp0)
    report = rollback.rollback(ps.stack.name, ps.stack.project_dir, env=ps.stack.env, skip=left)
    assert report.ok, report.text()
    assert set(report.skipped) == left


def test_policy_sets_roll_back_like_single_policies(server, make_stack, tmp_path):
    """A failed update of three policy sets, rolled back; then a good one, undone by `rollback`."""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(*as_sets(declared("v1", extra=False))).stack.up()
    before, outputs = server.admin.dump(), ps.stack.outputs()
    ps.declare(*as_sets(declared("v2", extra=True)))
    server.admin.set_faults([{"kind": "error", "status": 400, "method": "POST|PUT|PATCH", "after": 4, "count": 1}])
    ok, report = rollback.up_with_rollback(ps.stack.name, ps.stack.project_dir, env=ps.stack.env)
    assert not ok and report is not None and report.ok, report and report.text()
    assert comparable(server.admin.dump()) == comparable(before)
    assert ps.stack.outputs() == outputs
    server.admin.clear_faults()
    ps.stack.up()
    assert comparable(server.admin.dump()) != comparable(before)
    # the update before this one was the rollback's own: the outputs it stands for are the ones it put back
    report = rollback.rollback(ps.stack.name, ps.stack.project_dir, env=ps.stack.env)
    assert report.ok, report.text()
    assert comparable(server.admin.dump()) == comparable(before)
    assert ps.stack.outputs() == outputs
