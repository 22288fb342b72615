"""One stack, three tenants: two resource-manager servers and one NCCM server, through named connections.

The default connection (top-level keys) reaches the "dev" resource manager and the NCCM server; the connection
named "prod" (``pulumi-policies:connections.prod``, its token a stack secret set with ``--path``) reaches the
other resource manager. Create, update, drift by refresh, a connection change (a replacement: the object moves
to the other server), destroy; after every apply each server holds exactly what is declared for it. No
connection's secret is in the state; at ``-v=9`` only the engine's own Configure trace shows them (the limit
documented in the README, as for a single connection).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pulumi_policies import rollback
from pulumi_policies.providers import TYPE_PREFIX
from pulumi_policies.report import build_report
from tests.support.policies import (
    ENGINE_CONFIGURE_LOG,
    VERBOSE,
    Api,
    assert_server_holds_exactly,
    comparable,
    new_policy_stack,
    occurrences,
    seeded_server,
)


@pytest.fixture
def servers(tmp_path):
    with seeded_server(tmp_path / "dev") as dev, seeded_server(tmp_path / "prod") as prod, \
            seeded_server(tmp_path / "nccm") as nccm:
        yield dev, prod, nccm


def declared(release: str, dev_rp_on: str | None = None) -> list[dict[str, Any]]:
    on = {"connection": dev_rp_on} if dev_rp_on else {}
    return [
        {"type": "ResourcePolicy", "name": "dev-rp", "args": {"name": "reports-read", "description": release, **on}},
        {"type": "ResourcePolicy", "name": "prod-rp",
         "args": {"name": "db-read", "description": release, "connection": "prod"}},
        {"type": "ProfilePolicy", "name": "prod-pp",
         "args": {"name": "oncall", "profile_id": "prof-eng", "description": release, "connection": "prod",
                  "members": {"tags": [{"name": "sre"}]}}},
        {"type": "ConfigurationPolicy", "name": "cp",
         "args": {"policyid": "nightly", "organization": "acme", "description": release}},
    ]


def on(items: list[dict[str, Any]], server: str) -> list[dict[str, Any]]:
    """The declared objects that live on one server ("dev", "prod" or "nccm")."""
    def where(item: dict[str, Any]) -> str:
        if item["type"] == "ConfigurationPolicy":
            return "nccm"
        return item["args"].get("connection") or "dev"
    return [i for i in items if where(i) == server]


def test_one_stack_manages_three_servers_through_named_connections(servers, make_stack, tmp_path):
    dev, prod, nccm = servers
    ps = new_policy_stack(make_stack, nccm, tmp_path / "project")  # default: NCCM on `nccm`
    stack = ps.stack
    stack.pulumi("config", "set-all", "--plaintext", f"pulumi-policies:resourceManagerUrl={dev.url}",
                 "--secret", f"pulumi-policies:resourceManagerToken={dev.rm_token}", secret=dev.rm_token)
    stack.pulumi("config", "set-all", "--path",
                 "--plaintext", f"pulumi-policies:connections.prod.resourceManagerUrl={prod.url}",
                 "--secret", f"pulumi-policies:connections.prod.resourceManagerToken={prod.rm_token}",
                 secret=prod.rm_token)
    secrets = (dev.rm_token, prod.rm_token, nccm.nccm_api_key, nccm.rm_token)

    def settled(items: list[dict[str, Any]]) -> None:
        for name, server in (("dev", dev), ("prod", prod), ("nccm", nccm)):
            assert_server_holds_exactly(server.admin.dump(), on(items, name))
        assert stack.changes() == {}, "an apply must never be followed by a non-empty preview"

    # create: each object on its own server, the state holding connection names only
    items = declared("v1")
    ps.declare(*items)
    texts = [stack.up(*VERBOSE)]
    settled(items)
    state = stack.export()
    assert occurrences([str(state)], secrets) == []
    assert {r["outputs"].get("connection") for r in state["deployment"]["resources"]
            if r["type"].startswith(TYPE_PREFIX)} == {None, "prod"}

    # update in place on every server
    items = declared("v2")
    ps.declare(*items)
    assert stack.changes() == {"update": 4}
    texts.append(stack.up(*VERBOSE))
    settled(items)

    # drift by hand on the prod server shows on refresh, and the next up restores it
    prod_rp = next(p for p in prod.admin.dump()["resource_policies"] if p["name"] == "db-read")
    Api(prod).rm.patch(f"/api/resource-manager/policies/{prod_rp['id']}", json={"description": "by hand"})
    texts.append(stack.refresh(*VERBOSE))
    [refreshed] = [r for r in stack.resources(":ResourcePolicy") if r["urn"].endswith("::prod-rp")]
    assert refreshed["outputs"]["description"] == "by hand"
    assert stack.changes() == {"update": 1}
    stack.up()
    settled(items)

    # an update that fails half-way on prod is rolled back on every server it reached
    before = {name: comparable(server.admin.dump()) for name, server in (("dev", dev), ("prod", prod), ("nccm", nccm))}
    ps.declare(*declared("v3"))
    prod.admin.set_faults([{"kind": "error", "status": 400, "method": "PATCH", "count": 1}])
    ok, report = rollback.up_with_rollback(stack.name, stack.project_dir, env=stack.env)
    prod.admin.clear_faults()
    assert not ok and report is not None and report.ok, report and report.text()
    after = {name: comparable(server.admin.dump()) for name, server in (("dev", dev), ("prod", prod), ("nccm", nccm))}
    assert after == before
    ps.declare(*items)
    assert stack.changes() == {}

    # an unknown connection is refused at preview, naming the known ones, before any HTTP call
    for server in (dev, prod, nccm):
        server.admin.clear_requests()
    ps.declare(*items, {"type": "ResourcePolicy", "name": "typo", "args": {"name": "x", "connection": "prd"}})
    refused = stack.pulumi("preview", check=False)
    assert refused.returncode != 0 and "no connection named 'prd'" in refused.stdout and "'prod'" in refused.stdout
    assert [s.admin.requests()["total"] for s in (dev, prod, nccm)] == [0, 0, 0]

    # adoption by natural key on a named connection: the object made by hand on prod is taken over, not duplicated
    Api(prod).rm.post("/api/resource-manager/policies", json={"name": "break-glass", "description": "by hand"})
    adopted = {"type": "ResourcePolicy", "name": "break-glass",
               "args": {"name": "break-glass", "description": "v2", "connection": "prod",
                        "import_id": "name:break-glass"}}
    items = [*items, adopted]
    prod_rp_id = next(r["id"] for r in stack.resources(":ResourcePolicy") if r["urn"].endswith("::prod-rp"))
    looked_up = {"type": "ResourcePolicy", "name": "looked-up", "get": prod_rp_id, "connection": "prod"}
    ps.declare(*items, looked_up)  # and an object read, not managed, through its connection
    stack.up()
    assert stack.outputs()["looked-up"]["description"] == "v2"
    ps.declare(*items)
    stack.up()
    settled(items)

    # a connection change replaces: the object is made on prod and deleted from dev
    items = [*declared("v2", dev_rp_on="prod"), adopted]
    ps.declare(*items)
    preview = stack.preview_json()
    [step] = [s for s in preview["steps"] if s["urn"].endswith("::dev-rp") and s["op"] == "replace"]
    assert step["replaceReasons"] == ["connection"]
    [change] = build_report(preview)  # what `pulumi-policies diff` shows a reviewer
    assert (change.op, change.resource, change.replace_reasons) == ("replace", "dev-rp", ["connection"])
    assert ("connection", None, "prod") in change.fields
    stack.up()
    settled(items)
    assert dev.admin.dump()["resource_policies"] == []

    texts.append(stack.destroy(*VERBOSE))
    for server in (dev, prod, nccm):
        dump = server.admin.dump()
        assert dump["resource_policies"] == dump["profile_policies"] == dump["configuration_policies"] == []

    logs = [t for p in texts for t in (p.stdout, p.stderr)]
    backend = Path(stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    stored = [p.read_text(errors="replace") for p in backend.rglob("*") if p.is_file()]
    assert occurrences(stored, secrets) == [], "a secret in the state or its history"
    found = occurrences(logs, secrets)
    assert all(ENGINE_CONFIGURE_LOG in line and "Configure().inputs" in line for line in found), found[:3]
    ps.declare(*declared("v4"))  # without -v the engine prints no secret either
    assert occurrences([p.stdout + p.stderr for p in (stack.up(),)], secrets) == []
