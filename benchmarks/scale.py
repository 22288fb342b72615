"""State cost and refresh at scale: `pulumi up` of N policies with and without checkpoints, and a refresh of N.

The file backend rewrites the whole checkpoint after every step, so an up of N resources writes about
N x N x (bytes per resource) / 2 bytes; `PULUMI_SKIP_CHECKPOINTS=true` writes it once at the end, at the
price of losing the record of finished steps if the run dies (see docs/performance.md).

    python -m benchmarks.scale [--sizes 100,300,1000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._support import engine_stack_factory, plot, save_json, seeded_server, timed
from tests.support.policies import mixed_policies, new_policy_stack


def measure(n: int, work: Path, refresh: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"n": n}
    for skip in (False, True):
        with seeded_server(work / f"s-{n}-{skip}") as server:
            ps = new_policy_stack(engine_stack_factory(work / f"e-{n}-{skip}"), server, work / f"p-{n}-{skip}")
            if skip:
                ps.stack.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
            ps.declare(*mixed_policies(n))
            row["up_skip_checkpoints_s" if skip else "up_s"] = timed(ps.stack.up)
            if refresh and not skip:
                server.admin.clear_requests()
                row["refresh_s"] = timed(ps.stack.refresh)
                row["refresh_calls"] = server.admin.requests()["total"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,300,1000")
    sizes = [int(x) for x in parser.parse_args(argv).sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            rows.append(measure(n, Path(tmp), refresh=n == max(sizes)))
            r = rows[-1]
            print(f"  N={n:<5} up {r['up_s']:7.2f} s   with PULUMI_SKIP_CHECKPOINTS {r['up_skip_checkpoints_s']:7.2f} s",
                  flush=True)
    print("`pulumi up` of N new policies (file backend), with and without PULUMI_SKIP_CHECKPOINTS")
    for r in rows:
        print(f"  N={r['n']:<5} {r['up_s']:7.2f} s  {r['up_skip_checkpoints_s']:7.2f} s  "
              f"({r['up_s'] / r['up_skip_checkpoints_s']:.2f}x)  {r['up_s'] / r['n'] * 1000:.0f} ms/policy")
    for r in rows:
        if "refresh_s" in r:
            print(f"  refresh of {r['n']} policies: {r['refresh_s']:.2f} s, {r['refresh_calls']} HTTP calls "
                  f"({r['refresh_calls'] / r['n']:.2f} per policy)")
    save_json("scale.json", rows)
    plot("scale.png", "pulumi up of N policies (file backend)", "N policies", "seconds",
         {"checkpoint after every step": [(r["n"], r["up_s"]) for r in rows],
          "PULUMI_SKIP_CHECKPOINTS=true": [(r["n"], r["up_skip_checkpoints_s"]) for r in rows]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
