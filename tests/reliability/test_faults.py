"""200 policies deployed through a misbehaving server: nothing fails, nothing is duplicated, nothing drifts."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.policies import assert_server_holds_exactly, new_policy_stack
from tests.support.policies import mixed_policies as declared

N = 200
FLAKY = [
    {"kind": "latency", "latency_ms": 2, "jitter_ms": 30},
    {"kind": "error", "status": 503, "rate": 0.10},
    {"kind": "rate_limit", "rate": 0.05, "retry_after": 1},
]


@pytest.mark.slow
def test_200_policies_through_5xx_429_and_jitter(server, make_stack, tmp_path):
    items = declared(N)
    ps = new_policy_stack(make_stack, server, tmp_path / "project").declare(*items)
    server.admin.clear_requests()
    server.admin.set_faults(FLAKY)
    ps.stack.up()  # raises on any failed resource
    rules = server.admin.faults()
    log = server.admin.requests()
    server.admin.clear_faults()
    injected = {r["kind"]: r["fired"] for r in rules}
    statuses = Counter(e["status"] for e in log["entries"])
    print(f"\n{N} policies: {log['total']} requests, injected {injected}, answered {dict(statuses)}")
    assert injected["error"] > 0 and injected["rate_limit"] > 0
    assert_server_holds_exactly(server.admin.dump(), items)
    assert ps.stack.changes() == {}
    # and an update of all of them through the same faults
    items = declared(N, "v2")
    server.admin.set_faults(FLAKY)
    ps.declare(*items).stack.up()
    server.admin.clear_faults()
    assert_server_holds_exactly(server.admin.dump(), items)
    assert ps.stack.changes() == {}


@pytest.mark.slow
def test_creates_whose_answer_is_lost_are_adopted_not_duplicated(server, make_stack, tmp_path):
    items = declared(60)
    ps = new_policy_stack(make_stack, server, tmp_path / "project").declare(*items)
    # a third of the creates land on the server but the connection drops before the answer
    server.admin.set_faults([{"kind": "drop", "method": "POST", "apply": True, "rate": 0.33}])
    ps.stack.up()
    dropped = server.admin.faults()[0]["fired"]
    server.admin.clear_faults()
    print(f"\n60 creates, {dropped} answers lost after the create landed; duplicates: 0")
    assert dropped > 5
    assert_server_holds_exactly(server.admin.dump(), items)
    assert ps.stack.changes() == {}
