"""What a resource kind is, as data: one ``ResourceSpec`` per kind in ``SPECS``, and how its policy sets are named.

Nothing here imports ``pulumi``: the readers of the registry (the access model, the report, ``export``, the policy
pack) learn what a kind is without loading the dynamic-provider SDK. The providers (``providers/``) turn each spec
into provider classes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from pydantic import BaseModel

from ..client import APIClient, segment
from ..engine_state import contains_unknown
from ..models import Marker, fields_with

CONNECTION = "connection"  # every resource's input naming its connection (connections.py): part of its scope
IMPORT_ID = "import_id"  # every resource's input naming an existing object to adopt (an id or a natural key)
TYPE_MODULE = "pulumi_policies"
TYPE_PREFIX = f"pulumi-python:dynamic/{TYPE_MODULE}:"  # + kind: the type token of each resource

SET_SUFFIX = "Set"  # a set's kind: its items' kind + "Set" (ResourcePolicySet holds ResourcePolicy items)
ITEMS = "policies"  # a set's input and output holding its items
IDS = "ids"         # a set's output holding each item's Pulumi id


class Remote(Protocol):
    """One set of verbs over either API family (registry/remotes.py): ``create(body) -> record``, ``fresh(id)``
    (one GET, for what is about to be written), ``listed(id)`` (a refresh's read, which may be served by the
    collection's listing, see listing.py), ``update(id, body) -> record | None``, ``delete(id)``, ``find(inputs)
    -> record | None`` (by natural key, to adopt a create that landed unseen), ``listing()`` (every object of the
    collection, for export)."""

    @property
    def client(self) -> APIClient: ...
    def create(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def fresh(self, remote_id: str) -> dict[str, Any] | None: ...
    def listed(self, remote_id: str) -> dict[str, Any] | None: ...
    def update(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any] | None: ...
    def delete(self, remote_id: str) -> None: ...
    def find(self, inputs: dict[str, Any]) -> dict[str, Any] | None: ...
    def matching(self, key: Mapping[str, Any]) -> list[dict[str, Any]]: ...
    def listing(self) -> Iterator[dict[str, Any]]: ...


@dataclass(frozen=True)
class ResourceSpec:
    kind: str                                   # type name: pulumi-python:dynamic/pulumi_policies:<kind>
    args_model: type[BaseModel]                 # inputs, validated at check
    record_model: type[BaseModel]               # what a server returns (lenient): outputs are built from it
    remote: Callable[[dict[str, Any]], Remote]  # the collection an object lives in, from its scope (scope_of)
    natural_key: tuple[str, ...]                # what identifies an object besides its id
    scope_fields: tuple[str, ...] = ()          # inputs that are path parameters, not body fields
    id_output: str | None = None                # output holding the remote id, where the Pulumi id is not it
    full_replace: bool = False                  # update is a PUT of every field (else a PATCH)
    family: str = "rm"                          # its API family (connections.FAMILIES): where its server is
    wire_by_alias: bool = True                  # request bodies use the models' aliases (camelCase)
    describe_scope: Callable[[Mapping[str, Any]], str] = lambda inputs: ""
    # Every scope objects of this kind live in, narrowed by `only` (scope field -> id or name): for export.
    scopes: Callable[[Mapping[str, str]], Iterable[dict[str, Any]]] = lambda only: [{}]
    title_fields: tuple[str, ...] = ("name",)   # what a report and an export call an object: the first set
    import_from: str = "pulumi_policies"        # the module users import its resource class from
    # An import_id that is a natural key rather than a remote id: the key's values (scope included), else None.
    import_key: Callable[[str, Mapping[str, Any]], dict[str, Any] | None] = lambda import_id, inputs: None
    # An import_id that names no object by id is then tried as a name (Terraform imports resource policies by name).
    import_bare_name: bool = False

    @property
    def type_token(self) -> str:
        return TYPE_PREFIX + self.kind

    @property
    def set_kind(self) -> str:
        """The kind of its policy sets (``<kind>Set``)."""
        return self.kind + SET_SUFFIX

    @property
    def grants_access(self) -> bool:
        """Does it grant access to members (a GRANTS field)? Then the policy pack's access rules apply."""
        return bool(fields_with(self.args_model, Marker.GRANTS))

    def title(self, *values: Mapping[str, Any]) -> str | None:
        """The object's own name from the first of `values` (inputs, outputs...) that has a title field set."""
        for value in values:
            for name in self.title_fields:
                if value.get(name):
                    return str(value[name])
        return None

    def scope_of(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Where an object lives, from its inputs or outputs: its scope fields, and its connection if named."""
        scope = {f: values.get(f) for f in self.scope_fields}
        if values.get(CONNECTION) is not None:
            scope[CONNECTION] = values[CONNECTION]
        return scope

    # -- ids ----------------------------------------------------------------------------------------
    def pulumi_id(self, scope: dict[str, Any], remote_id: str) -> str:
        """The Pulumi id: the remote id, prefixed by the escaped scope where there is one."""
        return "/".join([*(segment(str(scope[f])) for f in self.scope_fields), segment(remote_id)]) \
            if self.scope_fields else remote_id

    def parse_id(self, pulumi_id: str) -> tuple[dict[str, str], str]:
        if not self.scope_fields:
            return {}, pulumi_id
        parts = pulumi_id.split("/")
        if len(parts) != len(self.scope_fields) + 1 or not all(parts):
            shape = "/".join([*(f"<{f}>" for f in self.scope_fields), "<policy id>"])
            raise ValueError(f"{self.kind} id {pulumi_id!r} is not of the form {shape}")
        return {f: unquote(p) for f, p in zip(self.scope_fields, parts, strict=False)}, unquote(parts[-1])

    def describe(self, inputs: dict[str, Any]) -> str:
        key = ", ".join(f"{k} {inputs.get(k)!r}" for k in self.natural_key)
        scope = self.describe_scope(inputs)
        on = f" on connection {inputs[CONNECTION]!r}" if inputs.get(CONNECTION) else ""
        return f"{self.kind} ({key}{scope}{on})"


SPECS: dict[str, ResourceSpec] = {}


def register(spec: ResourceSpec) -> ResourceSpec:
    """Add a resource to the registry (once per kind): everything that reads SPECS picks it up."""
    if SPECS.get(spec.kind, spec) is not spec:
        raise ValueError(f"a resource of kind {spec.kind!r} is registered already")
    SPECS[spec.kind] = spec
    return spec


# -- policy sets: many policies of one kind as one resource (providers/sets.py) ----------------------------------
def item_spec(set_kind: str) -> ResourceSpec | None:
    """The spec of the items of a set kind (``ResourcePolicySet`` -> ResourcePolicy's); None if it names no set."""
    if not set_kind.endswith(SET_SUFFIX):
        return None
    return SPECS.get(set_kind.removesuffix(SET_SUFFIX))


def set_kinds() -> set[str]:
    """Every set kind: each registered kind has one."""
    return {spec.set_kind for spec in SPECS.values()}


def _part(value: Any) -> str:
    """One part of a key, escaped so that keys stay apart and never look like a placeholder (``#<index>``)."""
    return str(value).replace("%", "%25").replace("/", "%2F").replace("#", "%23")


def item_key(spec: ResourceSpec, inputs: Mapping[str, Any]) -> str | None:
    """What keys an item in its set: its scope and natural key values, ``/``-separated (``/``, ``%`` and ``#``
    in a value escaped as in a URL); None while one is not known."""
    values = [inputs.get(f) for f in (*spec.scope_fields, *spec.natural_key)]
    if any(v is None or contains_unknown(v) for v in values):
        return None
    return "/".join(_part(v) for v in values)


def items_of(value: Any) -> list[Any] | None:
    """The items a program gave (a list), or the keyed items a state recorded (a rollback re-declares those).
    Any mapping or sequence will do: the policy pack sees them through pulumi-policy's proxies."""
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value) if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else None


def item_label(set_name: str, key: str) -> str:
    """How the report, the policy pack and recover name a policy of a set: ``<set>[<key>]``."""
    return f"{set_name}[{key}]"
