"""The resource classes users instantiate."""

from .configuration_policy import ConfigurationPolicy
from .policy_sets import ConfigurationPolicySet, PolicySet, ProfilePolicySet, ResourcePolicySet
from .profile_policy import ProfilePolicy
from .profile_policy_order import ProfilePolicyOrder
from .resource_policy import ResourcePolicy

__all__ = ["ConfigurationPolicy", "ConfigurationPolicySet", "PolicySet", "ProfilePolicy", "ProfilePolicySet",
           "ProfilePolicyOrder", "ResourcePolicy", "ResourcePolicySet"]
