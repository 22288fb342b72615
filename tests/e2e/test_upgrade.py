"""Upgrading the package changes nothing on the server by itself (issue 30), on the real engine.

The state is written by an older copy of this package: the last release before the state recorded its writer
(``git archive`` of that commit, put first on PYTHONPATH for the program and the provider alike). Then the current
version previews, applies, refreshes and applies again: no change is shown, no write reaches the server, and the
state records the version that now wrote each resource.
"""

from __future__ import annotations

import io
import subprocess
import tarfile

import pytest

from pulumi_policies._version import __version__
from pulumi_policies.engine_state import WRITTEN_BY
from tests.support.engine import REPO
from tests.support.policies import new_policy_stack

OLDER = "d093b37"  # the last commit before the state recorded which version wrote it
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def older_copy(dest):
    """The package as commit OLDER had it, unpacked under `dest` (a full clone has every commit)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", OLDER, "pulumi_policies"],
                             capture_output=True, check=True, timeout=120).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def writes(server):
    return {call: n for call, n in server.admin.requests()["counts"].items() if call.startswith(WRITES)}


@pytest.mark.parametrize("server", ["britive"], indirect=True)
def test_a_state_written_by_an_older_version_is_taken_over_with_no_server_write(server, make_stack, tmp_path):
    old = older_copy(tmp_path / "older")
    ps = new_policy_stack(make_stack, server, tmp_path / "project")
    ps.declare(
        {"type": "ProfilePolicy", "name": "deny", "args": {"profile_id": "prof-eng", "name": "deny", "access_type": "Deny",
                                                           "members": {"users": [{"name": "mallory"}]}}},
        {"type": "ResourcePolicy", "name": "rp", "args": {"name": "rp", "description": "kept",
                                                          "resource_labels": {"env": ["prod", "dev"]},
                                                          "members": {"tags": [{"name": "sre"}]}}},
        {"type": "ProfilePolicySet", "name": "estate", "args": {"policies": [
            {"profile_id": "prof-eng", "name": f"p{i}", "members": {"users": [{"name": "alice"}]},
             "settings": [{"settings_type": "JUSTIFICATION"}]} for i in range(2)]}})
    ps.stack.up(extra_env={"PYTHONPATH": str(old)})
    ours = [r for r in ps.stack.resources() if "pulumi_policies:" in r["type"]]
    assert ours and not any(WRITTEN_BY in r.get("outputs", {}) for r in ours), "the older copy did not run"
    before = server.admin.dump()

    server.admin.clear_requests()
    assert ps.stack.changes() == {}
    ps.stack.up()
    ps.stack.refresh()
    assert ps.stack.changes() == {}
    ps.stack.up()
    assert writes(server) == {} and server.admin.dump() == before
    stamps = {r["urn"].rsplit("::", 1)[1]: r["outputs"].get(WRITTEN_BY) for r in ps.stack.resources()
              if "pulumi_policies:" in r["type"]}
    assert stamps == {"deny": __version__, "rp": __version__, "estate": __version__}
