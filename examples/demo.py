"""`make demo`: the embedded API server, then `pulumi up` of examples/quickstart, then a preview with no changes.

Everything lives under examples/quickstart/.pulumi-state/ (the server's database, the file backend,
PULUMI_HOME), so the demo touches nothing else on the machine and can be run again at will.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
from pathlib import Path

from pulumi_policies.emulator.server import spawn

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "quickstart"
STATE = PROJECT / ".pulumi-state"
STACK = "demo"
PASSPHRASE = "demo-passphrase"  # the demo's own local stack; use a real secret for real stacks
PROFILES = [{"id": "prof-engineering", "name": "engineering", "description": "Engineering profile"}]


def free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def credentials() -> Path:
    """The demo server's API key and token, made once and kept (mode 600) so a restarted server accepts them."""
    path = STATE / "credentials.env"
    if not path.exists():
        STATE.mkdir(parents=True, exist_ok=True)
        path.write_text(f"PULUMI_POLICIES_NCCM_API_KEY=demo-{secrets.token_urlsafe(16)}\n"
                        f"PULUMI_POLICIES_RM_TOKEN=demo-{secrets.token_urlsafe(16)}\n")
        path.chmod(0o600)
    return path


def start_server(port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    seed = STATE / "seed.json"
    seed.write_text(json.dumps({"profiles": PROFILES}))
    env = dict(os.environ)
    env.update(line.split("=", 1) for line in credentials().read_text().split())
    return spawn("--port", str(port), "--data-dir", str(STATE / "emulator"), "--seed-file", str(seed), env=env)


def main() -> int:
    env = dict(os.environ)
    env.update({
        "PULUMI_BACKEND_URL": f"file://{STATE / 'backend'}",
        "PULUMI_HOME": str(STATE / "pulumi-home"),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    })
    (STATE / "backend").mkdir(parents=True, exist_ok=True)

    def pulumi(*args: str, check: bool = True) -> int:
        print(f"\n$ pulumi {' '.join(args)}", flush=True)
        rc = subprocess.run(["pulumi", *args], cwd=PROJECT, env=env).returncode
        if check and rc != 0:
            raise SystemExit(f"pulumi {args[0]} failed (exit {rc})")
        return rc

    port = free_port(int(os.environ.get("DEMO_PORT", "18080")))
    print(f"==> starting the embedded API server on 127.0.0.1:{port}")
    server, info = start_server(port)
    print(f"    {info['url']} (API key and token in {credentials().relative_to(HERE.parent)})")
    try:
        if subprocess.run(["pulumi", "stack", "select", STACK], cwd=PROJECT, env=env,
                          capture_output=True).returncode != 0:
            pulumi("stack", "init", STACK)
        url = info["url"]
        for key, value in (("nccmUrl", url), ("resourceManagerUrl", url)):
            pulumi("config", "set", f"pulumi-policies:{key}", value)
        for key, value in (("nccmApiKey", info["nccm_api_key"]), ("resourceManagerToken", info["rm_token"])):
            subprocess.run(["pulumi", "config", "set", "--secret", f"pulumi-policies:{key}", "--", value],
                           cwd=PROJECT, env=env, check=True, capture_output=True)
        print("\n(config set: endpoints, and the API key and token as encrypted secrets)")
        pulumi("up", "--yes")
        pulumi("preview", "--expect-no-changes")
    finally:
        server.terminate()
        server.wait(timeout=30)

    exports = " ".join(f"{k}={shlex.quote(env[k])}" for k in
                       ("PULUMI_BACKEND_URL", "PULUMI_HOME", "PULUMI_CONFIG_PASSPHRASE"))
    print(f"""
==> Done. The stack '{STACK}' and the server's database are kept under {STATE.relative_to(HERE.parent)}/.
Explore them (from the repository root):
  export PATH="$PWD/.engine/bin:$PWD/.venv/bin:$PATH" {exports}
  set -a; . {credentials()}; set +a        # the demo server's API key and token
  pulumi-policies serve --port {port} --data-dir {STATE / 'emulator'} &    # the server, back with the same data
  cd examples/quickstart && pulumi stack output && pulumi preview --diff
Clean up:  (with the server running) pulumi destroy --yes && pulumi stack rm {STACK} --yes
           or simply: rm -rf {STATE}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
