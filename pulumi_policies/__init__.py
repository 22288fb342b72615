"""Access and configuration policies as Pulumi resources.

    from pulumi_policies import ConfigurationPolicy, ProfilePolicy, ResourcePolicy
    from pulumi_policies import ResourcePolicySet   # many policies as one resource (large estates)
"""

from .errors import PulumiPoliciesError
from .providers import PolicyProviderError
from .resources import (
    ConfigurationPolicy,
    ConfigurationPolicySet,
    ProfilePolicy,
    ProfilePolicyOrder,
    ProfilePolicySet,
    ResourcePolicy,
    ResourcePolicySet,
)

__all__ = ["ConfigurationPolicy", "ConfigurationPolicySet", "PolicyProviderError", "ProfilePolicy", "ProfilePolicyOrder",
           "ProfilePolicySet", "PulumiPoliciesError", "ResourcePolicy", "ResourcePolicySet"]
