"""`pulumi-policies export` on a seeded estate: adopting everything changes nothing on the server, on every
server profile, with more than one page in every collection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import SERVER_PROFILES
from tests.support.policies import Api, connection_config, new_policy_stack

# 201 in each collection: two full pages of the export's 100 and a last page of one (and more than twenty of a
# Britive server's default 10).
N_EACH = {"ConfigurationPolicy": 201, "ProfilePolicy": 201, "ResourcePolicy": 201}


# What a real Britive tenant holds beyond the documents (on the britive profile only: the documented servers do not
# keep IM settings or tokens/aiIdentities members).
WHOLE_CONDITION = {
    "approval": {"approvers": {"tags": ["sre-leads", "dba"], "userIds": ["alice"], "channelIds": ["c-9"]},
                 "notificationMedium": ["email"], "managerApproval": {"condition": "Any", "required": True},
                 "timeToApprove": 45, "validFor": 1, "isValidForInDays": True},
    "ipAddress": "10.0.0.0/8, 192.168.1.5",
    "timeOfAccess": {"daysSchedule": {"fromTime": "08:00:00", "toTime": "18:00:00", "timezone": "Europe/Berlin",
                                      "days": ["MONDAY", "WEDNESDAY"]}},
}
IM = {"settingsType": "IM", "connectionId": "pd-1", "connectionType": "pagerduty", "isAutoApprovalEnabled": False,
      "escalationPolicies": ["db-oncall", "sre-oncall"]}


def seed(server) -> None:
    api = Api(server)
    whole = server.state.behaviour.profile == "britive"
    for i in range(N_EACH["ConfigurationPolicy"]):
        body = {"policyid": f"cfg-{i:03d}", "organization": ["acme", "globex"][i % 2], "name": f"Backup {i}",
                "description": f"policy {i}", "policy_schedule": {"frequency": "daily", "hour": i % 24},
                "assigned_users": [f"u{i}", f"u{i + 1}"]}
        assert api.nccm.post("/ux/nccm/configuration_policies/", json=body).status_code == 201
    settings = [{"settingsType": "JUSTIFICATION", "isJustificationRequired": True, "justificationRegex": "^T-[0-9]+$"},
                {"settingsType": "ITSM", "connectionId": "c1", "connectionType": "servicenow",
                 "itsmFilterCriteria": [{"supportedTicketType": "change_request", "filter": {"q": "a=b"}}]}]
    for kind, path in (("ProfilePolicy", None), ("ResourcePolicy", "/api/resource-manager/policies")):
        for i in range(N_EACH[kind]):
            # names that collide once made identifiers, and names that are no identifiers at all
            name = ["db access", "db-access", "1st policy", "class", "Ünïcode name"][i % 5] + f" {i // 5}"
            body = {"name": name, "description": f"{kind} {i}", "isActive": i % 3 != 0,
                    "members": {"users": [{"id": f"u{i}", "name": f"user {i}"}], "tags": [{"name": "t"}]},
                    "resourceLabels": {"env": ["prod", "dev"][: 1 + i % 2], "owner": [f"team-{i % 7}"]},
                    "settings": settings[: i % 3], "condition": {"ip_address": "10.0.0.0/8"} if i % 4 == 0 else {}}
            if whole and i % 4 == 0:
                body["condition"] = WHOLE_CONDITION
            if whole and i % 5 == 0:
                body["settings"] = [*body["settings"], IM]
            if whole and i % 2 == 0:
                body["members"] = {**body["members"], "tokens": [{"name": f"token {i}"}],
                                   "aiIdentities": [{"name": "triage-bot"}]}
            url = path or "/api/resource-manager/profiles/prof-eng/policies"
            r = api.rm.post(url, json=body)
            assert r.status_code == 201, r.text
    if whole:  # the profile's policies prioritised, newest first
        profile = "/api/resource-manager/profiles/prof-eng"
        assert api.rm.patch(profile, json={"policyOrderingEnabled": True}).status_code == 200
        ids = [p["id"] for p in server.admin.dump()["profile_policies"]][::-1]
        order = [{"id": policy_id, "order": n} for n, policy_id in enumerate(ids)]
        assert api.rm.post(f"{profile}/policies/order", json=order).status_code == 200


def export_env(server) -> dict[str, str]:
    plain, secret = connection_config(server)
    env = dict(os.environ)
    for key, value in {**plain, **secret}.items():
        env[{"nccmUrl": "PULUMI_POLICIES_NCCM_URL", "resourceManagerUrl": "PULUMI_POLICIES_RM_URL",
             "nccmApiKey": "PULUMI_POLICIES_NCCM_API_KEY", "resourceManagerToken": "PULUMI_POLICIES_RM_TOKEN",
             "nccmAuthScheme": "PULUMI_POLICIES_NCCM_AUTH_SCHEME"}[key.split(":", 1)[1]]] = value
    return env


# Each server profile once; the documented one as one resource per policy, the others as policy sets (the
# listings read are the same for both forms; what differs is the program written and how the engine adopts it).
@pytest.mark.parametrize("server,as_sets", [(p, p != SERVER_PROFILES[0]) for p in SERVER_PROFILES],
                         indirect=["server"])
def test_export_then_up_adopts_everything_with_no_change(server, as_sets, make_stack, tmp_path):
    seed(server)
    before = json.dumps(server.admin.dump(), sort_keys=True)
    server.admin.clear_requests()

    env = export_env(server)
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    program = ps.stack.project_dir / "__main__.py"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "export", "-o", str(program),
                           *(["--as-sets"] if as_sets else [])], env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    calls = server.admin.requests()["total"]
    total = sum(N_EACH.values())
    print(f"\nexport of {total} policies ({server.state.behaviour.profile}): {seconds:.2f} s, {calls} HTTP calls")
    code = program.read_text()
    assert code.count('"import_id": ' if as_sets else "import_id=") == total
    assert server.nccm_api_key not in code and server.rm_token not in code
    # a profile with its policies prioritised is adopted with its order (the others have none to adopt)
    assert code.count("ProfilePolicyOrder(") == (1 if server.state.behaviour.profile == "britive" else 0)

    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--line-length", "120", str(program)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout

    # What is under test is the program export wrote, not the engine's durability: intermediate checkpoints
    # (the file backend rewrites all 603 resources after each step) are skipped to keep the suite fast.
    ps.stack.up(extra_env={"PULUMI_SKIP_CHECKPOINTS": "true"})
    assert json.dumps(server.admin.dump(), sort_keys=True) == before  # byte for byte
    assert ps.stack.changes() == {}
    if as_sets:
        sets = {r["type"].rsplit(":", 1)[-1]: len(r["outputs"]["ids"]) for r in ps.stack.resources("PolicySet")}
        assert sets == {f"{kind}Set": n for kind, n in N_EACH.items()}
    else:
        assert len(ps.stack.resources("pulumi_policies:ProfilePolicy")) == N_EACH["ProfilePolicy"]


def test_export_filters(server, tmp_path):
    api = Api(server)
    api.rm.post("/api/resource-manager/policies", json={"name": "keep-me"})
    api.rm.post("/api/resource-manager/policies", json={"name": "not-this"})
    api.rm.post("/api/resource-manager/profiles/prof-ops/policies", json={"name": "keep-ops"})
    env = dict(os.environ, PULUMI_POLICIES_RM_URL=server.url, PULUMI_POLICIES_RM_TOKEN=server.rm_token)
    out = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "export", "--kind", "ResourcePolicy",
                          "--name", "keep-*", "--no-progress"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert '"keep-me"' in out.stdout and "not-this" not in out.stdout and "keep-ops" not in out.stdout
    out = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "export", "--kind", "ProfilePolicy",
                          "--profile", "operations", "--no-progress"], env=env, capture_output=True, text=True)
    assert '"keep-ops"' in out.stdout and "keep-me" not in out.stdout


def test_export_without_a_profiles_listing_and_a_failed_export_keeps_the_file(server, tmp_path):
    """Listing profiles is not in the policy API's document: without it, --profile names the profile by id."""
    Api(server).rm.post("/api/resource-manager/profiles/prof-ops/policies", json={"name": "ops-only"})
    server.admin.set_faults([{"kind": "error", "status": 404, "method": "GET", "path": "/api/resource-manager/profiles"}])
    env = dict(os.environ, PULUMI_POLICIES_RM_URL=server.url, PULUMI_POLICIES_RM_TOKEN=server.rm_token)
    program = tmp_path / "__main__.py"
    program.write_text("# the user's own program\n")
    export = [sys.executable, "-m", "pulumi_policies.cli", "export", "--kind", "ProfilePolicy", "--no-progress"]

    refused = subprocess.run([*export, "-o", str(program)], env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and "--profile <profile id>" in refused.stderr, refused.stderr
    assert program.read_text() == "# the user's own program\n"  # a failed export writes nothing

    named = subprocess.run([*export, "--profile", "prof-ops"], env=env, capture_output=True, text=True)
    assert named.returncode == 0, named.stderr
    assert '"ops-only"' in named.stdout and 'profile_id="prof-ops"' in named.stdout


def test_a_malformed_policy_in_a_listing_is_a_clear_error(server):
    server.admin.set_faults([{"kind": "respond", "method": "GET", "path": "/api/resource-manager/policies",
                              "status": 200, "body": json.dumps([{"id": "a", "name": "ok"}, {"name": "no id"}])}])
    env = dict(os.environ, PULUMI_POLICIES_RM_URL=server.url, PULUMI_POLICIES_RM_TOKEN=server.rm_token)
    proc = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "export", "--kind", "ResourcePolicy",
                           "--no-progress"], env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "a ResourcePolicy in the listing came back without an 'id'" in proc.stderr, proc.stderr
