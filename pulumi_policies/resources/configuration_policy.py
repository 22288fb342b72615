"""ConfigurationPolicy: an NCCM configuration policy (``/ux/nccm/configuration_policies/``)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import pulumi
from typing_extensions import Unpack

from ._base import PolicyResource


class ConfigurationPolicyArgs(TypedDict):
    """The documented writable fields. ``policyid`` + ``organization`` (max 25 characters) identify it."""

    policyid: pulumi.Input[str]
    organization: pulumi.Input[str]
    name: NotRequired[pulumi.Input[str]]
    description: NotRequired[pulumi.Input[str]]
    processid: NotRequired[pulumi.Input[int]]
    associate_users: NotRequired[pulumi.Input[str]]
    associate_groups: NotRequired[pulumi.Input[str]]
    associated_rules: NotRequired[pulumi.Input[str]]
    associated_rule_groups: NotRequired[pulumi.Input[list[Any]]]
    policy_schedule: NotRequired[pulumi.Input[dict[str, Any]]]
    assigned_users: NotRequired[pulumi.Input[list[Any]]]
    assigned_group: NotRequired[pulumi.Input[list[Any]]]
    lastupdatetime: NotRequired[pulumi.Input[str]]
    activated_by: NotRequired[pulumi.Input[str]]
    activation_time: NotRequired[pulumi.Input[str]]
    activation_remarks: NotRequired[pulumi.Input[str]]
    lastaction: NotRequired[pulumi.Input[str]]
    nextaction: NotRequired[pulumi.Input[str]]
    progress: NotRequired[pulumi.Input[int]]
    starttime: NotRequired[pulumi.Input[int]]
    endtime: NotRequired[pulumi.Input[int]]
    created_by: NotRequired[pulumi.Input[str]]
    modified_by: NotRequired[pulumi.Input[str]]
    is_deleted: NotRequired[pulumi.Input[bool]]
    import_id: NotRequired[pulumi.Input[str]]


class ConfigurationPolicy(PolicyResource, kind="ConfigurationPolicy"):
    """An NCCM configuration policy. Replaced when ``policyid`` or ``organization`` changes.

    Pulumi id: the server's id (also in ``.id``); ``status``, ``creationtime`` and the other
    server-computed fields are outputs.
    """

    policyid: pulumi.Output[str]
    organization: pulumi.Output[str]
    status: pulumi.Output[str]
    creationtime: pulumi.Output[str]
    policy_schedule: pulumi.Output[dict[str, Any]]

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[ConfigurationPolicyArgs]) -> None:
        super().__init__(resource_name, opts, **kwargs)
