"""The base of the three resource classes: inputs in, every output as an attribute, ``get`` and ``import_id``."""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import Resource

from ..models import camel_to_snake
from ..providers import PolicyProvider


def output_names(provider: type[PolicyProvider], record_model: Any) -> tuple[str, ...]:
    """Every output a resource exposes: its inputs, what the server returns, the remote id, the scope."""
    spec = provider.spec
    names = [*spec.args_model.model_fields, *(camel_to_snake(f) for f in record_model.model_fields if f != "id")]
    if spec.id_output:
        names.append(spec.id_output)
    return tuple(dict.fromkeys(names))


class PolicyResource(Resource):
    """A policy object on a remote API, managed by ``pulumi up``.

    ``import_id="<remote id>"`` adopts an existing object instead of creating one (Pulumi's own
    ``import_`` option does not work for dynamic resources). ``get`` reads one without managing it.
    """

    _provider_class: ClassVar[type[PolicyProvider]]
    _output_names: ClassVar[tuple[str, ...]]

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
        props: dict[str, Any] = {name: None for name in self._output_names}
        props.update(kwargs)
        super().__init__(self._provider_class(), resource_name, props, opts)

    @classmethod
    def get(cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> Any:
        """Look up an existing object by its Pulumi id without managing it (read-only)."""
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        resource = cls.__new__(cls)
        Resource.__init__(resource, cls._provider_class(), resource_name, {n: None for n in cls._output_names}, opts)
        return resource
