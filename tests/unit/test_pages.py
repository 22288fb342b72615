"""Listings page by page, whatever a server does: every item exactly once, or an error that says why."""

from __future__ import annotations

import random
from typing import Any

import pytest

from pulumi_policies.client import APIResponseError, NotFoundError, pages

ITEMS = [{"id": f"p{i:03d}", "name": f"n{i}"} for i in range(250)]


def collect(server, size: int = 100, first: int = 0) -> tuple[list[str], int]:
    calls = []

    def fetch(params: dict[str, Any]) -> Any:
        calls.append(params)
        return server(params["page"], params["size"])

    got = [i["id"] for batch in pages(fetch, "policies", first=first, size=size) for i in batch]
    return got, len(calls)


def britive(page: int, size: int) -> Any:
    return {"count": len(ITEMS), "page": page, "size": size, "data": ITEMS[page * size:(page + 1) * size]}


def test_britive_envelope_pages_until_count():
    got, calls = collect(britive)
    assert got == [i["id"] for i in ITEMS] and calls == 3


def test_bare_array_server_that_caps_the_page_size_is_read_to_the_end():
    got, calls = collect(lambda page, size: ITEMS[page * 50:(page + 1) * 50])  # asked 100, serves 50
    assert got == [i["id"] for i in ITEMS] and calls == 6  # 5 pages, then an empty one


def test_bare_array_server_that_ignores_paging_is_read_once_more_and_no_more():
    got, calls = collect(lambda page, size: ITEMS)
    assert got == [i["id"] for i in ITEMS] and calls == 2


def test_bare_array_in_changing_order_ends():
    def shuffled(page: int, size: int) -> list[dict[str, Any]]:
        items = ITEMS[:100]
        random.shuffle(items)
        return items

    got, calls = collect(shuffled)
    assert sorted(got) == [i["id"] for i in ITEMS[:100]] and calls == 2


def test_drf_404_past_the_last_page_ends_the_listing_but_not_on_the_first():
    def drf(page: int, size: int) -> Any:
        chunk = ITEMS[(page - 1) * size:page * size]
        if not chunk and page > 1:
            raise NotFoundError("Invalid page.", method="GET", url="u", status=404, body={"detail": "Invalid page."},
                                server_message="Invalid page.")
        return chunk

    got, _ = collect(drf, first=1)
    assert len(got) == 250
    with pytest.raises(NotFoundError):
        collect(lambda page, size: (_ for _ in ()).throw(NotFoundError("gone", method="GET", url="u", status=404,
                                                                       body=None, server_message="gone")))


def test_envelope_server_that_ignores_the_page_is_an_error_not_a_short_listing():
    with pytest.raises(APIResponseError, match="stopped after 100 of the 250"):
        collect(lambda page, size: {"count": 250, "page": 0, "size": size, "data": ITEMS[:size]})


def test_envelope_server_that_serves_less_than_the_size_it_echoes_is_read_to_its_count():
    got, _ = collect(lambda page, size: {"count": 250, "page": page, "size": size, "data": ITEMS[page * 50:(page + 1) * 50]})
    assert len(got) == 250


def test_drf_envelope_follows_next():
    def drf(page: int, size: int) -> Any:
        chunk = ITEMS[(page - 1) * size:page * size]
        return {"count": 250, "next": "u?page=x" if page * size < 250 else None, "previous": None, "results": chunk}

    got, calls = collect(drf, first=1)
    assert len(got) == 250 and calls == 3
