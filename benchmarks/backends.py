"""The state backend's cost: `pulumi up --yes` (its preview included) and a no-op preview of N policies on the
file backend and on the engine's PostgreSQL backend (a real server, started here), same run, same machine.

The engine writes the whole checkpoint after every step on both; PostgreSQL adds a round trip and the
database's own write per checkpoint. `up --skip-preview` is measured too, and `pulumi-policies up --fast`
(the same update writing the state once, the provider journalling its creates) next to it.

    python -m benchmarks.backends [--sizes 300,1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._support import engine_stack_factory, save_json, seeded_server, timed
from tests.support.policies import mixed_policies, new_policy_stack
from tests.support.postgres import PostgresServer


def measure(backend: str, n: int, work: Path, postgres: PostgresServer) -> dict[str, Any]:
    url = postgres.backend_url() if backend == "postgres" else None
    row: dict[str, Any] = {"backend": backend, "n": n}
    with seeded_server(work / f"s-{backend}-{n}") as server:
        make = engine_stack_factory(work / f"e-{backend}-{n}", url)
        ps = new_policy_stack(make, server, work / f"p-{backend}-{n}")
        ps.declare(*mixed_policies(n))
        row["up_s"] = timed(lambda: ps.stack.pulumi("up", "--yes"))  # what users run: preview, then update
        row["noop_preview_s"] = timed(ps.stack.changes)
        ps.declare()
        row["destroy_all_s"] = timed(ps.stack.up)
        ps.declare(*mixed_policies(n, "v2"))
        row["up_skip_preview_s"] = timed(ps.stack.up)
        ps.declare()
        ps.stack.up()
        ps.declare(*mixed_policies(n, "v3"))
        fast = [sys.executable, "-m", "pulumi_policies.cli", "up", "--fast", "--stack", ps.stack.name,
                "--cwd", str(ps.stack.project_dir)]
        row["up_fast_s"] = timed(lambda: subprocess.run(fast, env=ps.stack.env, check=True, capture_output=True))
        assert ps.stack.changes() == {}
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="300,1000")
    sizes = [int(x) for x in parser.parse_args(argv).sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, PostgresServer() as postgres:
        for n in sizes:
            for backend in ("file", "postgres"):
                rows.append(measure(backend, n, Path(tmp), postgres))
                r = rows[-1]
                print(f"  {backend:<8} N={n:<5} up --yes {r['up_s']:7.2f} s  no-op preview {r['noop_preview_s']:6.2f} s"
                      f"  up --skip-preview {r['up_skip_preview_s']:7.2f} s  pulumi-policies up --fast "
                      f"{r['up_fast_s']:7.2f} s", flush=True)
    print("State backends: `pulumi up --yes` (preview included) and a no-op preview of N new policies")
    print(f"  {'N':>5} {'backend':<9} {'up --yes s':>10} {'no-op preview s':>16} {'up --skip-preview s':>20} "
          f"{'up --fast s':>12} {'ms/policy (up)':>15}")
    for r in rows:
        print(f"  {r['n']:>5} {r['backend']:<9} {r['up_s']:>10.2f} {r['noop_preview_s']:>16.2f} "
              f"{r['up_skip_preview_s']:>20.2f} {r['up_fast_s']:>12.2f} {r['up_s'] / r['n'] * 1000:>15.0f}")
    for n in sizes:
        file_row, pg_row = (next(r for r in rows if r["n"] == n and r["backend"] == b) for b in ("file", "postgres"))
        print(f"  N={n}: PostgreSQL / file: up --yes {pg_row['up_s'] / file_row['up_s']:.2f}x, no-op preview "
              f"{pg_row['noop_preview_s'] / file_row['noop_preview_s']:.2f}x, up --skip-preview "
              f"{pg_row['up_skip_preview_s'] / file_row['up_skip_preview_s']:.2f}x; up --fast against up "
              f"--skip-preview: file {file_row['up_skip_preview_s'] / file_row['up_fast_s']:.1f}x faster, PostgreSQL "
              f"{pg_row['up_skip_preview_s'] / pg_row['up_fast_s']:.1f}x faster")
    save_json("backends.json", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
