"""The listing that serves many reads: when it is used, when it is forgotten, and that it never drops a policy."""

from __future__ import annotations

from pulumi_policies.registry.listing import EAGER, MAX_AGE, Listings


class Server:
    def __init__(self, records):
        self.records = {r["id"]: r for r in records}
        self.gets = self.lists = 0

    def get(self, remote_id):
        self.gets += 1
        return self.records.get(remote_id)

    def list_all(self):
        self.lists += 1
        return list(self.records.values())


def test_first_reads_are_gets_then_one_listing_serves_the_rest():
    server = Server([{"id": str(i), "v": i} for i in range(100)])
    listings = Listings()
    got = [listings.retrieve("k", str(i), server.get, server.list_all) for i in range(100)]
    assert got == [{"id": str(i), "v": i} for i in range(100)]
    assert (server.gets, server.lists) == (EAGER, 1)


def test_missing_from_the_listing_is_read_directly_and_writes_forget():
    server = Server([{"id": "a"}, {"id": "b"}])
    listings = Listings()
    for _ in range(EAGER):
        listings.retrieve("k", "a", server.get, server.list_all)
    server.records["c"] = {"id": "c"}  # made after... the listing below will have it; "gone" never existed
    assert listings.retrieve("k", "gone", server.get, server.list_all) is None  # a GET said so, not the listing
    gets = server.gets
    server.records["a"] = {"id": "a", "changed": True}
    assert listings.retrieve("k", "a", server.get, server.list_all) == {"id": "a"}  # served by the listing
    listings.forget("k")  # a write to the collection
    assert listings.retrieve("k", "a", server.get, server.list_all) == {"id": "a", "changed": True}
    assert server.gets == gets and server.lists == 2


def test_a_listing_expires():
    now = [0.0]
    server = Server([{"id": "a"}])
    listings = Listings(clock=lambda: now[0])
    for _ in range(EAGER + 1):
        listings.retrieve("k", "a", server.get, server.list_all)
    now[0] = MAX_AGE + 1
    listings.retrieve("k", "a", server.get, server.list_all)
    assert server.lists == 2
