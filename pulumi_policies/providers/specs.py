"""The registry of resources: everything that differs between them, as data, in one ``ResourceSpec`` each.

The provider engine, the resource classes, ``export``, the review report, the policy pack and the CLI's
choices all read ``SPECS``; none of them names a resource. Adding one is a spec here (``register``), its
model pair in ``models/``, its resource class in ``resources/`` and its tests (docs/DESIGN.md, "Adding a
resource").

A ``Remote`` gives the engine one set of verbs over either API family:
``create(body) -> record``, ``retrieve(id)`` (one GET, for what is about to be written), ``read(id)``
(a refresh's read, which may be served by the collection's listing, see listing.py),
``update(id, body) -> record | None``, ``delete(id)``, ``find(inputs) -> record | None`` (by natural
key, to adopt a create that landed unseen), ``listing()`` (every object of the collection, for export).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from pydantic import BaseModel

from .. import connections
from ..client import (
    APIClient,
    APIResponseError,
    APIStatusError,
    AuthenticationError,
    ConfigurationPolicies,
    PolicyAPIError,
    Profiles,
    RmPolicyCollection,
    segment,
)
from ..models import (
    ConfigurationPolicyArgs,
    ConfigurationPolicyRecord,
    Marker,
    ProfilePolicyArgs,
    ResourcePolicyArgs,
    RmPolicyRecord,
    fields_with,
)
from .listing import LISTINGS

CONNECTION = "connection"  # every resource's input naming its connection (connections.py): part of its scope
TYPE_MODULE = "pulumi_policies"
TYPE_PREFIX = f"pulumi-python:dynamic/{TYPE_MODULE}:"  # + kind: the type token of each resource


class Remote(Protocol):
    @property
    def client(self) -> APIClient: ...
    def create(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def retrieve(self, remote_id: str) -> dict[str, Any] | None: ...
    def read(self, remote_id: str) -> dict[str, Any] | None: ...
    def update(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any] | None: ...
    def delete(self, remote_id: str) -> None: ...
    def find(self, inputs: dict[str, Any]) -> dict[str, Any] | None: ...
    def matching(self, key: Mapping[str, Any]) -> list[dict[str, Any]]: ...
    def listing(self) -> Iterator[dict[str, Any]]: ...


class _Collection(Protocol):
    """What CollectionRemote uses of an API collection (ConfigurationPolicies, RmPolicyCollection)."""

    @property
    def client(self) -> APIClient: ...
    def retrieve(self, policy_id: str) -> dict[str, Any] | None: ...
    def list_all(self) -> list[dict[str, Any]]: ...
    def delete(self, policy_id: str) -> None: ...


class CollectionRemote:
    """The verbs both API families share: reads (direct, or served by the listing) and delete."""

    api: _Collection
    key: tuple[Any, ...]  # the collection's listing

    @property
    def client(self) -> APIClient:
        """The connection: its retry policy governs every call, and a create's attempts (see engine)."""
        return self.api.client

    def retrieve(self, remote_id: str) -> dict[str, Any] | None:
        return self.api.retrieve(remote_id)

    def read(self, remote_id: str) -> dict[str, Any] | None:
        return LISTINGS.retrieve(self.key, remote_id, self.api.retrieve, self.api.list_all)

    def delete(self, remote_id: str) -> None:
        with LISTINGS.writing(self.key):
            self.api.delete(remote_id)


class NccmRemote(CollectionRemote):
    """NCCM: POST answers 201 with no body, so a create finds its policy among the newest by natural key."""

    api: ConfigurationPolicies

    def __init__(self, connection: str | None = None) -> None:
        self.api = ConfigurationPolicies(connections.nccm_client(connection))
        self.key = (id(self.api.client), "nccm")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        with LISTINGS.writing(self.key):
            self.api.create(body)
        # The policy exists from here on. The look-up's GETs are retried by the connection's retry policy like
        # any other; if it still fails, say that the policy exists, so that it is adopted rather than orphaned.
        try:
            record = self.find(body)
        except AuthenticationError:
            raise
        except PolicyAPIError as exc:
            raise APIResponseError(
                f"the policy was created (POST answered 201) but looking it up failed: {exc}. It exists on the "
                "server: run `pulumi up` again and follow the import_id hint, or delete it.") from None
        if record is None:
            raise APIResponseError(
                f"POST {self.api.client.redact('/ux/nccm/configuration_policies/')} answered 201, but no policy "
                f"with policyid {body.get('policyid')!r} in organization {body.get('organization')!r} is listed.")
        return record

    def update(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        with LISTINGS.writing(self.key):
            return self.api.replace(remote_id, body)

    def find(self, inputs: dict[str, Any]) -> dict[str, Any] | None:
        return self.api.find(inputs["policyid"], inputs["organization"])

    def matching(self, key: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = self.api.find(key["policyid"], key["organization"])  # unique together: one at most
        return [found] if found is not None else []

    def listing(self) -> Iterator[dict[str, Any]]:
        for items in self.api.pages(100, sort="creationtime"):
            yield from items


class ResourceManagerRemote(CollectionRemote):
    """Resource manager: POST answers 201 with the object; PATCH answers 204 with nothing."""

    api: RmPolicyCollection

    def __init__(self, profile_id: str | None, connection: str | None = None) -> None:
        self.api = RmPolicyCollection(connections.resource_manager_client(connection), profile_id)
        self.key = (id(self.api.client), self.api.base)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        with LISTINGS.writing(self.key):
            return self.api.create(body)

    def update(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        with LISTINGS.writing(self.key):
            return self.api.patch(remote_id, body)

    def find(self, inputs: dict[str, Any]) -> dict[str, Any] | None:
        return self.api.find(inputs["name"])

    def matching(self, key: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self.api.named(key["name"])

    def listing(self) -> Iterator[dict[str, Any]]:
        yield from self.api.list()


NAME_PREFIX = "name:"
# The import ids of Britive's Terraform provider (britive/resources/resourcemanager/
# resource_resource_manager_profile_policy.go and ..._resource_policy.go, Importer): the last part is a policy name.
TF_PROFILE_POLICY = re.compile(r"^/?(?:api/)?resource-manager/profiles/(?P<profile_id>[^/]+)/policies/(?P<name>[^/]+)$")
TF_RESOURCE_POLICY = re.compile(r"^/?(?:api/)?resource-manager/policies/(?P<name>[^/]+)$")


def by_name(import_id: str, inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """``"name:<name>"``, or Terraform's ``"resource-manager/policies/<name>"``: the object of that name (in the
    declared scope). A bare string is a remote id first (see ``ResourceSpec.import_bare_name``)."""
    if import_id.startswith(NAME_PREFIX):
        return {"name": import_id[len(NAME_PREFIX):]} if import_id[len(NAME_PREFIX):] else None
    found = TF_RESOURCE_POLICY.match(import_id)
    return {"name": unquote(found["name"])} if found else None


def by_profile_and_name(import_id: str, inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """What Britive's Terraform provider imports, ``"resource-manager/profiles/<profile_id>/policies/<name>"`` and
    ``"<profile_id>/<name>"``, for the declared profile; or ``"name:<name>"``. Anything else, a ``/`` in a remote id
    included, is a remote id. A key naming another profile than the declared one is an error (said, not guessed)."""
    found = TF_PROFILE_POLICY.match(import_id)
    if found:
        key = {"profile_id": unquote(found["profile_id"]), "name": unquote(found["name"])}
        if key["profile_id"] != inputs.get("profile_id"):
            raise ValueError(f"import_id {import_id!r} names a policy of profile {key['profile_id']!r}, but the "
                             f"program declares profile_id {inputs.get('profile_id')!r}: declare that profile_id")
        return key
    head, sep, tail = import_id.partition("/")
    if sep and tail and head == inputs.get("profile_id") and not import_id.startswith(NAME_PREFIX):
        return {"profile_id": head, "name": tail}
    return by_name(import_id, inputs)


def by_policyid_and_organization(import_id: str, inputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """``"<policyid>/<organization>"`` of the declared organization: an NCCM policy's natural key, in the order its
    policy-set key has. ``"<organization>/<policyid>"``, the order earlier releases took, is still accepted."""
    head, sep, tail = import_id.rpartition("/")
    if sep and head and tail == inputs.get("organization"):
        return {"policyid": head, "organization": tail}
    head, sep, tail = import_id.partition("/")
    return {"organization": head, "policyid": tail} if sep and tail and head == inputs.get("organization") else None


def profile_scopes(only: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """Every profile (its id as ``profile_id``), or the one ``only["profile_id"]`` names by id or name.

    Listing profiles (``GET /api/resource-manager/profiles``) is not in the policy API's document: where a
    server does not offer it, a profile named in `only` is taken as its id."""
    wanted = only.get("profile_id")
    try:
        profiles = Profiles(connections.resource_manager_client(only.get(CONNECTION))).list()
    except APIStatusError as exc:
        if exc.status not in (404, 405):
            raise
        if wanted is None:
            raise APIStatusError(
                f"{exc} This server does not list its profiles; name the profile to export with "
                "--profile <profile id> (once per run).", method=exc.method, url=exc.url, status=exc.status,
                body=exc.body, server_message=exc.server_message) from None
        profiles = [{"id": wanted}]
    for profile in profiles:
        if wanted is None or wanted in (profile.get("id"), profile.get("name")):
            yield {"profile_id": profile["id"]}


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


CONFIGURATION_POLICY = ResourceSpec(
    kind="ConfigurationPolicy",
    args_model=ConfigurationPolicyArgs,
    record_model=ConfigurationPolicyRecord,
    remote=lambda scope: NccmRemote(scope.get(CONNECTION)),
    natural_key=("policyid", "organization"),
    full_replace=True,
    wire_by_alias=False,
    title_fields=("name", "policyid"),
    import_key=by_policyid_and_organization,
)

PROFILE_POLICY = ResourceSpec(
    kind="ProfilePolicy",
    args_model=ProfilePolicyArgs,
    record_model=RmPolicyRecord,
    remote=lambda scope: ResourceManagerRemote(scope["profile_id"], scope.get(CONNECTION)),
    natural_key=("name",),
    scope_fields=("profile_id",),
    id_output="policy_id",
    describe_scope=lambda inputs: f" in profile {inputs.get('profile_id')!r}",
    scopes=profile_scopes,
    import_key=by_profile_and_name,
)

RESOURCE_POLICY = ResourceSpec(
    kind="ResourcePolicy",
    args_model=ResourcePolicyArgs,
    record_model=RmPolicyRecord,
    remote=lambda scope: ResourceManagerRemote(None, scope.get(CONNECTION)),
    natural_key=("name",),
    id_output="policy_id",
    import_key=by_name,
    import_bare_name=True,
)

SPECS: dict[str, ResourceSpec] = {}


def register(spec: ResourceSpec) -> ResourceSpec:
    """Add a resource to the registry (once per kind): everything that reads SPECS picks it up."""
    if SPECS.get(spec.kind, spec) is not spec:
        raise ValueError(f"a resource of kind {spec.kind!r} is registered already")
    SPECS[spec.kind] = spec
    return spec


for _spec in (CONFIGURATION_POLICY, PROFILE_POLICY, RESOURCE_POLICY):
    register(_spec)
