"""The fixed cost of every command: `pulumi preview` of a one-policy stack against the same stack with an empty
program, and how much of a Python process's start is the pulumi SDK's import and how much this package's.

Every `pulumi` command starts the CLI, the program's Python process and (once a resource is declared) the
dynamic provider's Python process; each Python process imports the SDK, and ours imports this package.

    python -m benchmarks.fixed_cost [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._support import engine_stack_factory, save_json, seeded_server
from tests.support.policies import mixed_policies, new_policy_stack


def median_seconds(action: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def python_start(statement: str, repeat: int) -> float:
    return median_seconds(lambda: subprocess.run([sys.executable, "-c", statement], check=True), repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args(argv).repeat
    row: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, seeded_server(Path(tmp) / "server") as server:
        ps = new_policy_stack(engine_stack_factory(Path(tmp) / "engine"), server, Path(tmp) / "project")
        ps.declare(*mixed_policies(1, "v1")).stack.up()
        row["one_policy_preview_s"] = median_seconds(lambda: ps.stack.pulumi("preview"), repeat)
        ps.declare().stack.up()
        row["empty_program_preview_s"] = median_seconds(lambda: ps.stack.pulumi("preview"), repeat)
        row["stack_output_s"] = median_seconds(lambda: ps.stack.pulumi("stack", "output"), repeat)
    row["python_bare_s"] = python_start("pass", repeat)
    row["python_import_pulumi_s"] = python_start("import pulumi", repeat)
    row["python_import_program_s"] = python_start("import pulumi_policies", repeat)
    row["python_import_provider_s"] = python_start(
        "import dill, grpc, pulumi.dynamic, pulumi.runtime.proto.provider_pb2_grpc, pulumi_policies.providers, httpx",
        repeat)  # what `python -m pulumi.dynamic` imports before it serves, then our provider and its HTTP client
    print(f"Fixed cost per command (median of {repeat}; file backend, the embedded server)")
    print(f"  `pulumi stack output` (the CLI alone):                 {row['stack_output_s']:6.2f} s")
    print(f"  `pulumi preview`, empty program (CLI + program):        {row['empty_program_preview_s']:6.2f} s")
    print(f"  `pulumi preview`, one policy (CLI + program + provider): {row['one_policy_preview_s']:6.2f} s "
          f"({row['one_policy_preview_s'] / row['empty_program_preview_s']:.2f}x the empty program)")
    print(f"  python start: bare {row['python_bare_s']:.2f} s, `import pulumi` {row['python_import_pulumi_s']:.2f} s, "
          f"a program's imports {row['python_import_program_s']:.2f} s, the provider's "
          f"{row['python_import_provider_s']:.2f} s")
    ours = row["python_import_program_s"] - row["python_import_pulumi_s"]
    print(f"  of a program's start, this package's imports: {ours:.2f} s "
          f"({ours / row['python_import_program_s']:.0%}); the SDK's: "
          f"{row['python_import_pulumi_s'] - row['python_bare_s']:.2f} s")
    save_json("fixed_cost.json", row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
