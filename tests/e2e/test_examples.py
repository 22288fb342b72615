"""The examples stay true: each runs as a user would run it and reports success."""

from __future__ import annotations

import subprocess
import sys

from tests.support.engine import REPO, copy_project
from tests.support.policies import connection_config, seeded_server


def test_rollback_example_runs(engine, tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "rollback" / "run.py")],
                          env={**engine, "ROLLBACK_EXAMPLE_STATE": str(tmp_path / "state")},
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-2000:]
    assert "update exit code 1; server back to release v1: True" in out
    assert "after `pulumi-policies rollback` the server is back to v1: True" in out
    assert "deleted: audit-read, weekly-audit" in out


def test_multi_tenant_example_puts_each_policy_on_its_tenant(make_stack, tmp_path):
    with seeded_server(tmp_path / "staging") as staging, seeded_server(tmp_path / "prod") as prod:
        project = copy_project(REPO / "examples" / "multi-tenant", tmp_path / "multi-tenant")
        pulumi_yaml = project / "Pulumi.yaml"
        pulumi_yaml.write_text(pulumi_yaml.read_text().replace("../../.venv", str(REPO / ".venv")))
        plain, secret = connection_config(staging)  # the default connection: staging, and its NCCM
        stack = make_stack(project).init(config={**plain, "multi-tenant:profileId": "prof-eng"}, secrets=secret)
        stack.pulumi("config", "set-all", "--path",
                     "--plaintext", f"pulumi-policies:connections.prod.resourceManagerUrl={prod.url}",
                     "--secret", f"pulumi-policies:connections.prod.resourceManagerToken={prod.rm_token}",
                     secret=prod.rm_token)
        stack.up()
        assert [p["name"] for p in staging.admin.dump()["profile_policies"]] == ["oncall-db-access"]
        assert staging.admin.dump()["resource_policies"] == []
        assert [p["name"] for p in prod.admin.dump()["profile_policies"]] == ["oncall-db-access"]
        assert [p["name"] for p in prod.admin.dump()["resource_policies"]] == ["audit-read-only"]
        assert [p["policyid"] for p in staging.admin.dump()["configuration_policies"]] == ["core-nightly-backup"]
        outputs = stack.outputs()
        connections = outputs["oncall_connections"]
        assert connections["prod"] == "prod" and connections.get("staging") is None  # None: the default one
        assert outputs["audit"]["access_level"] == "read" and outputs["backup"]["status"]
        stack.destroy()
        assert staging.admin.dump()["profile_policies"] == prod.admin.dump()["profile_policies"] == []
