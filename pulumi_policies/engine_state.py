"""What the Pulumi engine writes that this package reads: the property keys it reserves and its URNs.

- Every property whose name starts with ``__`` is the engine's or the dynamic-provider SDK's (``__provider``: the
  pickled provider each output set must carry), never a policy field.
- A URN is ``urn:pulumi:<stack>::<project>::<type>::<name>``, where ``<type>`` of a component's child is
  ``<parent type>$<type>`` (pulumi/pulumi ``sdk/go/common/resource/urn.go``).
- A value not known yet is the placeholder ``UNKNOWN`` (pulumi ``runtime/rpc.py``), written here rather than
  imported: importing anything of ``pulumi`` imports ``pulumi.dynamic``, which the readers of the registry (the
  access model, the report, the pack) must not need. A test holds the two equal.
"""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN: a value known after apply

PROVIDER_KEY = "__provider"  # the pickled provider, which every output set the engine records must carry
RESERVED_PREFIX = "__"
# Which version of this package wrote a resource's outputs: recorded in the state beside ``__provider`` (a reserved
# key, so no reader takes it for a policy field), read by upgrades (docs/operations.md, "Upgrading").
WRITTEN_BY = "__written_by"
# Every import_id the program declares, handed to each policy set at check (never recorded: check leaves it out of
# the inputs it returns): providers/claims.py.
PROGRAM_CLAIMS = "__claims"


def stamped(outs: dict[str, Any]) -> dict[str, Any]:
    """`outs` as the state records them: with the version of this package that wrote them."""
    from ._version import __version__

    return {**outs, WRITTEN_BY: __version__}


def user_props(props: dict[str, Any] | None, *, drop_none: bool = False) -> dict[str, Any]:
    """The properties of a resource without the engine's own (``__provider``...); without None values if asked.
    A value not known yet is the one placeholder ``UNKNOWN`` at every depth: the dynamic-provider SDK hands
    check and diff a ``pulumi.output.Unknown`` object for each one inside a list or an object (pulumi
    runtime/rpc.py ``deserialize_property``), where a top-level comparison with the placeholder would miss it."""
    return {k: _marked(v) for k, v in (props or {}).items()
            if not k.startswith(RESERVED_PREFIX) and not (drop_none and v is None)}


def contains_unknown(value: Any) -> bool:
    """Is `value`, or anything inside it, the placeholder of a value not known yet?"""
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return bool(value == UNKNOWN)


def _marked(value: Any) -> Any:
    output = sys.modules.get("pulumi.output")  # an Unknown object exists only where the SDK is loaded
    if output is not None and isinstance(value, output.Unknown):
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
