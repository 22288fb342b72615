"""Resource-manager policy collections: one class, two scopes.

- resource policies: ``/api/resource-manager/policies``
- profile policies:  ``/api/resource-manager/profiles/{profileId}/policies``

PATCH answers 204 with no body; DELETE answers 200 (resource policies) or 204 (profile policies).
GET/PATCH/DELETE address a policy by id (the server also accepts its name).
"""

from __future__ import annotations

from typing import Any

from ..models import PolicyRecord
from ._base import APIClient, checked_record, items_of, segment, valid_records
from .errors import NotFoundError

API = "/api/resource-manager"


def authorization(token: str) -> str:
    return f"TOKEN {token}"


class PolicyCollection:
    def __init__(self, client: APIClient, profile_id: str | None = None) -> None:
        self.client = client
        self.base = f"{API}/profiles/{segment(profile_id)}/policies" if profile_id is not None else f"{API}/policies"

    def list(self, name: str | None = None) -> list[dict[str, Any]]:
        params = {"filter": f"name eq {name}"} if name is not None else None
        return items_of(self.client.json("GET", self.base, params=params), "policies")

    def list_all(self) -> list[dict[str, Any]]:
        """Every well-formed policy of the collection (see ``valid_records``)."""
        return valid_records(PolicyRecord, self.list(), "a policy")

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._record(self.client.json("POST", self.base, json=body))

    def retrieve(self, policy_id: str) -> dict[str, Any] | None:
        try:
            return self._record(self.client.json("GET", f"{self.base}/{segment(policy_id)}"))
        except NotFoundError:
            return None

    def patch(self, policy_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH: 204 and no body per the document; a body, where a server sends one, is returned."""
        response = self.client.json("PATCH", f"{self.base}/{segment(policy_id)}", json=body)
        return self._record(response) if response else None

    def delete(self, policy_id: str) -> None:
        try:
            self.client.request("DELETE", f"{self.base}/{segment(policy_id)}")
        except NotFoundError:
            pass

    def find(self, name: str) -> dict[str, Any] | None:
        for item in self.list(name=name):
            if item.get("name") == name:
                return self._record(item)
        return None

    @staticmethod
    def _record(body: Any) -> dict[str, Any]:
        return checked_record(PolicyRecord, body, "a policy")


class Profiles:
    """The profiles policies attach to (``/api/resource-manager/profiles``): listing is all export needs."""

    def __init__(self, client: APIClient) -> None:
        self.client = client

    def list(self) -> list[dict[str, Any]]:
        return items_of(self.client.json("GET", f"{API}/profiles"), "profiles")
