"""Policy sets: one resource for many policies of one kind (providers/sets.py), for estates of hundreds or
thousands of policies. docs/large-estates.md says when to use them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..engine_state import PROGRAM_CLAIMS
from ..providers import SPECS, TYPE_MODULE, PolicySetProvider, set_provider_class
from ..registry import IDS, ITEMS, SET_SUFFIX
from ._base import ConnectionOutput, program_claims, record_claim
from ._types import ConfigurationPolicyArgsDict, ProfilePolicyArgsDict, ResourcePolicyArgsDict


class PolicySetOutputs(ConnectionOutput):
    """A set's outputs: each policy's outputs, and its Pulumi id, by its key in the set."""

    policies: pulumi.Output[dict[str, dict[str, Any]]]
    ids: pulumi.Output[dict[str, str]]


class PolicySet(Resource, PolicySetOutputs):
    """Many policies of one kind as one Pulumi resource: one registration and one checkpoint for all of them,
    their HTTP calls sent side by side (``maxConcurrency`` per connection).

    Each item takes the arguments of the kind's own resource (``import_id`` included, to adopt an existing
    policy) and is keyed by its natural key: ``name`` (``<profile_id>/<name>`` for profile policies,
    ``<policyid>/<organization>`` for configuration policies). Items live on the set's ``connection``.
    """

    _provider_class: type[PolicySetProvider]
    _output_names = (ITEMS, IDS, "connection")

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        if kind not in SPECS:
            raise TypeError(f"{cls.__name__}: name the registered resource kind its items are, class "
                            f"{cls.__name__}(PolicySet, kind=...)")
        super().__init_subclass__(module=TYPE_MODULE, name=kind + SET_SUFFIX, **kwargs)
        cls._provider_class = set_provider_class(SPECS[kind])

    def __init__(self, resource_name: str, policies: pulumi.Input[Sequence[Any]], *,
                 connection: pulumi.Input[str | None] = None, opts: pulumi.ResourceOptions | None = None) -> None:
        for item in policies if isinstance(policies, Sequence) and not isinstance(policies, str) else []:
            if isinstance(item, dict):
                record_claim(self._provider_class.item.spec, item, connection)
        props = {ITEMS: policies, IDS: None, "connection": connection, PROGRAM_CLAIMS: program_claims()}
        super().__init__(self._provider_class(), resource_name, props, opts)


class ResourcePolicySet(PolicySet, kind="ResourcePolicy"):
    """Resource policies, keyed by name."""

    def __init__(self, resource_name: str, policies: pulumi.Input[Sequence[ResourcePolicyArgsDict]], *,
                 connection: pulumi.Input[str | None] = None, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, policies, connection=connection, opts=opts)


class ProfilePolicySet(PolicySet, kind="ProfilePolicy"):
    """Profile policies, keyed by ``<profile_id>/<name>`` (one set may span several profiles)."""

    def __init__(self, resource_name: str, policies: pulumi.Input[Sequence[ProfilePolicyArgsDict]], *,
                 connection: pulumi.Input[str | None] = None, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, policies, connection=connection, opts=opts)


class ConfigurationPolicySet(PolicySet, kind="ConfigurationPolicy"):
    """NCCM configuration policies, keyed by ``<policyid>/<organization>``."""

    def __init__(self, resource_name: str, policies: pulumi.Input[Sequence[ConfigurationPolicyArgsDict]], *,
                 connection: pulumi.Input[str | None] = None, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(resource_name, policies, connection=connection, opts=opts)
