"""Emulator throughput and latency on loopback at concurrency 16 (target: p99 < 10 ms, no injected latency).

A mixed load of the calls a `pulumi up` makes: reads of one policy, lists with a filter, PATCHes and
NCCM lists sorted newest-first. Prints requests/s and p50/p90/p99 per call and overall, so that other
benchmarks know whether the emulator could be their bottleneck.

    python -m benchmarks.emulator_load [--requests 4000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


# The mixed load: (name, method, path, body); "{i}" is a policy number. Resource-manager paths address
# policies by name, which the API accepts in place of an id.
CALLS = [
    ("GET one", "GET", RM + "/policies/p{i}", ""),
    ("GET filter", "GET", RM + "/policies?filter=name%20eq%20p{i}", ""),
    ("PATCH", "PATCH", RM + "/policies/p{i}", '{"description": "d{i}"}'),
    ("NCCM newest", "GET", NCCM + "?items_per_page=25&page=1&sort=creationtime&reverse=true", ""),
]


def go_loadgen() -> Path | None:
    """The Go load generator (benchmarks/loadgen), built once; None without a Go toolchain."""
    if shutil.which("go") is None:
        return None
    binary = Path(tempfile.gettempdir()) / "pulumi-policies-loadgen"
    source = Path(__file__).resolve().parent / "loadgen" / "main.go"
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        subprocess.run(["go", "build", "-o", str(binary), str(source)], check=True,
                       env={**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": ""})
    return binary


def load_with_go(binary: Path, server: dict[str, str], requests: int, concurrency: int,
                 modulo: int) -> tuple[float, int, dict[str, list[float]]]:
    headers = {"rm": f"TOKEN {server['rm_token']}", "nccm": server["nccm_api_key"]}
    plan = {"url": server["url"], "concurrency": concurrency, "requests": requests, "modulo": modulo,
            "calls": [{"name": n, "method": m, "path": p, "body": b,
                       "header": headers["nccm" if p.startswith(NCCM) else "rm"]} for n, m, p, b in CALLS]}
    out = subprocess.run([str(binary)], input=json.dumps(plan), capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    return result["seconds"], result["failures"], result["samples"]


def load_with_python(server: dict[str, str], requests: int, concurrency: int,
                     modulo: int) -> tuple[float, int, dict[str, list[float]]]:
    headers = {"rm": f"TOKEN {server['rm_token']}", "nccm": server["nccm_api_key"]}
    samples: dict[str, list[float]] = {name: [] for name, *_ in CALLS}
    failures: list[int] = []
    lock = threading.Lock()
    per_worker = requests // concurrency

    def worker(w: int) -> None:
        local: dict[str, list[float]] = {name: [] for name, *_ in CALLS}
        with httpx.Client(base_url=server["url"], timeout=30) as client:
            for n in range(per_worker):
                name, method, path, body = CALLS[(w + n) % len(CALLS)]
                i = str((w * per_worker + n) % modulo)
                started = time.perf_counter()
                response = client.request(method, path.replace("{i}", i), content=body.replace("{i}", i) or None,
                                          headers={"Authorization": headers["nccm" if path.startswith(NCCM) else "rm"],
                                                   "Content-Type": "application/json"})
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
    return time.perf_counter() - started, len(failures), samples


def run(requests: int = 4000, concurrency: int = 16, seed_policies: int = 200,
        generator: str = "auto") -> dict[str, Any]:
    binary = go_loadgen() if generator in ("auto", "go") else None
    with serve() as server:
        with httpx.Client(base_url=server["url"]) as setup:
            for i in range(seed_policies):
                setup.post(f"{RM}/policies", json={"name": f"p{i}", "description": "d"},
                           headers={"Authorization": f"TOKEN {server['rm_token']}"})
                setup.post(NCCM, json={"policyid": f"c{i}", "organization": "acme"},
                           headers={"Authorization": server["nccm_api_key"]})
            admin = {"Authorization": f"Bearer {server['admin_token']}"}
            setup.delete("/_emulator/requests", headers=admin)
            if binary is not None:
                elapsed, failures, samples = load_with_go(binary, server, requests, concurrency, seed_policies)
            else:
                elapsed, failures, samples = load_with_python(server, requests, concurrency, seed_policies)
            served = [e["ms"] for e in setup.get("/_emulator/requests", headers=admin).json()["entries"]]
    everything = [v for values in samples.values() for v in values]
    return {"requests": len(everything), "concurrency": concurrency, "seconds": elapsed,
            "rps": len(everything) / elapsed, "failures": failures,
            "generator": "go" if binary is not None else "python",
            "overall": {q: percentile(everything, p) for q, p in (("p50", .5), ("p90", .9), ("p99", .99))},
            "mean": statistics.fmean(everything),
            "server": {q: percentile(served, p) for q, p in (("p50", .5), ("p90", .9), ("p99", .99))},
            "per_call": {name: {"p50": percentile(v, .5), "p99": percentile(v, .99)} for name, v in samples.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--generator", choices=("auto", "go", "python"), default="auto",
                        help="load generator: Go (benchmarks/loadgen, light on CPU) when `go` is there, else Python")
    parser.add_argument("--concurrency", type=int, action="append",
                        help="clients in flight (repeatable; default: 1 then 16)")
    args = parser.parse_args(argv)
    failures = 0
    for concurrency in args.concurrency or [1, 16]:
        failures += report(run(args.requests, concurrency, generator=args.generator))
    return 0 if failures == 0 else 1


def report(result: dict[str, Any]) -> int:
    print(f"emulator load ({result['generator']} load generator): {result['requests']} requests, "
          f"concurrency {result['concurrency']}, "
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
