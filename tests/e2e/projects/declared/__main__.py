"""Declare what resources.json lists: [{"type": "ResourcePolicy", "name": "...", "args": {...}}, ...]; an item's
"depends_on" lists names of resources declared earlier.

A string "@<name>.<output>" anywhere in the args is that output of a resource declared earlier in the list (an
Output, known after apply or at preview as the engine decides): e.g. a ProfilePolicyOrder given a policy's
``policy_id``. Two forms make a value the engine hides at preview, anywhere in the args:
- ``{"$secret": value}``: ``pulumi.Output.secret(value)`` (``"[secret]"`` in ``pulumi preview --json``);
- ``{"$after": "@<name>.<output>", "value": value}``: `value` once that output is known
  (``output.apply(lambda _: value)``): unknown at preview while the resource named is being created."""

import json
from pathlib import Path
from typing import Any

import pulumi

import pulumi_policies

declared: dict[str, Any] = {}


def resolved(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("@") and "." in value:
        name, attr = value[1:].split(".", 1)
        return getattr(declared[name], attr)
    if isinstance(value, list):
        return [resolved(v) for v in value]
    if isinstance(value, dict) and value.keys() == {"$secret"}:
        return pulumi.Output.secret(resolved(value["$secret"]))
    if isinstance(value, dict) and value.keys() == {"$after", "value"}:
        known = resolved(value["value"])
        return resolved(value["$after"]).apply(lambda _: known)
    if isinstance(value, dict):
        return {k: resolved(v) for k, v in value.items()}
    return value


items = json.loads(Path("resources.json").read_text())
# Every output of every resource is a stack output in small programs (what most tests read). A large program (the
# fault, crash and scale suites: 50 to 200 policies) exports each resource's ids only: the Python SDK waits on every
# pending Output with asyncio.wait over all of them, again each time one resolves (pulumi/runtime/stack.py
# wait_for_rpcs), so a few thousand exported Outputs cost more CPU than the rest of the program.
WHOLE = len(items) <= 20
for item in items:
    cls = getattr(pulumi_policies, item["type"])
    if "get" in item:
        resource = cls.get(item["name"], item["get"], connection=item.get("connection"))
    else:
        after = [declared[name] for name in item.get("depends_on", [])]
        resource = cls(item["name"], **resolved(item.get("args", {})),
                       **({"opts": pulumi.ResourceOptions(depends_on=after)} if after else {}))
    declared[item["name"]] = resource
    names = cls._output_names if WHOLE else [k for k in ("policy_id", "ids") if k in cls._output_names]
    pulumi.export(item["name"], {"id": resource.id, **{k: getattr(resource, k) for k in names}})
