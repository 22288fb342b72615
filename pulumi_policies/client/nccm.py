"""The NCCM configuration-policy collection (``/ux/nccm/configuration_policies/``)."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any

from ..models import ConfigurationPolicyRecord
from ._base import APIClient, checked_record, listed_items, pages, segment, valid_records
from .errors import NotFoundError

BASE = "/ux/nccm/configuration_policies/"
# How many of the newest policies one look-up reads when finding a policy just created (POST answers
# 201 with no body). One page normally suffices; more pages are read only while others create at once.
NEWEST_PAGE = 25
NEWEST_PAGES = 4


AUTH_SCHEMES = ("none", "ApiKey")


def authorization(api_key: str, scheme: str = "none") -> str:
    """The document shows the bare key (``Authorization: YOUR_API_KEY``); Infraon's API guide shows
    ``Authorization: ApiKey YOUR_API_KEY``. `scheme`: ``none`` (the bare key) or ``ApiKey``."""
    if scheme not in AUTH_SCHEMES:
        raise ValueError(f"unknown NCCM auth scheme {scheme!r}; choose one of: {', '.join(AUTH_SCHEMES)}")
    return api_key if scheme == "none" else f"{scheme} {api_key}"


class ConfigurationPolicies:
    def __init__(self, client: APIClient) -> None:
        self.client = client

    def list(self, *, page: int = 1, items_per_page: int = 100, sort: str | None = None,
             reverse: bool | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"items_per_page": items_per_page, "page": page}
        if sort:
            params["sort"] = sort
        if reverse is not None:
            params["reverse"] = "true" if reverse else "false"
        return listed_items(self.client.json("GET", BASE, params=params), "configuration policies")

    def pages(self, page_size: int = 100, sort: str | None = None) -> Iterator[builtins.list[dict[str, Any]]]:
        """Every page, in creation order (or by `sort`), read as ``client.pages`` reads any listing: to an empty
        page, the envelope's last, or the 404 a Django REST framework server answers for a page past the last."""
        params: dict[str, Any] = {"sort": sort} if sort else {}
        return pages(lambda paging: self.client.json("GET", BASE, params={**params, **paging}),
                     "configuration policies", first=1, size=page_size, size_param="items_per_page")

    def list_all(self, page_size: int = 100) -> builtins.list[dict[str, Any]]:
        """Every well-formed policy (see ``valid_records``), page after page, in creation order."""
        return [record for items in self.pages(page_size)
                for record in valid_records(ConfigurationPolicyRecord, items, "a configuration policy")]

    def create(self, body: dict[str, Any]) -> None:
        self.client.request("POST", BASE, json=body, ok=(200, 201, 204))

    def retrieve(self, policy_id: str) -> dict[str, Any] | None:
        try:
            return self._record(self.client.json("GET", f"{BASE}{segment(policy_id)}/"))
        except NotFoundError:
            return None

    def replace(self, policy_id: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """PUT (full replace). Returns the stored object when the server sends it back."""
        response = self.client.json("PUT", f"{BASE}{segment(policy_id)}/", json=body)
        return self._record(response) if response else None

    def delete(self, policy_id: str) -> None:
        try:
            self.client.request("DELETE", f"{BASE}{segment(policy_id)}/")
        except NotFoundError:
            pass  # already gone: what delete wanted

    def find(self, policyid: str, organization: str) -> dict[str, Any] | None:
        """The policy with this natural key, looked for among the newest: cost independent of the total."""
        for page in range(1, NEWEST_PAGES + 1):
            try:
                items = self.list(page=page, items_per_page=NEWEST_PAGE, sort="creationtime", reverse=True)
            except NotFoundError:
                if page == 1:
                    raise
                break  # a page past the last (Django REST framework answers it with 404 "Invalid page.")
            for item in items:
                if item.get("policyid") == policyid and item.get("organization") == organization:
                    return self._record(item)
            if len(items) < NEWEST_PAGE:
                break
        return None

    @staticmethod
    def _record(body: Any) -> dict[str, Any]:
        return checked_record(ConfigurationPolicyRecord, body, "a configuration policy")
