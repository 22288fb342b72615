"""Reads served from one listing: a `pulumi refresh` of N policies costs a few list calls, not N GETs.

The provider process lives for one Pulumi run, so nothing here outlives a run. Within a run:

- the first ``EAGER`` reads of a collection are plain GETs (a lone read, e.g. ``X.get``, costs one call);
- after that, one listing of the whole collection (all pages) serves the reads that follow for
  ``MAX_AGE`` seconds, a listing no older than a read made a moment earlier;
- an id missing from the listing is read with a GET (a listing paged while others delete can skip an
  item: only a 404 may drop a resource from the state);
- a listing that fails (its profile deleted, an answer that does not parse) serves nothing: the reads
  go on as GETs, which drop what is gone and say what is wrong with the rest;
- any write to the collection (create, update, delete) forgets its listing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..client.errors import PolicyAPIError

EAGER = 3
MAX_AGE = 30.0  # seconds

Record = dict[str, Any]


@dataclass
class _CachedListing:
    lock: threading.Lock = field(default_factory=threading.Lock)
    reads: int = 0
    listing: dict[str, Record] | None = None
    fetched_at: float = 0.0


class Listings:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._collections: dict[Hashable, _CachedListing] = {}

    def _get(self, key: Hashable) -> _CachedListing:
        with self._lock:
            return self._collections.setdefault(key, _CachedListing())

    def retrieve(self, key: Hashable, remote_id: str, get_one: Callable[[str], Record | None],
                 list_all: Callable[[], list[Record]]) -> Record | None:
        collection = self._get(key)
        with collection.lock:
            collection.reads += 1
            fresh = collection.listing is not None and self._clock() - collection.fetched_at <= MAX_AGE
            if not fresh and collection.reads > EAGER:  # other reads of this collection wait for the listing
                try:
                    collection.listing = {str(r.get("id")): r for r in list_all()}
                except PolicyAPIError:
                    collection.listing = {}  # no listing to be had now: GETs until it is tried again
                collection.fetched_at, fresh = self._clock(), True
            found = collection.listing.get(remote_id) if fresh and collection.listing is not None else None
        return found if found is not None else get_one(remote_id)

    @contextmanager
    def writing(self, key: Hashable) -> Iterator[None]:
        """Around a write to the collection: its listing is forgotten once the write is done (or failed)."""
        try:
            yield
        finally:
            self.forget(key)

    def forget(self, key: Hashable) -> None:
        collection = self._get(key)
        with collection.lock:
            collection.listing = None


LISTINGS = Listings()
