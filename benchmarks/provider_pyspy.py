"""py-spy on the real provider process while `pulumi up` creates N policies (the engine_cost setting).

py-spy attaches to the `python -m pulumi.dynamic` process the engine starts, samples it until the engine
stops it, and this prints the frames holding the most samples (inclusive), so the provider's share of an
`up` can be read off: HTTP round trips, check, start-up imports, unpickling.

    python -m benchmarks.provider_pyspy [--policies 300]     (py-spy comes with the `bench` extra)
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks._support import RESULTS, save_json, seeded_server
from benchmarks.engine_cost import stack_for
from tests.support.engine import ENGINE_BIN, process_tree

INTERESTING = ("pulumi_policies", "policy.py", "payload.py", "adoption.py", "_base.py", "Create", "Check", "Diff", "httpx",
               "_receive_response_headers", "importlib", "_dill", "canonical")


def provider_pid(root: int) -> int | None:
    for pid in process_tree(root):
        try:
            if b"pulumi.dynamic" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policies", type=int, default=300)
    n = parser.parse_args(argv).policies
    pyspy = shutil.which("py-spy")
    if pyspy is None:
        print("py-spy is not installed (pip install -e '.[bench]'): skipped")
        return 0
    raw = RESULTS / "provider_pyspy.txt"
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, seeded_server(Path(tmp) / "server") as server:
        stack = stack_for("ours", n, 0, server, Path(tmp))
        up = subprocess.Popen([str(ENGINE_BIN / "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive",
                               "--stack", stack.name], cwd=stack.project_dir, env=stack.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        spy, deadline = None, time.monotonic() + 60
        while spy is None and up.poll() is None and time.monotonic() < deadline:
            pid = provider_pid(up.pid)
            if pid is not None:
                spy = subprocess.Popen([pyspy, "record", "--pid", str(pid), "-o", str(raw), "-f", "raw", "-r", "250",
                                        "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.005)
        up.wait()
        if spy is None:
            print("the provider process was not seen")
            return 1
        spy.wait(60)
    total, inclusive = 0, collections.Counter()
    for line in raw.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        total += int(count)
        frames = {f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0].rsplit("/", 1)[-1] if " (" in f else f
                  for f in stack_text.split(";")}
        for frame in frames:
            inclusive[frame] += int(count)
    print(f"py-spy, provider process, `pulumi up` of {n} policies: {total} samples at 250 Hz (all threads)")
    shown = [(f, c) for f, c in inclusive.most_common(200) if any(k in f for k in INTERESTING)][:18]
    for frame, count in shown:
        print(f"  {count / total * 100:5.1f}%  {frame}")
    save_json("provider_pyspy.json", {"policies": n, "samples": total,
                                      "frames": {f: c / total for f, c in shown}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
