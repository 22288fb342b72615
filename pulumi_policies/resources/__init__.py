"""The resource classes users instantiate."""

from .configuration_policy import ConfigurationPolicy
from .profile_policy import ProfilePolicy
from .resource_policy import ResourcePolicy

__all__ = ["ConfigurationPolicy", "ProfilePolicy", "ResourcePolicy"]
