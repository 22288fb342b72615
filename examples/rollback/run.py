"""Stack-level rollback, shown on the embedded API server.

1. `pulumi up` release v1 (5 policies).
2. Release v2 changes them and adds 2; the server is told to refuse the 4th write. The update fails
   half-way and `pulumi-policies up --rollback-on-failure` returns the stack to v1: the server's
   objects are what they were before the update.
3. Release v2 again, without the fault: it succeeds. `pulumi-policies rollback` then returns the stack
   to its previous successful update, v1, on demand.

    python examples/rollback/run.py        (from the repository root, after `make engine`)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from pulumi_policies.emulator.server import Admin, spawn

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ.get("ROLLBACK_EXAMPLE_STATE", HERE / ".pulumi-state"))
STACK = "demo"
VOLATILE = {"last_update_time"}  # bookkeeping the server moves forward on every write


def comparable(dump: dict[str, Any]) -> str:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE}
        return [strip(v) for v in value] if isinstance(value, list) else value
    return json.dumps(strip(dump), sort_keys=True)


def main() -> int:
    shutil.rmtree(STATE, ignore_errors=True)
    (STATE / "backend").mkdir(parents=True)
    seed = STATE / "seed.json"
    seed.write_text(json.dumps({"profiles": [{"id": "prof-engineering", "name": "engineering"}]}))
    env = dict(os.environ, PULUMI_BACKEND_URL=f"file://{STATE / 'backend'}", PULUMI_HOME=str(STATE / "home"),
               PULUMI_CONFIG_PASSPHRASE="rollback-example", PULUMI_SKIP_UPDATE_CHECK="true",
               PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true")

    def run(*cmd: str, check: bool = True) -> int:
        print(f"\n$ {' '.join(cmd)}", flush=True)
        rc = subprocess.run(cmd, cwd=HERE, env=env).returncode
        if check and rc != 0:
            raise SystemExit(f"{cmd[0]} {cmd[1]} failed (exit {rc})")
        return rc

    def quiet(*cmd: str) -> None:
        subprocess.run(cmd, cwd=HERE, env=env, check=True, capture_output=True)

    server, info = spawn("--memory", "--port", "0", "--seed-file", str(seed))
    admin = Admin(info["url"], info["admin_token"])
    cli = [sys.executable, "-m", "pulumi_policies.cli"]
    try:
        quiet("pulumi", "stack", "init", STACK)
        for key, value in (("nccmUrl", info["url"]), ("resourceManagerUrl", info["url"])):
            quiet("pulumi", "config", "set", f"pulumi-policies:{key}", value)
        for key, value in (("nccmApiKey", info["nccm_api_key"]), ("resourceManagerToken", info["rm_token"])):
            quiet("pulumi", "config", "set", "--secret", f"pulumi-policies:{key}", "--", value)

        print("==> 1. release v1")
        run("pulumi", "up", "--yes", "--skip-preview")
        v1 = comparable(admin.dump())

        print("\n==> 2. release v2 with the server refusing the 4th write: automatic rollback")
        quiet("pulumi", "config", "set", "release", "v2")
        admin.set_faults([{"kind": "error", "status": 403, "method": "POST|PUT|PATCH", "after": 3, "count": 1}])
        failed = run(*cli, "up", "--stack", STACK, "--rollback-on-failure", check=False)
        admin.clear_faults()
        restored = comparable(admin.dump()) == v1
        print(f"\n==> update exit code {failed}; server back to release v1: {restored}")

        print("\n==> 3. release v2 without the fault, then `pulumi-policies rollback` on demand")
        run("pulumi", "up", "--yes", "--skip-preview")
        changed = comparable(admin.dump()) != v1
        run(*cli, "rollback", "--stack", STACK)
        rolled_back = comparable(admin.dump()) == v1
        print(f"\n==> v2 applied: {changed}; after `pulumi-policies rollback` the server is back to v1: {rolled_back}")
        run("pulumi", "preview", "--expect-no-changes", "--config", "release=v1")
    finally:
        server.terminate()
        server.wait(30)
    ok = failed != 0 and restored and changed and rolled_back
    print("\n==> rollback example: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
