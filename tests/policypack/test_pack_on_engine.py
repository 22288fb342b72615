"""The shipped pack on the real engine: `--policy-pack examples/policy-pack` against real stacks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.engine import REPO, copy_project
from tests.support.policies import connection_config, new_policy_stack

PACK = REPO / "examples" / "policy-pack"


def quickstart(make_stack, server, workdir: Path):
    project = copy_project(REPO / "examples" / "quickstart", workdir)
    settings = project / "Pulumi.yaml"
    settings.write_text(settings.read_text().replace("../../.venv", str(REPO / ".venv")))
    plain, secret = connection_config(server)
    return make_stack(project, "qs").init(config={**plain, "quickstart:profileId": "prof-eng"}, secrets=secret)


def test_quickstart_preview_reports_an_advisory_violation(server, make_stack, tmp_path):
    stack = quickstart(make_stack, server, tmp_path / "quickstart")
    proc = stack.pulumi("preview", "--policy-pack", str(PACK))
    text = proc.stdout + proc.stderr
    assert "prefer-tags-over-users" in text and "advisory" in text.lower()
    assert "ProfilePolicy 'prod-db-access' grants 2 users directly" in text
    assert "mandatory" not in text.lower()  # the quickstart passes every mandatory rule
    # the pack's config makes the same rule mandatory, and then the update is refused
    proc = stack.pulumi("up", "--yes", "--policy-pack", str(PACK), "--policy-pack-config", str(PACK / "strict.json"),
                        check=False)
    assert proc.returncode != 0 and "mandatory" in (proc.stdout + proc.stderr).lower()
    assert server.admin.dump()["profile_policies"] == []


def test_mandatory_violation_fails_up_and_creates_nothing(server, make_stack, tmp_path):
    nobody = {"type": "ResourcePolicy", "name": "nobody", "args": {"name": "nobody", "resource": "db"}}
    prod = {"type": "ProfilePolicy", "name": "prod",
            "args": {"name": "prod", "profile_id": "prof-eng", "members": {"tags": [{"name": "sre"}]},
                     "resource_labels": {"env": ["prod"]}}}
    fine = {"type": "ConfigurationPolicy", "name": "cp",
            "args": {"policyid": "cp", "organization": "acme", "policy_schedule": {"frequency": "daily"}}}
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    server.admin.clear_requests()
    # `pulumi up` previews first (no --skip-preview): a mandatory violation stops it before any change.
    # The engine stops at its first mandatory violation: one offender per attempt.
    # in a policy set, each policy is held to every rule, named by its set and key
    in_a_set = {"type": "ResourcePolicySet", "name": "estate",
                "args": {"policies": [{"name": "ok", "resource": "db", "members": {"tags": [{"name": "sre"}]}},
                                      nobody["args"]]}}
    for offender, phrases in ((nobody, ["active-policy-needs-members", "ResourcePolicy 'nobody' is active but grants nobody"]),
                              (prod, ["production-access-needs-approval",
                                      "ProfilePolicy 'prod' allows tag sre access to production"]),
                              (in_a_set, ["active-policy-needs-members",
                                          "ResourcePolicy 'estate[nobody]' is active but grants nobody"])):
        ps.declare(offender, fine)
        proc = ps.stack.pulumi("up", "--yes", "--policy-pack", str(PACK), check=False)
        text = proc.stdout + proc.stderr
        assert proc.returncode != 0
        for phrase in phrases:
            assert phrase in text, text
    dump = server.admin.dump()
    assert dump["resource_policies"] == dump["profile_policies"] == dump["configuration_policies"] == []
    assert server.admin.requests()["total"] == 0, json.dumps(server.admin.requests()["counts"])
