"""What a program's Python process imports: every `pulumi` command starts one, and its imports are most of the
fixed cost of a command (benchmarks/fixed_cost.py). The HTTP client is imported when the first client is made,
which a program, and a preview with nothing to change, never do."""

from __future__ import annotations

import subprocess
import sys


def test_a_program_does_not_import_the_http_client():
    proc = subprocess.run([sys.executable, "-c", "import sys, pulumi_policies, pulumi_policies.providers; "
                           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore')))"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_the_first_client_imports_it():
    proc = subprocess.run([sys.executable, "-c", "import sys; from pulumi_policies.client import APIClient; "
                           "APIClient('http://127.0.0.1:9', 'TOKEN x', secret='x').close(); "
                           "print('httpx' in sys.modules)"], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "True"


def test_a_preview_with_nothing_to_change_makes_no_client():
    """check (an adoption's import_id claimed included) and diff of a policy, and a set's removed item's claim
    lookup, read the configuration only: no HTTP client, no httpx import."""
    code = """
import sys
from pulumi_policies import connections
from pulumi_policies.providers import PROVIDERS, claims
connections.configure({"pulumi-policies:resourceManagerUrl": "http://127.0.0.1:9",
                       "pulumi-policies:resourceManagerToken": "t0ken-x"})
pp = PROVIDERS["ProfilePolicy"]()
news = pp.check({}, {"profile_id": "p", "name": "n", "import_id": "p/n"}).inputs
assert pp.diff("p/1", {"profile_id": "p", "name": "n", "policy_id": "1"}, news).changes is False
assert claims.claimed(pp.spec, {"profile_id": "p", "name": "n"}, "1")
print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore')))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr
