"""What the Pulumi engine writes that this package reads: the property keys it reserves and its URNs.

- Every property whose name starts with ``__`` is the engine's or the dynamic-provider SDK's (``__provider``: the
  pickled provider each output set must carry), never a policy field.
- A URN is ``urn:pulumi:<stack>::<project>::<type>::<name>``, where ``<type>`` of a component's child is
  ``<parent type>$<type>`` (pulumi/pulumi ``sdk/go/common/resource/urn.go``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN  # the engine's placeholder for a value known after apply

PROVIDER_KEY = "__provider"  # the pickled provider, which every output set the engine records must carry
RESERVED_PREFIX = "__"


def user_props(props: dict[str, Any] | None, *, drop_none: bool = False) -> dict[str, Any]:
    """The properties of a resource without the engine's own (``__provider``...); without None values if asked.
    A value not known yet is the one placeholder ``UNKNOWN`` at every depth: the dynamic-provider SDK hands
    check and diff a ``pulumi.output.Unknown`` object for each one inside a list or an object (pulumi
    runtime/rpc.py ``deserialize_property``), where a top-level comparison with the placeholder would miss it."""
    return {k: _marked(v) for k, v in (props or {}).items()
            if not k.startswith(RESERVED_PREFIX) and not (drop_none and v is None)}


def _marked(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v) for v in value]
    return value


class Urn(NamedTuple):
    stack: str
    project: str
    type: str   # the resource's own type token (a component child's parent types removed)
    name: str


def parse_urn(urn: str) -> Urn:
    """The parts of a URN; a string that is not one gives empty parts, its whole self as the name."""
    parts = urn.split("::", 3)
    if len(parts) != 4:
        return Urn("", "", "", urn.rsplit("::", 1)[-1])
    return Urn(parts[0].removeprefix("urn:pulumi:"), parts[1], parts[2].rsplit("$", 1)[-1], parts[3])


def urn_name(urn: str) -> str:
    """The resource name a URN ends with (the name the program gave)."""
    return parse_urn(urn).name
