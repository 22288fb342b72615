"""What users see when things go wrong, and where secrets never go — on the real engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.policies import Api, new_policy_stack

BAD_INPUTS = [
    ({"type": "ConfigurationPolicy", "name": "bad", "args": {"policyid": "x" * 30, "organization": "acme"}},
     ["ConfigurationPolicy.policyid", "at most 25 characters"]),
    ({"type": "ProfilePolicy", "name": "bad-regex",
      "args": {"profile_id": "prof-eng", "name": "r",
               "settings": [{"settings_type": "JUSTIFICATION", "justification_regex": "(unclosed"}]}},
     ["ProfilePolicy.settings[0].justification_regex", "not a valid regular expression"]),
    ({"type": "ResourcePolicy", "name": "typo", "args": {"name": "r", "acess_level": "read"}},
     ["ResourcePolicy.acess_level", "Extra inputs are not permitted"]),
]


def test_invalid_input_fails_preview_naming_the_field_with_no_http_call(server, make_stack, tmp_path):
    # The engine stops a preview at the first resource that fails its check: one bad resource per preview.
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    server.admin.clear_requests()
    for resource, expected in BAD_INPUTS:
        ps.declare(resource)
        proc = ps.stack.pulumi("preview", check=False)
        text = proc.stdout + proc.stderr
        assert proc.returncode != 0
        for phrase in expected:
            assert phrase in text, text
    assert server.admin.requests()["total"] == 0


def test_stack_commands_outside_a_project_or_on_a_missing_stack_say_so(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    elsewhere = tmp_path / "not-a-project"
    elsewhere.mkdir()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pulumi_policies.cli", *args], env=ps.stack.env,
                              capture_output=True, text=True, timeout=120)

    for command in ("recover", "rollback", "up"):
        proc = cli(command, "--stack", "dev", "--cwd", str(elsewhere))
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, (command, proc.stderr)
        assert f"error: {elsewhere} holds no Pulumi project" in proc.stderr, (command, proc.stderr)
    proc = cli("up", "--stack", "nosuch", "--cwd", str(ps.stack.project_dir))
    assert proc.returncode == 1 and "no stack named 'nosuch' found" in proc.stderr, proc.stdout + proc.stderr


def test_name_conflict_says_how_to_adopt(server, make_stack, tmp_path):
    existing = Api(server).rm.post("/api/resource-manager/policies", json={"name": "taken"}).json()
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare({"type": "ResourcePolicy", "name": "mine", "args": {"name": "taken"}})
    proc = ps.stack.up(check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "ResourcePolicy (name 'taken')" in text and "409" in text
    assert f"import_id={existing['id']!r}" in text
    assert len(server.admin.dump()["resource_policies"]) == 1  # nothing created, nothing lost


def test_bad_credentials_are_named_and_redacted(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    wrong = "wrong-token-0123456789"
    ps.stack.pulumi("config", "set", "--secret", "pulumi-policies:resourceManagerToken", "--", wrong, secret=wrong)
    ps.declare({"type": "ResourcePolicy", "name": "p", "args": {"name": "p"}})
    proc = ps.stack.up(check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "401" in text and "pulumi-policies:resourceManagerToken" in text
    assert wrong not in text


def test_missing_endpoint_config_says_what_to_set(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.stack.pulumi("config", "rm", "pulumi-policies:nccmUrl")
    ps.declare({"type": "ConfigurationPolicy", "name": "c", "args": {"policyid": "c", "organization": "o"}})
    proc = ps.stack.up(check=False)
    text = proc.stdout + proc.stderr
    assert "pulumi config set pulumi-policies:nccmUrl" in text and "PULUMI_POLICIES_NCCM_URL" in text


def test_api_key_and_token_appear_nowhere_in_state_or_output(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare({"type": "ConfigurationPolicy", "name": "c", "args": {"policyid": "c", "organization": "o"}},
               {"type": "ResourcePolicy", "name": "r", "args": {"name": "r"}},
               {"type": "ProfilePolicy", "name": "p", "args": {"name": "p", "profile_id": "prof-eng"}})
    texts = [ps.stack.up().stdout, ps.stack.refresh().stdout]
    # The engine hands the stack config to the dynamic provider and keeps it in state as Pulumi secrets
    # (ciphertext); only an explicit `stack export --show-secrets` decrypts them, as for any Pulumi secret.
    texts.append(ps.stack.pulumi("stack", "export").stdout)
    backend = Path(ps.stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    texts += [p.read_text(errors="replace") for p in backend.rglob("*") if p.is_file()]
    texts.append(ps.stack.destroy().stdout)
    texts += ps.stack.log
    for secret in (server.nccm_api_key, server.rm_token):
        leaks = [t[max(0, t.find(secret) - 300):t.find(secret) + 60] for t in texts if secret in t]
        assert leaks == []
