"""ProfilePolicy: a policy of a resource-manager profile (``/api/resource-manager/profiles/{id}/policies``)."""

from __future__ import annotations

import pulumi
from typing_extensions import Unpack

from ._base import PolicyResource
from ._types import ProfilePolicyArgsDict, ProfilePolicyOutputs


class ProfilePolicy(PolicyResource, ProfilePolicyOutputs, kind="ProfilePolicy"):
    """A profile policy: grants a profile's resources to members, with ITSM / justification / IM settings and an
    approval condition.

    Replaced when ``profile_id`` changes. Pulumi id: ``<profile id>/<policy id>`` (each part URL-escaped). Arguments
    and outputs: the fields of ``models.ProfilePolicyArgs``.
    """

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[ProfilePolicyArgsDict]) -> None:
        super().__init__(resource_name, opts, **kwargs)
