"""The registry, as the providers knew it: it lives below ``providers/`` now (``pulumi_policies.registry``)."""

from ..registry import CONNECTION, SPECS, TYPE_MODULE, TYPE_PREFIX, Remote, ResourceSpec, register
from ..registry.builtin import CONFIGURATION_POLICY, PROFILE_POLICY, RESOURCE_POLICY
from ..registry.remotes import (
    NAME_PREFIX,
    CollectionRemote,
    NccmRemote,
    ResourceManagerRemote,
    by_name,
    by_policyid_and_organization,
    by_profile_and_name,
    profile_scopes,
)

__all__ = [
    "CONFIGURATION_POLICY", "CONNECTION", "NAME_PREFIX", "PROFILE_POLICY", "RESOURCE_POLICY", "SPECS",
    "TYPE_MODULE", "TYPE_PREFIX", "CollectionRemote", "NccmRemote", "Remote", "ResourceManagerRemote",
    "ResourceSpec", "by_name", "by_policyid_and_organization", "by_profile_and_name", "profile_scopes", "register",
]
