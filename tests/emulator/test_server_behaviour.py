"""The emulator as a server: persistence, faults, admin API, concurrency, and its command line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from pulumi_policies.emulator import EmulatorServer

from .conftest import NCCM, RM, Clients


def test_everything_survives_a_restart(tmp_path):
    data = tmp_path / "data"
    keys = {"nccm_api_key": "k", "rm_token": "t", "admin_token": "a"}
    with EmulatorServer(data_dir=data, **keys) as first:
        api = Clients(first)
        api.new_config("p1")
        profile = api.rm.post(f"{RM}/profiles", json={"name": "persisted"}).json()
        api.rm.post(f"{RM}/profiles/{profile['id']}/policies", json={"name": "pp"})
        api.rm.post(f"{RM}/policies", json={"name": "rp"})
        before = first.admin.dump()
        api.close()
    with EmulatorServer(data_dir=data, **keys) as second:
        assert second.admin.dump() == before
        api = Clients(second)
        api.new_config("p2")  # ids and order keep going after a restart
        assert [p["policyid"] for p in api.nccm.get(NCCM, params={"items_per_page": 9, "page": 1}).json()] == ["p1", "p2"]
        api.close()


def test_admin_api_needs_its_token_and_resets(api):
    for header in ({}, {"Authorization": f"Bearer {api.server.nccm_api_key}"}):
        assert httpx.get(f"{api.server.url}/_emulator/dump", headers=header).status_code == 401
    api.new_config("p1")
    api.rm.post(f"{RM}/profiles/prof-1/policies", json={"name": "x"})
    api.server.admin.set_faults([{"kind": "latency", "latency_ms": 1}])
    api.server.admin.reset()
    dump = api.server.admin.dump()
    assert dump["configuration_policies"] == [] and dump["profile_policies"] == []
    assert {p["id"] for p in dump["profiles"]} == {"prof-1", "prof-2"}  # the seed is applied again
    assert api.server.admin.faults() == [] and api.server.admin.requests()["total"] == 0


def test_request_log_counts_per_method_and_route_and_skips_admin_calls(api):
    api.server.admin.clear_requests()
    first = api.new_config("p1")
    api.nccm.get(f"{NCCM}{first['id']}/")
    api.rm.get(f"{RM}/policies/some-name")
    api.server.admin.dump()
    log = api.server.admin.requests()
    assert log["counts"] == {"POST /ux/nccm/configuration_policies/": 1, "GET /ux/nccm/configuration_policies/": 1,
                             "GET /ux/nccm/configuration_policies/{policy_id}/": 1,
                             "GET /api/resource-manager/policies/{ref}": 1}
    assert log["total"] == 4 and [e["status"] for e in log["entries"]] == [201, 200, 200, 404]


def test_error_fault_with_after_and_count(api):
    api.server.admin.set_faults([{"kind": "error", "status": 502, "method": "GET", "path": "/api/*",
                                  "after": 1, "count": 2}])
    codes = [api.rm.get(f"{RM}/policies").status_code for _ in range(5)]
    assert codes == [200, 502, 502, 200, 200]
    assert api.nccm.get(NCCM, params={"items_per_page": 1, "page": 1}).status_code == 200  # path not matched
    [rule] = api.server.admin.faults()
    assert rule["fired"] == 2 and rule["seen"] == 5
    faulted = [e for e in api.server.admin.requests()["entries"] if e.get("fault")]
    assert [e["status"] for e in faulted] == [502, 502]


def test_error_rate_is_a_probability(tmp_path):
    with EmulatorServer(faults=[{"kind": "error", "rate": 0.3}], fault_seed=7) as server:
        api = Clients(server)
        codes = [api.rm.get(f"{RM}/policies").status_code for _ in range(200)]
        api.close()
    failures = codes.count(503)
    assert 30 <= failures <= 90 and set(codes) == {200, 503}


def test_rate_limit_carries_retry_after_and_is_logged(api):
    api.server.admin.set_faults([{"kind": "rate_limit", "retry_after": 3, "count": 1}])
    r = api.rm.get(f"{RM}/policies")
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    assert api.rm.get(f"{RM}/policies").status_code == 200
    entries = api.server.admin.requests()["entries"]
    assert [e["status"] for e in entries] == [429, 200] and entries[0]["fault"] == "rate_limit"


def test_dropped_connection_and_apply(api):
    api.server.admin.set_faults([{"kind": "drop", "method": "POST", "count": 1, "apply": True}])
    with pytest.raises(httpx.TransportError):  # closed (RemoteProtocolError) or reset (ReadError)
        api.rm.post(f"{RM}/policies", json={"name": "landed"})
    # the write happened although its answer was lost: the ambiguous case clients must handle
    assert [p["name"] for p in api.rm.get(f"{RM}/policies").json()] == ["landed"]
    api.server.admin.set_faults([{"kind": "drop", "count": 1}])
    with pytest.raises(httpx.TransportError):  # closed (RemoteProtocolError) or reset (ReadError)
        api.rm.post(f"{RM}/policies", json={"name": "lost"})
    assert [p["name"] for p in api.rm.get(f"{RM}/policies").json()] == ["landed"]


def test_a_client_gone_mid_request_is_logged_without_a_traceback(api, caplog):
    """A killed `pulumi up` leaves half-sent requests behind: the server notes them, it does not crash on them."""
    host, port = api.server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"POST {RM}/policies HTTP/1.1\r\nHost: x\r\nAuthorization: TOKEN {api.server.rm_token}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":".encode())
    deadline = time.monotonic() + 5
    while not api.server.admin.requests()["entries"] and time.monotonic() < deadline:
        time.sleep(0.05)
    [entry] = api.server.admin.requests()["entries"]
    assert entry["status"] == 0
    assert "Exception in ASGI application" not in caplog.text
    assert api.rm.get(f"{RM}/policies").json() == []


def test_latency_with_jitter(api):
    api.server.admin.set_faults([{"kind": "latency", "latency_ms": 150, "jitter_ms": 50, "path": "/api/*"}])
    started = time.perf_counter()
    assert api.rm.get(f"{RM}/policies").status_code == 200
    assert time.perf_counter() - started >= 0.15
    assert api.server.admin.requests()["entries"][-1]["ms"] >= 150


def test_invalid_fault_rules_are_rejected(api):
    r = httpx.put(f"{api.server.url}/_emulator/faults", json=[{"kind": "explode"}],
                  headers={"Authorization": f"Bearer {api.server.admin_token}"})
    assert r.status_code == 400 and "kind" in r.json()["error"]


def test_sixteen_concurrent_clients_lose_no_update(api):
    """16 clients: half append to one shared policy (read-modify-write through PATCH), half create their own."""
    shared = api.rm.post(f"{RM}/policies", json={"name": "shared", "resourceLabels": {"seen": []}}).json()
    statuses: list[int] = []
    lock = threading.Lock()

    def shared_writer(n: int) -> None:
        client = Clients(api.server)
        for i in range(10):
            # Each writer owns its label key: a lost PATCH would lose that key's value.
            r = client.rm.patch(f"{RM}/policies/{shared['id']}",
                                json={"description": f"w{n}-{i}", "members": {"users": [{"name": f"w{n}"}]}})
            r2 = client.rm.post(f"{RM}/profiles/prof-1/policies", json={"name": f"w{n}-{i}"})
            with lock:
                statuses.extend([r.status_code, r2.status_code])
        client.close()

    def own_writer(n: int) -> None:
        client = Clients(api.server)
        mine = client.rm.post(f"{RM}/policies", json={"name": f"own-{n}", "description": "0"}).json()
        for i in range(1, 11):
            r = client.rm.patch(f"{RM}/policies/{mine['id']}", json={"description": str(i)})
            client.new_config(f"c{n}-{i}")
            with lock:
                statuses.append(r.status_code)
        client.close()

    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            (shared_writer if n % 2 else own_writer)(n)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert statuses and all(s in (201, 204) for s in statuses), sorted(set(statuses))
    dump = api.server.admin.dump()
    assert len(dump["profile_policies"]) == 8 * 10  # every create landed, none twice
    assert len(dump["configuration_policies"]) == 8 * 10
    own = {p["name"]: p["description"] for p in dump["resource_policies"] if p["name"].startswith("own-")}
    assert own == {f"own-{n}": "10" for n in range(0, 16, 2)}  # every writer's last update is there
    [final] = [p for p in dump["resource_policies"] if p["name"] == "shared"]
    writer = final["description"].split("-")[0]
    assert final["members"]["users"] == [{"name": writer}]  # one PATCH whole, never a mix of two


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pulumi_policies.cli", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def test_serve_prints_its_url_and_credentials_and_serves(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"profiles": [{"id": "p", "name": "n"}]}))
    proc = _serve("--memory", "--seed-file", str(seed), "--profile", "britive",
                  env={"PULUMI_POLICIES_RM_TOKEN": "from-env"})
    try:
        info = {}
        while len(info) < 4:
            key, _, value = proc.stdout.readline().partition(": ")
            info[key] = value.strip()
        assert info["url"].startswith("http://127.0.0.1:") and info["rm_token"] == "from-env"
        r = httpx.get(f"{info['url']}{RM}/profiles", headers={"Authorization": "TOKEN from-env"})
        assert r.status_code == 200 and r.json()["data"] == [{"id": "p", "name": "n", "description": "",
                                                                "policyOrderingEnabled": False}]
        nccm = httpx.get(f"{info['url']}{NCCM}", params={"items_per_page": 1, "page": 1},
                         headers={"Authorization": info["nccm_api_key"]})
        assert nccm.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_help_documents_every_option():
    out = subprocess.run([sys.executable, "-m", "pulumi_policies.cli", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for option in ("--host", "--port", "--data-dir", "--memory", "--seed-file", "--nccm-api-key", "--rm-token",
                   "--admin-token", "--profile", "--set", "--fault", "--fault-seed", "--latency-ms",
                   "--log-level"):
        assert option in out
    assert "rate_limit" in out and "Authorization: TOKEN" in out
    assert all(profile in out for profile in ("documented", "britive", "infraon"))


def test_wrong_credentials_change_nothing(api):
    bad = {"Authorization": "TOKEN not-the-token"}
    writes = [api.anonymous.post(f"{RM}/policies", json={"name": "x"}, headers=bad),
              api.anonymous.post(f"{RM}/profiles/prof-1/policies", json={"name": "x"}, headers=bad),
              api.anonymous.post(f"{RM}/profiles", json={"name": "x"}, headers=bad),
              api.anonymous.post(NCCM, json={"policyid": "p", "organization": "o"}, headers={"Authorization": "nope"}),
              api.anonymous.post(f"{NCCM}bulk-opration/", json=[{"policyid": "p", "organization": "o"}])]
    assert [r.status_code for r in writes] == [401] * 5
    dump = api.server.admin.dump()
    assert dump["resource_policies"] == dump["profile_policies"] == dump["configuration_policies"] == []
    assert len(dump["profiles"]) == 2
