"""ResourcePolicy: a resource-manager policy (``/api/resource-manager/policies``)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

import pulumi
from typing_extensions import Unpack

from ._base import EngineArgs, PolicyResource


class MemberArgs(TypedDict, total=False):
    id: str
    name: str


class MembersArgs(TypedDict, total=False):
    tags: list[MemberArgs]
    users: list[MemberArgs]
    service_identities: list[MemberArgs]


class PolicyArgs(EngineArgs):
    """The writable fields of a resource-manager policy (camelCase wire names are accepted too)."""

    name: pulumi.Input[str]
    description: NotRequired[pulumi.Input[str]]
    is_active: NotRequired[pulumi.Input[bool]]
    is_draft: NotRequired[pulumi.Input[bool]]
    is_read_only: NotRequired[pulumi.Input[bool]]
    condition: NotRequired[pulumi.Input[dict[str, Any] | str]]
    resource: NotRequired[pulumi.Input[str]]
    access_level: NotRequired[pulumi.Input[str]]
    access_type: NotRequired[pulumi.Input[Literal["Allow", "Deny"]]]
    consumer: NotRequired[pulumi.Input[str]]
    settings: NotRequired[pulumi.Input[list[dict[str, Any]]]]
    members: NotRequired[pulumi.Input[MembersArgs]]
    resource_labels: NotRequired[pulumi.Input[dict[str, list[str]]]]


class PolicyOutputs:
    """Every output of a resource-manager policy (a field the server returned empty reads as None)."""

    policy_id: pulumi.Output[str]
    name: pulumi.Output[str]
    description: pulumi.Output[str | None]
    is_active: pulumi.Output[bool | None]
    is_draft: pulumi.Output[bool | None]
    is_read_only: pulumi.Output[bool | None]
    condition: pulumi.Output[dict[str, Any] | None]
    resource: pulumi.Output[str | None]
    access_level: pulumi.Output[str | None]
    access_type: pulumi.Output[str | None]
    consumer: pulumi.Output[str | None]
    settings: pulumi.Output[list[dict[str, Any]] | None]
    members: pulumi.Output[dict[str, list[dict[str, str]]] | None]
    resource_labels: pulumi.Output[dict[str, list[str]] | None]


class ResourcePolicy(PolicyResource, PolicyOutputs, kind="ResourcePolicy"):
    """A resource policy: who (members) may reach which resources (labels), with which settings.

    Replaced when: never (a rename is an in-place update). Pulumi id: the policy id.
    """

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[PolicyArgs]) -> None:
        super().__init__(resource_name, opts, **kwargs)
