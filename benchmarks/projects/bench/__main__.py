"""Declare resources.json: {"provider": "ours"|"ideal"|"sets", "items": [{"type", "name", "args"}]}.

"sets" declares the items as one policy set per kind (ResourcePolicySet...), the others one resource each."""

import json
from pathlib import Path

import pulumi_policies
from benchmarks.ideal import IdealPolicy

spec = json.loads(Path("resources.json").read_text())
if spec["provider"] == "sets":
    kinds: dict[str, list] = {}
    for item in spec["items"]:
        kinds.setdefault(item["type"], []).append(item["args"])
    for kind, policies in kinds.items():
        getattr(pulumi_policies, f"{kind}Set")(kind.lower(), policies)
for item in spec["items"] if spec["provider"] != "sets" else []:
    if spec["provider"] == "ideal":
        IdealPolicy(item["name"], item["type"], item["args"])
    else:
        getattr(pulumi_policies, item["type"])(item["name"], **item["args"])
