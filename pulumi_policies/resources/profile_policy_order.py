"""ProfilePolicyOrder: the order in which a resource-manager profile evaluates its policies (Britive's policy
prioritisation, ``/api/resource-manager/profiles/{id}/policies/order``). The provider: providers/ordering.py."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource
from typing_extensions import Unpack

from ..providers import TYPE_MODULE
from ..providers.ordering import KIND, OUTPUTS, ProfilePolicyOrderProvider
from ._base import ConnectionOutput, get_existing
from ._types import ProfilePolicyOrderArgsDict


class ProfilePolicyOrderOutputs(ConnectionOutput):
    """A policy order's outputs (declared here, not on the resource class: see ``PolicyResource``)."""

    profile_id: pulumi.Output[str]
    policies: pulumi.Output[list[str]]          # as declared (after a refresh: in the server's order)
    policy_ids: pulumi.Output[list[str]]        # the declared policies' ids, in the same order
    policy_names: pulumi.Output[list[str]]      # and their names
    order: pulumi.Output[list[str]]             # every policy id of the profile, highest priority (0) first
    enabled: pulumi.Output[bool]                # is the profile's policy order on (False: switched off by hand)


class ProfilePolicyOrder(Resource, ProfilePolicyOrderOutputs, module=TYPE_MODULE, name=KIND):
    """The priority of a profile's policies: ``policies`` (each a policy id or a policy name of the profile) are
    evaluated first, in the order listed; the profile's other policies follow in the order the server holds them.

        from pulumi_policies import ProfilePolicy, ProfilePolicyOrder

        admins = ProfilePolicy("admins", profile_id="prof-eng", name="admins", members={"tags": [{"name": "sre"}]})
        ProfilePolicyOrder("eng-order", profile_id="prof-eng",  # ids (Outputs), or names of policies that exist
                           policies=[admins.policy_id, "readers", "break-glass"])

    Creating it switches prioritisation on for the profile and sets the order (the complete order, one POST);
    destroying it switches prioritisation off (Britive keeps the order for when it is switched on again). A reorder
    in the program is an update; a reorder made by hand, a declared policy deleted by hand, or prioritisation switched
    off by hand show as an update at the next preview after ``pulumi refresh``. Policies created later that the
    program does not list go last. Declare one per profile. Give a policy the program also creates by its
    ``policy_id`` Output (or ``depends_on`` it): a name alone does not wait for the policy to exist.

    Replaced when ``profile_id`` or ``connection`` changes. Pulumi id: the profile id (URL-escaped); ``get`` also
    takes the id Britive's Terraform provider records, ``resource-manager/<profile_id>/policies/priority``.
    """

    _output_names = OUTPUTS
    _provider_class = ProfilePolicyOrderProvider

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **kwargs: Unpack[ProfilePolicyOrderArgsDict]) -> None:
        props: dict[str, Any] = {name: None for name in self._output_names}
        props.update(kwargs)
        super().__init__(self._provider_class(), resource_name, props, opts)

    @classmethod
    def get(cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None,
            connection: str | None = None) -> ProfilePolicyOrder:
        """Read a profile's order by its Pulumi id (the profile id) without managing it: ``policies`` and
        ``policy_ids`` are then every policy of the profile, by priority."""
        resource: ProfilePolicyOrder = get_existing(cls, cls._provider_class(), resource_name, id, opts, connection)
        return resource
