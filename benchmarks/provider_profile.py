"""Where the provider's own time goes: check, diff and create of N policies in-process, under cProfile.

The engine kills provider processes at the end of a run, so a profiler inside one never writes its
report; this drives the same provider objects the engine would, against the embedded server, and prints
the cost per call of each operation and the functions that dominate.

    python -m benchmarks.provider_profile [--policies 300]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

from benchmarks._support import save_json, seeded_server
from pulumi_policies import connections
from pulumi_policies.providers import PROVIDERS
from tests.support.policies import mixed_policies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", type=int, default=300)
    n = parser.parse_args(argv).policies
    items = mixed_policies(n)
    timings: dict[str, float] = {}
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp, seeded_server(Path(tmp)) as server:
        connections.configure({"pulumi-policies:nccmUrl": server.url, "pulumi-policies:resourceManagerUrl": server.url,
                            "pulumi-policies:nccmApiKey": server.nccm_api_key,
                            "pulumi-policies:resourceManagerToken": server.rm_token})
        providers = {kind: cls() for kind, cls in PROVIDERS.items()}
        checked, created = [], []
        for label, work in (
            ("check", lambda: checked.extend(providers[i["type"]].check({}, i["args"]).inputs for i in items)),
            ("create", lambda: created.extend(providers[i["type"]].create(c) for i, c in zip(items, checked, strict=True))),
            ("diff", lambda: [providers[i["type"]].diff(r.id, r.outs, c) for i, c, r in zip(items, checked, created,
                                                                                            strict=True)]),
        ):
            started = time.perf_counter()
            profiler.enable()
            work()
            profiler.disable()
            timings[label] = (time.perf_counter() - started) / n * 1000
        server_ms = sum(e["ms"] for e in server.admin.requests()["entries"]) / n
    print(f"provider cost per policy, in-process against the embedded server (N={n}):")
    for label, ms in timings.items():
        print(f"  {label:<7} {ms:6.2f} ms")
    print(f"  (of which the server's own time for the create calls: {server_ms:.2f} ms per policy)")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()][:32]
    print("\n".join(lines))
    save_json("provider_profile.json", {"policies": n, "ms_per_policy": timings, "server_ms_per_policy": server_ms})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
