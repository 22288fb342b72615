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
