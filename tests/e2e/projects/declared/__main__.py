"""Declare what resources.json lists: [{"type": "ResourcePolicy", "name": "...", "args": {...}}, ...]."""

import json
from pathlib import Path

import pulumi

import pulumi_policies

for item in json.loads(Path("resources.json").read_text()):
    cls = getattr(pulumi_policies, item["type"])
    if "get" in item:
        resource = cls.get(item["name"], item["get"], connection=item.get("connection"))
    else:
        resource = cls(item["name"], **item.get("args", {}))
    pulumi.export(item["name"], {"id": resource.id, **{k: getattr(resource, k) for k in cls._output_names}})
