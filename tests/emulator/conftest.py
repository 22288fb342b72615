from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_policies.emulator import EmulatorServer

NCCM = "/ux/nccm/configuration_policies/"
RM = "/api/resource-manager"
PROFILES = {"profiles": [{"id": "prof-1", "name": "one"}, {"id": "prof-2", "name": "two"}]}


class Clients:
    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.nccm = httpx.Client(base_url=server.url, headers={"Authorization": server.nccm_api_key}, timeout=10)
        self.rm = httpx.Client(base_url=server.url, headers={"Authorization": f"TOKEN {server.rm_token}"},
                               timeout=10)
        self.anonymous = httpx.Client(base_url=server.url, timeout=10)

    def new_config(self, policyid: str, organization: str = "acme", **fields: Any) -> dict[str, Any]:
        """Create through the API (201, no body), then find it the way a client must: newest first."""
        r = self.nccm.post(NCCM, json={"policyid": policyid, "organization": organization, **fields})
        assert r.status_code == 201, r.text
        newest = self.nccm.get(NCCM, params={"items_per_page": 50, "page": 1, "sort": "creationtime",
                                              "reverse": "true"}).json()
        return next(p for p in newest if p["policyid"] == policyid and p["organization"] == organization)

    def close(self) -> None:
        for c in (self.nccm, self.rm, self.anonymous):
            c.close()


@pytest.fixture
def emulator(tmp_path) -> Iterator[EmulatorServer]:
    seed = tmp_path / "seed.json"
    seed.write_text(__import__("json").dumps(PROFILES))
    with EmulatorServer(seed_file=seed) as server:
        yield server


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[Clients]:
    clients = Clients(emulator)
    yield clients
    clients.close()
