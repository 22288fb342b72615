"""`pulumi up --yes` (its preview included) of a whole estate: policy sets against one resource per policy.

For N policies (the three kinds in turn) and a server latency L per request, in one run against one server:
- **sets**: the N policies as three policy sets (one per kind);
- **per policy**: N resources;
- the **serialised floor**: the HTTP calls the sets made, times L: what a client sending the same calls one at a
  time needs (Britive's Terraform provider holds a lock per resource type, so it is that client).
Targets (issue 16): at L = 50 ms, sets at most a third of the floor for N >= 100, and 1,000 policies in under
30 s; at L = 0, 100 policies in under 5 s. Then, at the largest N and L = 0: a no-op preview and a refresh of
each form (seconds and HTTP calls), and the state's bytes per policy.

    python -m benchmarks.estate [--sizes 100,300,1000] [--latencies 0,50,250] [--per-policy-max 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._support import engine_stack_factory, save_json, seeded_server, timed
from tests.support.engine import REPO, copy_project
from tests.support.policies import connection_config, mixed_policies

PROJECT = Path(__file__).resolve().parent / "projects" / "bench"


def new_stack(form: str, n: int, latency_ms: float, server: Any, work: Path) -> Any:
    project = copy_project(PROJECT, work / f"{form}-{n}-{latency_ms:g}")
    (project / "resources.json").write_text(json.dumps({"provider": form, "items": mixed_policies(n)}))
    stack = engine_stack_factory(work / f"engine-{form}-{n}-{latency_ms:g}")(project)
    stack.env.update(PYTHONPATH=str(REPO))
    plain, secret = connection_config(server)
    return stack.init(config=plain, secrets=secret)


def state_bytes_per_policy(stack: Any, n: int) -> float:
    backend = Path(stack.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    [checkpoint] = list((backend / ".pulumi" / "stacks").rglob("*.json"))
    return len(checkpoint.read_bytes()) / n


def up(stack: Any, server: Any) -> tuple[float, int]:
    """Seconds of `pulumi up --yes` and the HTTP calls it made."""
    server.admin.clear_requests()
    seconds = timed(lambda: stack.pulumi("up", "--yes", "--skip-preview=false"))
    return seconds, server.admin.requests()["total"]


def measure_form(row: dict[str, Any], label: str, form: str, n: int, latency_ms: float, server: Any, work: Path,
                 noop: bool) -> Any:
    """`up --yes` of the N policies in one form into `row` (under `label`_...), then, if `noop`, a no-op preview
    and a refresh; returns the stack."""
    stack = new_stack(form, n, latency_ms, server, work)
    row[f"{label}_s"], row[f"{label}_calls"] = up(stack, server)
    row[f"{label}_state_bytes_per_policy"] = state_bytes_per_policy(stack, n)
    for action, run in (("noop_preview", stack.changes), ("refresh", stack.refresh)) if noop else ():
        server.admin.clear_requests()
        row[f"{label}_{action}_s"] = timed(run)
        row[f"{label}_{action}_calls"] = server.admin.requests()["total"]
    return stack


def measure(n: int, latency_ms: float, work: Path, per_policy: bool, noop: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"n": n, "latency_ms": latency_ms}
    with seeded_server(work / f"server-{n}-{latency_ms:g}") as server:
        server.admin.set_faults([{"kind": "latency", "latency_ms": latency_ms}] if latency_ms else [])
        measure_form(row, "sets", "sets", n, latency_ms, server, work, noop).destroy()
        row["floor_s"] = row["sets_calls"] * latency_ms / 1000
        if per_policy:
            measure_form(row, "per_policy", "ours", n, latency_ms, server, work, noop)
    return row


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,300,1000")
    parser.add_argument("--latencies", default="0,50,250")
    parser.add_argument("--per-policy-max", type=int, default=1000,
                        help="measure one resource per policy only up to this N (it is the slow one)")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    latencies = [float(x) for x in args.latencies.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for latency in latencies:
                row = measure(n, latency, Path(tmp), per_policy=n <= args.per_policy_max,
                              noop=n == max(sizes) and latency == 0)
                rows.append(row)
                print(f"  N={n:<5} L={latency:>4g} ms  sets {row['sets_s']:6.1f} s  per policy "
                      f"{row.get('per_policy_s', float('nan')):6.1f} s  floor {row['floor_s']:6.1f} s  "
                      f"({row['sets_calls']} calls)", flush=True)
    print("`pulumi up --yes` (preview included) of N new policies, file backend; floor = the same calls one at a time")
    print(f"  {'N':>5} {'L ms':>5} {'sets s':>8} {'per-policy s':>12} {'floor s':>8} {'sets/floor':>10} "
          f"{'per-policy/floor':>16} {'per-policy/sets':>15}")
    for r in rows:
        print(f"  {r['n']:>5} {r['latency_ms']:>5g} {r['sets_s']:>8.1f} {r.get('per_policy_s', float('nan')):>12.1f} "
              f"{r['floor_s']:>8.1f} {_ratio(r['sets_s'], r['floor_s']):>10} "
              f"{_ratio(r.get('per_policy_s'), r['floor_s']):>16} {_ratio(r.get('per_policy_s'), r['sets_s']):>15}")
    for r in rows:
        for form in ("sets", "per_policy"):
            if f"{form}_noop_preview_s" in r:
                print(f"  N={r['n']} {form.replace('_', ' ')}: no-op preview {r[f'{form}_noop_preview_s']:.1f} s "
                      f"({r[f'{form}_noop_preview_calls']} calls), refresh {r[f'{form}_refresh_s']:.1f} s "
                      f"({r[f'{form}_refresh_calls']} calls), state {r[f'{form}_state_bytes_per_policy']:.0f} B/policy")
    checks = []
    for r in rows:
        if r["latency_ms"] == 50 and r["n"] >= 100:
            checks.append((f"N={r['n']} L=50: sets <= 1/3 of the floor", r["sets_s"] <= r["floor_s"] / 3))
        if r["latency_ms"] == 50 and r["n"] == 1000:
            checks.append(("N=1000 L=50: sets under 30 s", r["sets_s"] < 30))
        if r["latency_ms"] == 0 and r["n"] == 100:
            checks.append(("N=100 L=0: sets under 5 s", r["sets_s"] < 5))
    for label, ok in checks:
        print(f"  target {label}: {'met' if ok else 'MISSED'}")
    save_json("estate.json", rows)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
