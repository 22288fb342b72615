"""Resource-manager policy collections: one class, two scopes.

- resource policies: ``/api/resource-manager/policies``
- profile policies:  ``/api/resource-manager/profiles/{profileId}/policies``

PATCH answers 204 with no body; DELETE answers 200 (resource policies) or 204 (profile policies).
GET/PATCH/DELETE address a policy by id (Britive's servers also take its name; the document does not).
Listings are read page by page where a server pages them (``{count, page, size, data}``, from page 0,
as Britive's own SDK reads them); a server that does not page ignores the parameters.
A profile's policy order (Britive's prioritisation): ``ProfileOrdering``.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from ..models import RmPolicyRecord
from ._base import APIClient, checked_record, pages, segment, valid_records
from .errors import APIResponseError, NotFoundError

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


class ProfileOrdering:
    """A profile's policy prioritisation (Britive): whether its policies are evaluated in order, and the order.

    The wire, as Britive's own clients send it:
    - ``PATCH /profiles/{profileId}`` ``{"policyOrderingEnabled": true|false}``: 200 or 204 (britive-client-go
      resource_manager_profile.go 74-94 ``EnableDisableResourceManagerPolicyPrioritization``; britive 4.7.0
      access_broker/profiles/policy_prioritization.py 6-31, ``enable``/``disable``);
    - ``GET /profiles/{profileId}``: the profile, with ``policyOrderingEnabled`` (resource_manager_profile.go 96-116);
    - ``POST /profiles/{profileId}/policies/order`` ``[{"id": "<policyId>", "order": 0}, ...]``, a complete order
      (every policy once, 0 first): 200 with the same array (resource_manager_profile.go 157-180, which fails on a
      204; policy_prioritization.py 33-46 ``reorder``);
    - ``GET /profiles/{profileId}/policies``: each policy with its ``order`` while ordering is on
      (resource_manager_profile.go 182-200).
    Switched off, a profile keeps its order for when it is switched on again (policy_prioritization.py 19-31).
    """

    def __init__(self, client: APIClient, profile_id: str) -> None:
        self.client = client
        self.profile_id = profile_id
        self.path = f"{API}/profiles/{segment(profile_id)}"
        self.policies = RmPolicyCollection(client, profile_id)

    def profile(self) -> dict[str, Any] | None:
        """The profile (``policyOrderingEnabled`` among its fields), or None when it does not exist."""
        try:
            body = self.client.json("GET", self.path)
        except NotFoundError:
            return None
        if not isinstance(body, dict):
            raise APIResponseError(f"GET {self.client.redact(self.path)} answered with something that is not a "
                                   f"profile object (got {type(body).__name__})", method="GET", url=self.path)
        return body

    def set_enabled(self, enabled: bool) -> None:
        """Switch the profile's policy order on or off (off: the server's default evaluation; the order is kept)."""
        self.client.json("PATCH", self.path, json={"policyOrderingEnabled": enabled}, ok=(200, 204))

    def by_priority(self) -> builtins.list[dict[str, Any]]:
        """Every policy of the profile (all pages), highest priority (``order`` 0) first. Policies without an
        ``order`` (ordering off, or one the server has not placed) follow, in the order listed."""
        listed = self.policies.list()
        for index, item in enumerate(listed):
            if not isinstance(item.get("id"), str) or not item["id"]:
                raise APIResponseError(f"policy {index} of profile {self.profile_id!r} came back without an 'id' "
                                       f"(got {sorted(item)}): its place in the order cannot be sent")
        last = len(listed)

        def rank(pair: tuple[int, dict[str, Any]]) -> tuple[int, int]:
            index, item = pair
            order = item.get("order")
            return (order if isinstance(order, int) and not isinstance(order, bool) else last, index)

        return [item for _, item in sorted(enumerate(listed), key=rank)]

    def set_order(self, policy_ids: Sequence[str]) -> builtins.list[str]:
        """POST the complete order (`policy_ids`, highest priority first); the ids by priority as the server answers
        them (as sent, if its answer lists no order)."""
        body = [{"id": policy_id, "order": order} for order, policy_id in enumerate(policy_ids)]
        answer = self.client.json("POST", f"{self.path}/policies/order", json=body, ok=(200, 201, 204))
        if isinstance(answer, list) and answer and all(
                isinstance(i, dict) and isinstance(i.get("id"), str) and isinstance(i.get("order"), int) for i in answer):
            return [str(i["id"]) for i in sorted(answer, key=lambda i: int(i["order"]))]
        return list(policy_ids)
