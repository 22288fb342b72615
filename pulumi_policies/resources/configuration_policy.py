"""ConfigurationPolicy: an NCCM configuration policy (``/ux/nccm/configuration_policies/``)."""

from __future__ import annotations

import pulumi
from typing_extensions import Unpack

from ._base import PolicyResource
from ._types import ConfigurationPolicyArgsDict, ConfigurationPolicyOutputs


class ConfigurationPolicy(PolicyResource, ConfigurationPolicyOutputs, kind="ConfigurationPolicy"):
    """An NCCM configuration policy. Replaced when ``policyid`` or ``organization`` changes.

    Pulumi id: the server's id (also in ``.id``); ``status``, ``creationtime`` and the other
    server-computed fields are outputs. Arguments and outputs: the fields of ``models.ConfigurationPolicyArgs``.
    """

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[ConfigurationPolicyArgsDict]) -> None:
        super().__init__(resource_name, opts, **kwargs)
