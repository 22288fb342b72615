"""Access and configuration policies as Pulumi resources.

    from pulumi_policies import ConfigurationPolicy, ProfilePolicy, ResourcePolicy
    from pulumi_policies import ResourcePolicySet   # many policies as one resource (large estates)

The resource classes are loaded on first use (PEP 562): importing a reader of the registry (``access``,
``report``, ``export``, the policy pack) does not load the dynamic-provider SDK.
"""

from __future__ import annotations

import importlib
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

_LAZY = {"PolicyProviderError": ".providers", **{name: ".resources" for name in (
    "ConfigurationPolicy", "ConfigurationPolicySet", "ProfilePolicy", "ProfilePolicyOrder", "ProfilePolicySet",
    "ResourcePolicy", "ResourcePolicySet")}}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = ["ConfigurationPolicy", "ConfigurationPolicySet", "PolicyProviderError", "ProfilePolicy", "ProfilePolicyOrder",
           "ProfilePolicySet", "PulumiPoliciesError", "ResourcePolicy", "ResourcePolicySet"]
