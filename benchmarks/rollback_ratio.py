"""How long a rollback of N policies takes against the update it undoes (ratios from one run).

    python -m benchmarks.rollback_ratio [--policies 50]

1. `pulumi up` of release v2 (every one of N policies changed), then `pulumi-policies rollback` to v1.
2. Release v2 failing at its last write, with `--rollback-on-failure`: the failed update, then the rollback.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._support import engine_stack_factory, save_json, seeded_server
from pulumi_policies import rollback
from tests.support.policies import new_policy_stack


def declared(n: int, release: str) -> list[dict[str, Any]]:
    kinds = ("ResourcePolicy", "ProfilePolicy", "ConfigurationPolicy")
    items = []
    for i in range(n):
        kind = kinds[i % 3]
        if kind == "ConfigurationPolicy":
            args: dict[str, Any] = {"policyid": f"cp-{i}", "organization": "acme", "description": release}
        else:
            args = {"name": f"p-{i}", "description": release, "members": {"users": [{"name": f"u-{release}-{i}"}]}}
            if kind == "ProfilePolicy":
                args["profile_id"] = "prof-eng"
        items.append({"type": kind, "name": f"r{i}", "args": args})
    return items


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run(n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with seeded_server(work / "s1") as server:
            ps = new_policy_stack(engine_stack_factory(work / "e1"), server, work / "p1")
            ps.declare(*declared(n, "v1")).stack.up()
            out["update_s"], _ = timed(lambda: ps.declare(*declared(n, "v2")).stack.up())
            out["rollback_s"], report = timed(lambda: rollback.rollback(ps.stack.name, ps.stack.project_dir,
                                                                         env=ps.stack.env))
            assert report.ok, report.text()
        with seeded_server(work / "s2") as server:
            ps = new_policy_stack(engine_stack_factory(work / "e2"), server, work / "p2")
            ps.declare(*declared(n, "v1")).stack.up()
            ps.declare(*declared(n, "v2"))
            server.admin.set_faults([{"kind": "error", "status": 400, "method": "PUT|PATCH", "after": n - 1,
                                      "count": 1}])
            started = time.perf_counter()
            ok, report = rollback.up_with_rollback(ps.stack.name, ps.stack.project_dir, env=ps.stack.env)
            total = time.perf_counter() - started
            assert not ok and report is not None and report.ok, report and report.text()
            out["auto_rollback_s"] = report.seconds
            out["failed_update_s"] = total - report.seconds
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", type=int, default=50)
    n = parser.parse_args(argv).policies
    r = run(n)
    print(f"rollback of {n} policies (real engine, embedded server, file backend)")
    print(f"  update v1 -> v2 (all changed):            {r['update_s']:6.2f} s")
    print(f"  pulumi-policies rollback to v1:           {r['rollback_s']:6.2f} s   ratio {r['rollback_s'] / r['update_s']:.2f}")
    print(f"  update failing at its last write:         {r['failed_update_s']:6.2f} s")
    print(f"  automatic rollback after it:              {r['auto_rollback_s']:6.2f} s   "
          f"ratio {r['auto_rollback_s'] / r['failed_update_s']:.2f}")
    print("  (a rollback is a refresh, an update of the same resources and a final preview: about 3 engine runs)")
    save_json("rollback_ratio.json", {"policies": n, **r})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
