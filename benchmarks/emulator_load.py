"""Emulator throughput and latency on loopback at concurrency 16 (target: p99 < 10 ms, no injected latency).

A mixed load of the calls a `pulumi up` makes: reads of one policy, lists with a filter, PATCHes and
NCCM lists sorted newest-first. Prints requests/s and p50/p90/p99 per call and overall, so that other
benchmarks know whether the emulator could be their bottleneck.

    python -m benchmarks.emulator_load [--requests 4000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from pulumi_policies.emulator.server import spawn

RM = "/api/resource-manager"
NCCM = "/ux/nccm/configuration_policies/"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def serve() -> Iterator[dict[str, str]]:
    """`pulumi-policies serve` in its own process, as the engine's providers meet it."""
    proc, info = spawn("--memory", "--port", "0")
    try:
        yield info
    finally:
        proc.terminate()
        proc.wait(10)


def run(requests: int = 4000, concurrency: int = 16, seed_policies: int = 200) -> dict[str, Any]:
    with serve() as server:
        rm = {"Authorization": f"TOKEN {server['rm_token']}"}
        nccm = {"Authorization": server["nccm_api_key"]}
        url = server["url"]
        with httpx.Client(base_url=url) as setup:
            ids = [setup.post(f"{RM}/policies", json={"name": f"p{i}", "description": "d"}, headers=rm).json()["id"]
                   for i in range(seed_policies)]
            for i in range(seed_policies):
                setup.post(NCCM, json={"policyid": f"c{i}", "organization": "acme"}, headers=nccm)
        calls = [
            ("GET one", lambda c, i: c.get(f"{RM}/policies/{ids[i % len(ids)]}", headers=rm)),
            ("GET filter", lambda c, i: c.get(f"{RM}/policies", params={"filter": f"name eq p{i % len(ids)}"},
                                              headers=rm)),
            ("PATCH", lambda c, i: c.patch(f"{RM}/policies/{ids[i % len(ids)]}", json={"description": str(i)},
                                           headers=rm)),
            ("NCCM newest", lambda c, i: c.get(NCCM, params={"items_per_page": 25, "page": 1, "sort": "creationtime",
                                                             "reverse": "true"}, headers=nccm)),
        ]
        samples: dict[str, list[float]] = {name: [] for name, _ in calls}
        failures: list[int] = []
        lock = threading.Lock()
        per_worker = requests // concurrency

        def worker(w: int) -> None:
            local: dict[str, list[float]] = {name: [] for name, _ in calls}
            with httpx.Client(base_url=url, timeout=30) as client:
                for n in range(per_worker):
                    name, call = calls[(w + n) % len(calls)]
                    started = time.perf_counter()
                    response = call(client, w * per_worker + n)
                    local[name].append((time.perf_counter() - started) * 1000)
                    if response.status_code >= 400:
                        with lock:
                            failures.append(response.status_code)
            with lock:
                for name, values in local.items():
                    samples[name].extend(values)

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {server['admin_token']}"}) as admin:
            served = [e["ms"] for e in admin.get("/_emulator/requests").json()["entries"][-per_worker * concurrency:]]
    everything = [v for values in samples.values() for v in values]
    return {"requests": len(everything), "concurrency": concurrency, "seconds": elapsed,
            "rps": len(everything) / elapsed, "failures": len(failures),
            "overall": {q: percentile(everything, p) for q, p in (("p50", .5), ("p90", .9), ("p99", .99))},
            "mean": statistics.fmean(everything),
            "server": {q: percentile(served, p) for q, p in (("p50", .5), ("p90", .9), ("p99", .99))},
            "per_call": {name: {"p50": percentile(v, .5), "p99": percentile(v, .99)} for name, v in samples.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, action="append",
                        help="clients in flight (repeatable; default: 1 then 16)")
    args = parser.parse_args(argv)
    failures = 0
    for concurrency in args.concurrency or [1, 16]:
        failures += report(run(args.requests, concurrency))
    return 0 if failures == 0 else 1


def report(result: dict[str, Any]) -> int:
    print(f"emulator load: {result['requests']} requests, concurrency {result['concurrency']}, "
          f"{result['seconds']:.2f} s, {result['rps']:.0f} requests/s, {result['failures']} failures")
    o = result["overall"]
    print(f"  latency ms  p50 {o['p50']:.2f}  p90 {o['p90']:.2f}  p99 {o['p99']:.2f}  (seen by the clients, "
          f"queueing behind the other {result['concurrency'] - 1} requests in flight included)")
    sv = result["server"]
    print(f"  service ms  p50 {sv['p50']:.2f}  p90 {sv['p90']:.2f}  p99 {sv['p99']:.2f}  (inside the server, from its "
          "request log)")
    for name, q in result["per_call"].items():
        print(f"  {name:<12} p50 {q['p50']:.2f}  p99 {q['p99']:.2f}")
    print("  note: the load generator shares the machine's cores with the server")
    return int(result["failures"])


if __name__ == "__main__":
    raise SystemExit(main())
