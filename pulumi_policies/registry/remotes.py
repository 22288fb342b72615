"""The collections objects live in: one ``Remote`` (registry/spec.py) per API family, and the keys an
``import_id`` may name instead of a remote id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import unquote

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
)
from .listing import LISTINGS
from .spec import CONNECTION


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

    def fresh(self, remote_id: str) -> dict[str, Any] | None:
        """The object as the server holds it now: one GET, never served from a listing (before a write)."""
        return self.api.retrieve(remote_id)

    def listed(self, remote_id: str) -> dict[str, Any] | None:
        """The object for a refresh: served by one listing of the collection when many are read (listing.py)."""
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
