"""The ideal provider: what `pulumi up` would cost if the provider were free.

It makes no HTTP call; it sleeps the server latency once per call that ours makes for the same
operation (NCCM create: 2, everything else: 1), and returns the inputs as outputs. Its class lives in
this importable module, so Pulumi pickles it by reference, like ours.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

CALLS = {"create": {"ConfigurationPolicy": 2}, "default": 1}


def _latency() -> float:
    return float(os.environ.get("IDEAL_LATENCY_MS", "0")) / 1000.0


def _wait(operation: str, kind: str) -> None:
    time.sleep(_latency() * CALLS.get(operation, {}).get(kind, CALLS["default"]))


class IdealProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        _wait("create", props.get("kind", ""))
        return CreateResult(uuid.uuid4().hex, props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = {k: v for k, v in news.items() if not k.startswith("__")} != \
            {k: v for k, v in olds.items() if not k.startswith("__") and k in news}
        return DiffResult(changes=changed)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _wait("update", news.get("kind", ""))
        return UpdateResult(news)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        _wait("read", props.get("kind", ""))
        return ReadResult(id_, props)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        _wait("delete", props.get("kind", ""))


class IdealPolicy(Resource, module="bench", name="IdealPolicy"):
    def __init__(self, resource_name: str, kind: str, args: dict[str, Any]) -> None:
        super().__init__(IdealProvider(), resource_name, {"kind": kind, **args})
