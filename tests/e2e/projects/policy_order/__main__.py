"""Declare what order.json says: {"profile_id": "...", "policies": ["a", ...], "order": ["id:a", "b", ...]}.

Each name in "policies" is a ProfilePolicy of that name (its resource named after it). Each item of "order" is
passed to the ProfilePolicyOrder as it is (a policy name), or, written "id:<name>", as that ProfilePolicy's
``policy_id`` Output. No "order": no ProfilePolicyOrder.
"""

import json
from pathlib import Path

import pulumi

from pulumi_policies import ProfilePolicy, ProfilePolicyOrder

spec = json.loads(Path("order.json").read_text())
policies = {name: ProfilePolicy(name, profile_id=spec["profile_id"], name=name) for name in spec.get("policies", [])}
if spec.get("order") is not None:
    items = [policies[item[3:]].policy_id if item.startswith("id:") else item for item in spec["order"]]
    # the policies named (not given by their Output) must exist first: depends_on
    order = ProfilePolicyOrder("order", pulumi.ResourceOptions(depends_on=list(policies.values())),
                               profile_id=spec["profile_id"], policies=items)
    pulumi.export("order", {name: getattr(order, name) for name in ProfilePolicyOrder._output_names})
pulumi.export("ids", {name: p.policy_id for name, p in policies.items()})
