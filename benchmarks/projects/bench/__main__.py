"""Declare resources.json: {"provider": "ours"|"ideal", "items": [{"type", "name", "args"}]}."""

import json
from pathlib import Path

import pulumi_policies
from benchmarks.ideal import IdealPolicy

spec = json.loads(Path("resources.json").read_text())
for item in spec["items"]:
    if spec["provider"] == "ideal":
        IdealPolicy(item["name"], item["type"], item["args"])
    else:
        getattr(pulumi_policies, item["type"])(item["name"], **item["args"])
