"""What differs between the three resources, as data: model, remote collection, id format, keys.

A ``Remote`` gives the engine one set of verbs over either API family:
``create(body) -> record``, ``retrieve(id)`` (one GET, for what is about to be written), ``read(id)``
(a refresh's read, which may be served by the collection's listing, see listing.py),
``update(id, body) -> record | None``, ``delete(id)``, ``find(inputs) -> record | None`` (by natural
key, to adopt a create that landed unseen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from pydantic import BaseModel

from .. import settings
from ..client import APIClient, ConfigurationPolicies, PolicyCollection, segment
from ..client.errors import APIResponseError, AuthenticationError, PolicyAPIError
from ..models import ConfigurationPolicyArgs, ConfigurationPolicyRecord, PolicyRecord, ProfilePolicyArgs, ResourcePolicyArgs
from .listing import LISTINGS

TYPE_PREFIX = "pulumi-python:dynamic/pulumi_policies:"  # + kind: the type token of each resource


class Remote(Protocol):
    client: APIClient
    def create(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def retrieve(self, remote_id: str) -> dict[str, Any] | None: ...
    def read(self, remote_id: str) -> dict[str, Any] | None: ...
    def update(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any] | None: ...
    def delete(self, remote_id: str) -> None: ...
    def find(self, inputs: dict[str, Any]) -> dict[str, Any] | None: ...


class _Collection:
    """The verbs both API families share: reads (direct, or served by the listing) and delete."""

    api: Any
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


class NccmRemote(_Collection):
    """NCCM: POST answers 201 with no body, so a create finds its policy among the newest by natural key."""

    def __init__(self) -> None:
        self.api = ConfigurationPolicies(settings.nccm_client())
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


class ResourceManagerRemote(_Collection):
    """Resource manager: POST answers 201 with the object; PATCH answers 204 with nothing."""

    def __init__(self, profile_id: str | None) -> None:
        self.api = PolicyCollection(settings.resource_manager_client(), profile_id)
        self.key = (id(self.api.client), self.api.base)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        with LISTINGS.writing(self.key):
            return self.api.create(body)

    def update(self, remote_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        with LISTINGS.writing(self.key):
            return self.api.patch(remote_id, body)

    def find(self, inputs: dict[str, Any]) -> dict[str, Any] | None:
        return self.api.find(inputs["name"])


@dataclass(frozen=True)
class ResourceSpec:
    kind: str                                   # type name: pulumi-python:dynamic/pulumi_policies:<kind>
    args_model: type[BaseModel]                 # inputs, validated at check
    record_model: type[BaseModel]               # what a server returns (lenient): outputs are built from it
    remote: Callable[[dict[str, Any]], Remote]  # the collection an object lives in, from its scope
    natural_key: tuple[str, ...]                # what identifies an object besides its id
    scope_fields: tuple[str, ...] = ()          # inputs that are path parameters, not body fields
    id_output: str | None = None                # output holding the remote id, where the Pulumi id is not it
    full_replace: bool = False                  # update is a PUT of every field (else a PATCH)
    wire_by_alias: bool = True                  # request bodies use the models' aliases (camelCase)
    describe_scope: Callable[[dict[str, Any]], str] = lambda inputs: ""

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
        return f"{self.kind} ({key}{scope})"


CONFIGURATION_POLICY = ResourceSpec(
    kind="ConfigurationPolicy",
    args_model=ConfigurationPolicyArgs,
    record_model=ConfigurationPolicyRecord,
    remote=lambda scope: NccmRemote(),
    natural_key=("policyid", "organization"),
    full_replace=True,
    wire_by_alias=False,
)

PROFILE_POLICY = ResourceSpec(
    kind="ProfilePolicy",
    args_model=ProfilePolicyArgs,
    record_model=PolicyRecord,
    remote=lambda scope: ResourceManagerRemote(scope["profile_id"]),
    natural_key=("name",),
    scope_fields=("profile_id",),
    id_output="policy_id",
    describe_scope=lambda inputs: f" in profile {inputs.get('profile_id')!r}",
)

RESOURCE_POLICY = ResourceSpec(
    kind="ResourcePolicy",
    args_model=ResourcePolicyArgs,
    record_model=PolicyRecord,
    remote=lambda scope: ResourceManagerRemote(None),
    natural_key=("name",),
    id_output="policy_id",
)

SPECS = {s.kind: s for s in (CONFIGURATION_POLICY, PROFILE_POLICY, RESOURCE_POLICY)}
