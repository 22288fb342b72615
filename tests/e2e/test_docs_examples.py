"""Every ```python block of the README and docs/ runs: one program executes them all, and one `pulumi preview`
plans what they declare.

The convention for writing docs: a block sees the names `pulumi_policies` exports and `teams` (a list of team
names), as if imported; a named connection `prod` is configured; resource names are unique across the docs."""

from __future__ import annotations

import json
import re

from tests.support.engine import REPO, copy_project
from tests.support.policies import DECLARED, connection_config

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
PROGRAM = '''
import json
from pathlib import Path

import pulumi

import pulumi_policies

for index, block in enumerate(json.loads(Path("blocks.json").read_text())):
    names = {name: getattr(pulumi_policies, name) for name in pulumi_policies.__all__}
    exec(compile(block["code"], block["where"], "exec"), {**names, "teams": ["payments", "search"]})
'''


def blocks():
    out = []
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"```python\n(.*?)```", text, flags=re.S):
            line = text[:match.start()].count("\n") + 2
            out.append({"where": f"{page.relative_to(REPO)}:{line}", "code": match.group(1)})
    return out


def test_every_python_example_of_the_docs_previews(server, make_stack, tmp_path):
    found = blocks()
    assert len(found) >= 5 and any(b["where"].startswith("README.md") for b in found)
    project = copy_project(DECLARED, tmp_path / "docs")
    (project / "__main__.py").write_text(PROGRAM)
    (project / "blocks.json").write_text(json.dumps(found))
    plain, secret = connection_config(server)
    stack = make_stack(project, "docs").init(config=plain, secrets=secret)
    stack.pulumi("config", "set-all", "--path",
                 "--plaintext", f"pulumi-policies:connections.prod.resourceManagerUrl={server.url}",
                 "--secret", f"pulumi-policies:connections.prod.resourceManagerToken={server.rm_token}",
                 secret=server.rm_token)
    preview = stack.preview_json()
    planned = sorted(s["urn"].rsplit("::", 1)[-1] for s in preview["steps"]
                     if s["op"] == "create" and "pulumi_policies" in s["urn"])
    declared = sorted(name for b in found for name in re.findall(
        r"\b(?:\w*Policy\w*|\w+Set)\(\s*\"([^\"]+)\"", b["code"]))
    assert planned == declared, (planned, declared)
    assert server.admin.requests()["total"] >= 0
