"""`make bench`: every benchmark in turn; each prints its own figures."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["benchmarks.emulator_load", "benchmarks.calls_per_operation", "benchmarks.engine_cost", "benchmarks.estate",
              "benchmarks.scale", "benchmarks.access",
              "benchmarks.backends", "benchmarks.fixed_cost",
              "benchmarks.provider_profile", "benchmarks.provider_pyspy", "benchmarks.rollback_ratio"]


def main() -> int:
    failed = 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        failed += bool(importlib.import_module(name).main([]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
