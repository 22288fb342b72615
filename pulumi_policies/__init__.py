"""Access and configuration policies as Pulumi resources.

    from pulumi_policies import ConfigurationPolicy, ProfilePolicy, ResourcePolicy
    from pulumi_policies import ResourcePolicySet   # many policies as one resource (large estates)

The resource classes are loaded on first use (PEP 562): importing a reader of the registry (``access``,
``report``, ``export``, the policy pack) does not load the dynamic-provider SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import PulumiPoliciesError

if TYPE_CHECKING:
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

_RESOURCES = ("ConfigurationPolicy", "ConfigurationPolicySet", "ProfilePolicy", "ProfilePolicyOrder",
              "ProfilePolicySet", "ResourcePolicy", "ResourcePolicySet")


def __getattr__(name: str) -> Any:
    if name == "PolicyProviderError":
        from . import providers
        value = providers.PolicyProviderError
    elif name in _RESOURCES:
        from . import resources
        value = getattr(resources, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), "PolicyProviderError", *_RESOURCES})


__all__ = ["ConfigurationPolicy", "ConfigurationPolicySet", "PolicyProviderError", "ProfilePolicy", "ProfilePolicyOrder",
           "ProfilePolicySet", "PulumiPoliciesError", "ResourcePolicy", "ResourcePolicySet"]
