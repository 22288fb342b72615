"""Access and configuration policies as Pulumi resources.

    from pulumi_policies import ConfigurationPolicy, ProfilePolicy, ResourcePolicy
"""

from .providers import PolicyProviderError
from .resources import ConfigurationPolicy, ProfilePolicy, ResourcePolicy

__all__ = ["ConfigurationPolicy", "PolicyProviderError", "ProfilePolicy", "ResourcePolicy"]
