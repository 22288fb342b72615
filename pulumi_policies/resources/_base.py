"""The base of the three resource classes: inputs in, every output as an attribute, ``get`` and ``import_id``."""

from __future__ import annotations

from typing import Any, ClassVar, TypedDict

import pulumi
from pulumi.dynamic import Resource

from ..providers import CONNECTION, SPECS, TYPE_MODULE, PolicyProvider, ResourceSpec, provider_class


def output_names(spec: ResourceSpec) -> tuple[str, ...]:
    """Every output a resource exposes: its inputs, what the server returns, the remote id, the scope."""
    names = [*spec.args_model.model_fields, *(f for f in spec.record_model.model_fields if f != "id")]
    if spec.id_output:
        names.append(spec.id_output)
    names.append(CONNECTION)
    return tuple(dict.fromkeys(names))


class EngineArgs(TypedDict, total=False):
    """The arguments every resource takes beside its model's fields (read by the provider engine itself)."""

    import_id: pulumi.Input[str]                # adopt this existing object (a remote id or a natural key)
    connection: pulumi.Input[str | None]        # a named connection; None or absent: the default one


class ConnectionOutput:
    """The output every resource has: the named connection it lives on (None: the default one)."""

    connection: pulumi.Output[str | None]


class PolicyResource(Resource, ConnectionOutput):
    """A policy object on a remote API, managed by ``pulumi up``.

    ``import_id="<remote id>"`` adopts an existing object instead of creating one (Pulumi's own
    ``import_`` option does not work for dynamic resources). ``get`` reads one without managing it.
    ``connection="<name>"`` manages it on a named connection of the stack (``pulumi-policies:connections``)
    instead of the default one; changing it replaces the object.
    """

    # The outputs are declared on plain base classes (ConnectionOutput, PolicyOutputs...), not on the resource
    # classes: type checkers and IDEs see them all the same, and the SDK, which reads a resource class's own
    # annotations on every registration to convert output types we do not have, has none to read.
    _provider_class: ClassVar[type[PolicyProvider]]
    _output_names: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        """``class ResourcePolicy(PolicyResource, kind="ResourcePolicy")``: type token, provider and outputs
        from the registered spec of that kind."""
        if not kind:
            raise TypeError(f"{cls.__name__}: name the registered resource kind, class {cls.__name__}"
                            f"(PolicyResource, kind=...)")
        spec = SPECS[kind]
        super().__init_subclass__(module=TYPE_MODULE, name=kind, **kwargs)
        cls._provider_class = provider_class(spec)
        cls._output_names = output_names(spec)

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
        props: dict[str, Any] = {name: None for name in self._output_names}
        props.update(kwargs)
        super().__init__(self._provider_class(), resource_name, props, opts)

    @classmethod
    def get(cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None,
            connection: str | None = None) -> Any:
        """Look up an existing object by its Pulumi id without managing it (read-only), on the default
        connection or the one named."""
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        resource = cls.__new__(cls)
        props: dict[str, Any] = {n: None for n in cls._output_names}
        props[CONNECTION] = connection
        Resource.__init__(resource, cls._provider_class(), resource_name, props, opts)
        return resource
