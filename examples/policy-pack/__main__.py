"""The guardrails pack, as shipped: every rule of pulumi_policies.policypack with its default enforcement.

    pulumi preview --policy-pack examples/policy-pack
    pulumi preview --policy-pack examples/policy-pack --policy-pack-config examples/policy-pack/strict.json
"""

from pulumi_policies.policypack import guardrails_pack

guardrails_pack()
