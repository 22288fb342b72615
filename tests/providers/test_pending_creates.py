"""What `recover` and `rollback` take as the object of a pending create (recovery.pending_creates), against the
embedded server over HTTP: only an object holding exactly what the create sent, or what an adoption names."""

from __future__ import annotations

from typing import Any

from pulumi_policies import connections
from pulumi_policies.recovery import pending_creates
from tests.support.policies import Api

TYPE = "pulumi-python:dynamic/pulumi_policies:ResourcePolicy"


class Stack:
    """What pending_creates reads of an Automation API stack: its config."""

    def __init__(self, server: Any) -> None:
        self.config = {"pulumi-policies:resourceManagerUrl": server.url,
                       "pulumi-policies:resourceManagerToken": server.rm_token}

    def get_all_config(self) -> dict[str, Any]:
        return {k: type("Value", (), {"value": v})() for k, v in self.config.items()}


def pending(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": "creating", "resource": {"urn": f"urn:pulumi:dev::p::{TYPE}::{name}", "type": TYPE,
                                             "inputs": {"__provider": "x", **inputs}}}


def test_a_pending_create_is_only_the_object_holding_what_it_sent(server):
    api = Api(server)
    for body in ({"name": "landed", "description": "v1"}, {"name": "foreign", "description": "theirs"},
                 {"name": "adopted", "description": "before"}):
        assert api.rm.post(api.rm_path("ResourcePolicy"), json=body).status_code == 201
    deployment = {"pending_operations": [
        pending("landed", {"name": "landed", "description": "v1"}),          # our create landed
        pending("foreign", {"name": "foreign", "description": "ours"}),      # somebody else's object of that name
        pending("adopted", {"name": "adopted", "description": "after", "import_id": "name:adopted"}),
        pending("never", {"name": "never"}),                                 # never reached the server
    ]}
    try:
        found = {c.name: (c.found is not None, c.existed) for c in pending_creates(Stack(server), deployment)}
    finally:
        connections.configure({})
    assert found == {"landed": (True, False), "foreign": (False, False), "adopted": (True, True),
                     "never": (False, False)}
