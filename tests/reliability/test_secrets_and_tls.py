"""Secrets under the engine's most verbose logging and a failing, echoing server; TLS verified by default."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pulumi_policies.emulator import EmulatorServer
from tests.support.policies import ENGINE_CONFIGURE_LOG, VERBOSE, new_policy_stack, occurrences


def run_verbose_lifecycle(server, ps) -> tuple[list[str], str]:
    """up, an update failing against a server that echoes credentials, refresh, destroy: every text produced."""
    ps.declare({"type": "ConfigurationPolicy", "name": "c", "args": {"policyid": "c", "organization": "o"}},
               {"type": "ResourcePolicy", "name": "r", "args": {"name": "r", "resource": "db"}},
               {"type": "ProfilePolicy", "name": "p", "args": {"name": "p", "profile_id": "prof-eng"}})
    outputs = [ps.stack.up(*VERBOSE)]
    echo = json.dumps({"error": f"bad key {server.nccm_api_key}", "message": f"token {server.rm_token} refused"})
    server.admin.set_faults([{"kind": "respond", "method": "PUT|PATCH", "status": 400, "body": echo}])
    ps.declare({"type": "ConfigurationPolicy", "name": "c", "args": {"policyid": "c", "organization": "o", "name": "x"}},
               {"type": "ResourcePolicy", "name": "r", "args": {"name": "r", "resource": "db2"}},
               {"type": "ProfilePolicy", "name": "p", "args": {"name": "p", "profile_id": "prof-eng", "description": "x"}})
    failed = ps.stack.up(*VERBOSE, check=False)
    assert failed.returncode != 0
    outputs.append(failed)
    server.admin.clear_faults()
    outputs += [ps.stack.refresh(*VERBOSE), ps.stack.destroy(*VERBOSE)]
    texts = [p.stdout for p in outputs] + [p.stderr for p in outputs]
    backend = Path(ps.stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    texts += [p.read_text(errors="replace") for p in backend.rglob("*") if p.is_file()]
    texts += [p.read_text(errors="replace") for p in Path(ps.stack.env["PULUMI_HOME"]).rglob("*.log")]
    return texts, failed.stdout + failed.stderr


@pytest.mark.slow
def test_credentials_from_the_environment_appear_nowhere_even_at_v9(server, make_stack, tmp_path):
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    for key in ("nccmApiKey", "resourceManagerToken"):
        ps.stack.pulumi("config", "rm", f"pulumi-policies:{key}")
    ps.stack.env.update(PULUMI_POLICIES_NCCM_API_KEY=server.nccm_api_key, PULUMI_POLICIES_RM_TOKEN=server.rm_token)
    texts, failure = run_verbose_lifecycle(server, ps)
    secrets = (server.nccm_api_key, server.rm_token)
    size = sum(len(t) for t in texts)
    print(f"\nverbose up, failed up, refresh, destroy (credentials from env): {size // 1024} KiB searched, "
          f"{len(occurrences(texts, secrets))} occurrences")
    assert occurrences(texts, secrets) == []
    assert "[REDACTED]" in failure  # the credentials the server echoed were caught on the way out
    assert size > 100_000  # the verbose logs really were there to search


@pytest.mark.slow
def test_credentials_from_stack_secrets_appear_only_in_the_engines_own_v9_trace(server, make_stack, tmp_path):
    """Pulumi's engine itself prints provider Configure inputs, decrypted, at -v=9: a limit we document."""
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    texts, failure = run_verbose_lifecycle(server, ps)
    found = occurrences(texts, (server.nccm_api_key, server.rm_token))
    print(f"\nverbose run (credentials as stack secrets): {len(found)} occurrences, all in the engine's Configure trace")
    assert found and all(ENGINE_CONFIGURE_LOG in line and "Configure().inputs" in line for line in found)
    assert "[REDACTED]" in failure
    quiet = ps.stack.up()  # without -v the engine prints none
    assert occurrences([quiet.stdout, quiet.stderr], (server.nccm_api_key, server.rm_token)) == []


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return str(cert), str(key)


@pytest.mark.slow
def test_tls_is_verified_by_default_and_a_ca_bundle_can_be_configured(make_stack, tmp_path):
    cert, key = _self_signed(tmp_path)
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"profiles": [{"id": "prof-eng", "name": "eng"}]}))
    with EmulatorServer(certfile=cert, keyfile=key, seed_file=seed) as server:
        assert server.url.startswith("https://")
        ps = new_policy_stack(make_stack, server, tmp_path / "project")
        ps.declare({"type": "ResourcePolicy", "name": "r", "args": {"name": "r", "resource": "db"}})
        refused = ps.stack.up(check=False)
        said = refused.stdout + refused.stderr
        assert refused.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in said and "pulumi-policies:caBundle" in said
        assert server.admin.dump()["resource_policies"] == []
        ps.stack.pulumi("config", "set", "pulumi-policies:caBundle", cert)
        ps.stack.up()
        assert [p["name"] for p in server.admin.dump()["resource_policies"]] == ["r"]
        ps.stack.pulumi("config", "set", "pulumi-policies:caBundle", str(tmp_path / "missing.pem"))
        ps.declare({"type": "ResourcePolicy", "name": "r", "args": {"name": "r", "resource": "db", "description": "d"}})
        bad = ps.stack.up(check=False)
        assert bad.returncode != 0 and "caBundle" in bad.stdout + bad.stderr
