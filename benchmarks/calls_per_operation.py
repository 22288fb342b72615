"""HTTP calls per operation and resource type, from the embedded server's request log (real engine).

Also a ConfigurationPolicy create with 10 and with 10,000 existing policies: NCCM answers a create with
201 and no body, and the provider finds the new id among the newest page, so both must cost the same.

    python -m benchmarks.calls_per_operation
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks._support import engine_stack_factory, save_json, seeded_server
from tests.support.policies import SAMPLES, calls_per_operation, new_policy_stack

NCCM = "/ux/nccm/configuration_policies/"


def nccm_create_calls(existing: int, workdir: Path) -> dict[str, int]:
    with seeded_server(workdir / f"server-{existing}") as server:
        batch = [{"policyid": f"seed-{i}", "organization": "acme"} for i in range(existing)]
        import httpx

        with httpx.Client(base_url=server.url, headers={"Authorization": server.nccm_api_key}, timeout=120) as c:
            assert c.post(f"{NCCM}bulk-opration/", json=batch).status_code == 200
        ps = new_policy_stack(engine_stack_factory(workdir / f"engine-{existing}"), server, workdir / f"p-{existing}")
        ps.declare({"type": "ConfigurationPolicy", "name": "o", "args": SAMPLES["ConfigurationPolicy"][0]})
        server.admin.clear_requests()
        ps.stack.up()
        return dict(server.admin.requests()["counts"])


def main(argv: list[str] | None = None) -> int:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with seeded_server(work / "s") as server:
            results = calls_per_operation(new_policy_stack(engine_stack_factory(work / "e"), server, work / "p"), server)
        scale = {n: nccm_create_calls(n, work) for n in (10, 10_000)}
    operations = list(next(iter(results.values())))
    print("HTTP calls per operation (from the server's request log)")
    print(f"  {'operation':<20}" + "".join(f"{k:>22}" for k in results))
    for op in operations:
        print(f"  {op:<20}" + "".join(f"{sum(results[k][op].values()):>22}" for k in results))
    for n, calls in scale.items():
        print(f"  ConfigurationPolicy create with {n:>6} existing policies: {sum(calls.values())} calls {calls}")
    save_json("calls_per_operation.json", {"per_operation": results, "nccm_create_scale": scale})
    return 0 if sum(scale[10].values()) == sum(scale[10_000].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
