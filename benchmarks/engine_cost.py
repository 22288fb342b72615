"""`pulumi up` with our resources against the embedded server vs. the ideal provider, same run.

For N policies (the three kinds in turn) and a server latency L per request: the time of `pulumi up`
(create N) with ours and with the ideal provider (no HTTP, sleeps L per call ours makes), the API floor
(the same HTTP calls from an httpx script, 4 at a time: the engine's 4 provider workers), and the state
bytes per resource. Then, on the largest stack: HTTP calls and time of a no-op preview and a no-op up.

    python -m benchmarks.engine_cost [--sizes 50,100,300] [--latencies 0,50,250]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks._support import engine_stack_factory, plot, save_json, seeded_server, timed
from tests.support.engine import REPO, copy_project
from tests.support.policies import connection_config, mixed_policies

PROJECT = Path(__file__).resolve().parent / "projects" / "bench"
SKIP_CHECKPOINTS = False  # --skip-checkpoints: both stacks without intermediate checkpoints (isolates state cost)


def stack_for(provider: str, n: int, latency_ms: float, server: Any, work: Path):
    project = copy_project(PROJECT, work / f"{provider}-{n}-{latency_ms:g}")
    (project / "resources.json").write_text(json.dumps({"provider": provider, "items": mixed_policies(n)}))
    stack = engine_stack_factory(work / f"engine-{provider}-{n}-{latency_ms:g}")(project)
    stack.env.update(PYTHONPATH=str(REPO), IDEAL_LATENCY_MS=str(latency_ms))
    if SKIP_CHECKPOINTS:
        stack.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    plain, secret = connection_config(server)
    return stack.init(config=plain, secrets=secret)


def state_bytes(stack: Any, kind: str) -> tuple[float, float]:
    """Bytes per resource of `kind` in the checkpoint file: all of it, and without the engine's stack trace
    and source position (what the SDK records about the program, the same for any provider)."""
    backend = Path(stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    [checkpoint] = [p for p in (backend / ".pulumi" / "stacks").rglob("*.json")]
    resources = [r for r in json.loads(checkpoint.read_text())["checkpoint"]["latest"]["resources"]
                 if r["type"].endswith(kind)]
    total = sum(len(json.dumps(r, separators=(",", ":"))) for r in resources)
    own = sum(len(json.dumps({k: v for k, v in r.items() if k not in ("stackTrace", "sourcePosition")},
                             separators=(",", ":"))) for r in resources)
    return total / len(resources), own / len(resources)


def api_floor(n: int, latency_ms: float, work: Path) -> float:
    """The create calls ours makes, from 4 threads of an httpx script, against the same server and latency."""
    with seeded_server(work / f"floor-{n}-{latency_ms:g}") as server:
        server.admin.set_faults([{"kind": "latency", "latency_ms": latency_ms}] if latency_ms else [])
        items = mixed_policies(n)
        nccm = httpx.Client(base_url=server.url, headers={"Authorization": server.nccm_api_key}, timeout=60)
        rm = httpx.Client(base_url=server.url, headers={"Authorization": f"TOKEN {server.rm_token}"}, timeout=60)
        lock = threading.Lock()

        def create(item: dict[str, Any]) -> None:
            args = item["args"]
            if item["type"] == "ConfigurationPolicy":
                nccm.post("/ux/nccm/configuration_policies/", json=args)
                nccm.get("/ux/nccm/configuration_policies/", params={"items_per_page": 25, "page": 1,
                                                                       "sort": "creationtime", "reverse": "true"})
            else:
                body = {"name": args["name"], "description": args["description"], "resource": args["resource"]}
                path = (f"/api/resource-manager/profiles/{args['profile_id']}/policies"
                        if item["type"] == "ProfilePolicy" else "/api/resource-manager/policies")
                rm.post(path, json=body)

        def worker() -> None:
            while True:
                with lock:
                    if not items:
                        return
                    item = items.pop()
                create(item)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - started


def measure(n: int, latency_ms: float, work: Path) -> dict[str, Any]:
    with seeded_server(work / f"server-{n}-{latency_ms:g}") as server:
        ours = stack_for("ours", n, latency_ms, server, work)
        ideal = stack_for("ideal", n, latency_ms, server, work)
        server.admin.set_faults([{"kind": "latency", "latency_ms": latency_ms}] if latency_ms else [])
        server.admin.clear_requests()
        ours_s = timed(ours.up)
        calls = server.admin.requests()["total"]
        ideal_s = timed(ideal.up)
        row = {"n": n, "latency_ms": latency_ms, "ours_s": ours_s, "ideal_s": ideal_s, "ratio": ours_s / ideal_s,
               "calls": calls}
        for who, stack, suffix in (("ours", ours, "Policy"), ("ideal", ideal, "IdealPolicy")):
            row[f"{who}_bytes_per_resource"], row[f"{who}_bytes_without_trace"] = state_bytes(stack, suffix)
        if latency_ms == 0:
            for label, action in (("noop_preview", lambda: ours.changes()), ("noop_up", lambda: ours.up())):
                server.admin.clear_requests()
                started = time.perf_counter()
                action()
                row[f"{label}_s"] = time.perf_counter() - started
                row[f"{label}_calls"] = server.admin.requests()["total"]
    row["floor_s"] = api_floor(n, latency_ms, work)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,100,300")
    parser.add_argument("--latencies", default="0,50,250")
    parser.add_argument("--skip-checkpoints", action="store_true",
                        help="run both with PULUMI_SKIP_CHECKPOINTS=true: what is left of the gap is not state size")
    args = parser.parse_args(argv)
    global SKIP_CHECKPOINTS
    SKIP_CHECKPOINTS = args.skip_checkpoints
    sizes = [int(x) for x in args.sizes.split(",")]
    latencies = [float(x) for x in args.latencies.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for latency in latencies:
                rows.append(measure(n, latency, Path(tmp)))
                r = rows[-1]
                print(f"  N={n:<4} L={latency:>5g} ms  ours {r['ours_s']:6.2f} s  ideal {r['ideal_s']:6.2f} s  "
                      f"ratio {r['ratio']:.2f}  API floor {r['floor_s']:6.2f} s  calls {r['calls']}", flush=True)
    print("`pulumi up` of N new policies: ours vs. the ideal provider (same run, file backend)")
    print(f"  {'N':>4} {'L ms':>5} {'ours s':>8} {'ideal s':>8} {'ratio':>6} {'floor s':>8} {'calls':>6} "
          f"{'B/res ours':>10} {'B/res ideal':>11} {'ours w/o trace':>14}")
    for r in rows:
        print(f"  {r['n']:>4} {r['latency_ms']:>5g} {r['ours_s']:>8.2f} {r['ideal_s']:>8.2f} {r['ratio']:>6.2f} "
              f"{r['floor_s']:>8.2f} {r['calls']:>6} {r['ours_bytes_per_resource']:>10.0f} "
              f"{r['ideal_bytes_per_resource']:>11.0f} {r['ours_bytes_without_trace']:>14.0f}")
    for r in rows:
        if "noop_up_s" in r:
            print(f"  N={r['n']}: no-op preview {r['noop_preview_s']:.2f} s, {r['noop_preview_calls']} HTTP calls; "
                  f"no-op up {r['noop_up_s']:.2f} s, {r['noop_up_calls']} HTTP calls")
    save_json("engine_cost.json", rows)
    plot("engine_cost.png", "pulumi up of N policies: ours / ideal", "N policies", "seconds",
         {f"{who} L={latency:g}ms": [(r["n"], r[f"{who}_s"]) for r in rows if r["latency_ms"] == latency]
          for latency in latencies for who in ("ours", "ideal")})
    worst = max(r["ratio"] for r in rows)
    print(f"  worst ratio ours/ideal: {worst:.2f} (target <= 1.10)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
