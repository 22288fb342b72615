"""ResourcePolicy: a resource-manager policy (``/api/resource-manager/policies``)."""

from __future__ import annotations

import pulumi
from typing_extensions import Unpack

from ._base import PolicyResource
from ._types import ResourcePolicyArgsDict, ResourcePolicyOutputs


class ResourcePolicy(PolicyResource, ResourcePolicyOutputs, kind="ResourcePolicy"):
    """A resource policy: who (members) may reach which resources (labels), with which settings and condition.

    Replaced when: never (a rename is an in-place update). Pulumi id: the policy id. Arguments and outputs: the
    fields of ``models.ResourcePolicyArgs`` (camelCase wire names are accepted too).
    """

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[ResourcePolicyArgsDict]) -> None:
        super().__init__(resource_name, opts, **kwargs)
