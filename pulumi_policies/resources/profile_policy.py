"""ProfilePolicy: a policy of a resource-manager profile (``/api/resource-manager/profiles/{id}/policies``)."""

from __future__ import annotations

from typing import Any

import pulumi
from typing_extensions import Unpack

from ._base import PolicyResource
from .resource_policy import PolicyArgs


class ProfilePolicyArgs(PolicyArgs):
    profile_id: pulumi.Input[str]


class ProfilePolicy(PolicyResource, kind="ProfilePolicy"):
    """A profile policy: grants a profile's resources to members, with ITSM / justification settings.

    Replaced when ``profile_id`` changes. Pulumi id: ``<profile id>/<policy id>`` (each part URL-escaped).
    """

    policy_id: pulumi.Output[str]
    profile_id: pulumi.Output[str]
    name: pulumi.Output[str]
    members: pulumi.Output[dict[str, Any]]
    settings: pulumi.Output[list[dict[str, Any]]]

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[ProfilePolicyArgs]) -> None:
        super().__init__(resource_name, opts, **kwargs)
