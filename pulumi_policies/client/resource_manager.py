"""Resource-manager policy collections: one class, two scopes.

- resource policies: ``/api/resource-manager/policies``
- profile policies:  ``/api/resource-manager/profiles/{profileId}/policies``

PATCH answers 204 with no body; DELETE answers 200 (resource policies) or 204 (profile policies).
GET/PATCH/DELETE address a policy by id (Britive's servers also take its name; the document does not).
Listings are read page by page where a server pages them (``{count, page, size, data}``, from page 0,
as Britive's own SDK reads them); a server that does not page ignores the parameters.
"""

from __future__ import annotations

import builtins
from typing import Any

from ..models import RmPolicyRecord
from ._base import APIClient, checked_record, pages, segment, valid_records
from .errors import NotFoundError

API = "/api/resource-manager"
PAGE_SIZE = 100  # Britive's SDK asks for pages of 100


def authorization(token: str) -> str:
    return f"TOKEN {token}"


class RmPolicyCollection:
    def __init__(self, client: APIClient, profile_id: str | None = None) -> None:
        self.client = client
        self.base = f"{API}/profiles/{segment(profile_id)}/policies" if profile_id is not None else f"{API}/policies"

    def list(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every policy of the collection (all pages), or those named `name`."""
        return _all_pages(self.client, self.base, "policies", {"filter": f"name eq {name}"} if name is not None else {})

    def list_all(self) -> builtins.list[dict[str, Any]]:
        """Every well-formed policy of the collection (see ``valid_records``)."""
        return valid_records(RmPolicyRecord, self.list(), "a policy")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.record(self.client.json("POST", self.base, json=body))

    def retrieve(self, policy_id: str) -> dict[str, Any] | None:
        try:
            return self.record(self.client.json("GET", f"{self.base}/{segment(policy_id)}"))
        except NotFoundError:
            return None

    def patch(self, policy_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH: 204 and no body per the document; a body, where a server sends one, is returned."""
        response = self.client.json("PATCH", f"{self.base}/{segment(policy_id)}", json=body)
        return self.record(response) if response else None

    def delete(self, policy_id: str) -> None:
        try:
            self.client.request("DELETE", f"{self.base}/{segment(policy_id)}")
        except NotFoundError:
            pass

    def named(self, name: str) -> builtins.list[dict[str, Any]]:
        """Every policy of exactly this name (a server's name filter may match more loosely)."""
        return [self.record(item) for item in self.list(name=name) if item.get("name") == name]

    def find(self, name: str) -> dict[str, Any] | None:
        return next(iter(self.named(name)), None)

    @staticmethod
    def record(body: Any) -> dict[str, Any]:
        """A policy from a server's answer, checked (an error names what is missing)."""
        return checked_record(RmPolicyRecord, body, "a policy")


class Profiles:
    """The profiles policies attach to (``/api/resource-manager/profiles``): listing is all export needs."""

    def __init__(self, client: APIClient) -> None:
        self.client = client

    def list(self) -> list[dict[str, Any]]:
        return _all_pages(self.client, f"{API}/profiles", "profiles", {})


def _all_pages(client: APIClient, path: str, what: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for items in pages(lambda paging: client.json("GET", path, params={**params, **paging}), what,
                       first=0, size=PAGE_SIZE):
        out += items
    return out
