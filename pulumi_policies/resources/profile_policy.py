"""ProfilePolicy: a policy of a resource-manager profile (``/api/resource-manager/profiles/{id}/policies``)."""

from __future__ import annotations

import pulumi
from typing_extensions import Unpack

from ._base import PolicyResource
from .resource_policy import PolicyArgs, PolicyOutputs


class ProfilePolicyArgs(PolicyArgs):
    profile_id: pulumi.Input[str]


class ProfilePolicyOutputs(PolicyOutputs):
    profile_id: pulumi.Output[str]


class ProfilePolicy(PolicyResource, ProfilePolicyOutputs, kind="ProfilePolicy"):
    """A profile policy: grants a profile's resources to members, with ITSM / justification settings.

    Replaced when ``profile_id`` changes. Pulumi id: ``<profile id>/<policy id>`` (each part URL-escaped).
    """

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[ProfilePolicyArgs]) -> None:
        super().__init__(resource_name, opts, **kwargs)
