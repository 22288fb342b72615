"""Pulumi dynamic providers: one generic engine (engine.py), one spec per resource (specs.py)."""

from .engine import UNKNOWN, PolicyProvider, PolicyProviderError
from .specs import CONFIGURATION_POLICY, PROFILE_POLICY, RESOURCE_POLICY, ResourceSpec


class ConfigurationPolicyProvider(PolicyProvider):
    spec = CONFIGURATION_POLICY


class ProfilePolicyProvider(PolicyProvider):
    spec = PROFILE_POLICY


class ResourcePolicyProvider(PolicyProvider):
    spec = RESOURCE_POLICY


PROVIDERS: dict[str, type[PolicyProvider]] = {
    cls.spec.kind: cls for cls in (ConfigurationPolicyProvider, ProfilePolicyProvider, ResourcePolicyProvider)
}

__all__ = [
    "PROVIDERS", "UNKNOWN", "ConfigurationPolicyProvider", "PolicyProvider", "PolicyProviderError", "ProfilePolicyProvider",
    "ResourcePolicyProvider", "ResourceSpec",
]
