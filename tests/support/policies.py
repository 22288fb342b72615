"""A stack of declared policies against a running emulator, and direct API access to make drift."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.engine import Stack, copy_project

DECLARED = Path(__file__).resolve().parents[1] / "e2e" / "projects" / "declared"


def stack_config(server: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(plain config, secret config) pointing the resources at an emulator."""
    plain = {"pulumi-policies:nccmUrl": server.url, "pulumi-policies:resourceManagerUrl": server.url}
    secret = {"pulumi-policies:nccmApiKey": server.nccm_api_key,
              "pulumi-policies:resourceManagerToken": server.rm_token}
    return plain, secret


@dataclass
class PolicyStack:
    stack: Stack

    def declare(self, *resources: dict[str, Any]) -> PolicyStack:
        (self.stack.project_dir / "resources.json").write_text(json.dumps(list(resources), indent=1))
        return self

    def output(self, name: str) -> dict[str, Any]:
        return self.stack.outputs()[name]


def new_policy_stack(make_stack: Any, server: Any, workdir: Path, name: str = "dev") -> PolicyStack:
    project = copy_project(DECLARED, workdir)
    plain, secret = stack_config(server)
    stack = make_stack(project, name).init(config=plain, secrets=secret)
    return PolicyStack(stack).declare()


class Api:
    """The two APIs, called directly as a person would with curl (for drift and pre-existing objects)."""

    def __init__(self, server: Any) -> None:
        self.nccm = httpx.Client(base_url=server.url, headers={"Authorization": server.nccm_api_key}, timeout=10)
        self.rm = httpx.Client(base_url=server.url, headers={"Authorization": f"TOKEN {server.rm_token}"}, timeout=10)

    def nccm_get(self, policy_id: str) -> httpx.Response:
        return self.nccm.get(f"/ux/nccm/configuration_policies/{policy_id}/")

    def rm_path(self, kind: str, policy_id: str = "", profile_id: str = "") -> str:
        base = (f"/api/resource-manager/profiles/{profile_id}/policies" if kind == "ProfilePolicy"
                else "/api/resource-manager/policies")
        return f"{base}/{policy_id}" if policy_id else base
