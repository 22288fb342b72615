"""ConfigurationPolicy: an NCCM configuration policy (``/ux/nccm/configuration_policies/``)."""

from __future__ import annotations

from typing import Any, NotRequired

import pulumi
from typing_extensions import Unpack

from ._base import EngineArgs, PolicyResource


class ConfigurationPolicyArgs(EngineArgs):
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


class ConfigurationPolicyOutputs:
    """Every output of a ConfigurationPolicy (a field the server returned empty reads as None)."""

    policyid: pulumi.Output[str]
    organization: pulumi.Output[str]
    name: pulumi.Output[str | None]
    description: pulumi.Output[str | None]
    processid: pulumi.Output[int | None]
    associate_users: pulumi.Output[str | None]
    associate_groups: pulumi.Output[str | None]
    associated_rules: pulumi.Output[str | None]
    associated_rule_groups: pulumi.Output[list[Any] | None]
    policy_schedule: pulumi.Output[dict[str, Any] | None]
    assigned_users: pulumi.Output[list[Any] | None]
    assigned_group: pulumi.Output[list[Any] | None]
    lastupdatetime: pulumi.Output[str | None]
    activated_by: pulumi.Output[str | None]
    activation_time: pulumi.Output[str | None]
    activation_remarks: pulumi.Output[str | None]
    lastaction: pulumi.Output[str | None]
    nextaction: pulumi.Output[str | None]
    progress: pulumi.Output[int | None]
    starttime: pulumi.Output[int | None]
    endtime: pulumi.Output[int | None]
    created_by: pulumi.Output[str | None]
    modified_by: pulumi.Output[str | None]
    is_deleted: pulumi.Output[bool | None]
    # set by the server only
    status: pulumi.Output[str | None]
    creationtime: pulumi.Output[str | None]
    last_update_time: pulumi.Output[str | None]
    next_action_time: pulumi.Output[str | None]
    last_action_time: pulumi.Output[str | None]
    is_private: pulumi.Output[str | None]
    rule_description: pulumi.Output[str | None]
    schedule_descr: pulumi.Output[str | None]
    visibility: pulumi.Output[str | None]


class ConfigurationPolicy(PolicyResource, ConfigurationPolicyOutputs, kind="ConfigurationPolicy"):
    """An NCCM configuration policy. Replaced when ``policyid`` or ``organization`` changes.

    Pulumi id: the server's id (also in ``.id``); ``status``, ``creationtime`` and the other
    server-computed fields are outputs.
    """

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[ConfigurationPolicyArgs]) -> None:
        super().__init__(resource_name, opts, **kwargs)
