"""`pulumi-policies`: the embedded API server (serve) and the stack commands (diff, access, up, rollback, recover, export)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .emulator.profiles import PROFILES
from .errors import PulumiPoliciesError

# Exit codes of every command: 0 done (diff, access: a report written), 1 an error (said on standard error in one line;
# serve's bad options too), 2 changes found (diff, access --detailed-exitcode) or a command line argparse refuses,
# 3 the gate fails (access --fail-on KIND: commands.EXIT_NEW_ACCESS), 130 interrupted.
EXIT_ERROR = 1


def _fault(text: str) -> dict[str, Any]:
    try:
        rule = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(rule, dict):
        raise argparse.ArgumentTypeError("a fault rule is a JSON object")
    return rule


def _switch(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("a switch is SWITCH=VALUE")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value  # a bare word: a string


def _add_serve(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="run the embedded API server (NCCM and resource-manager policy APIs) on loopback",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Serve both documented policy APIs with real storage, auth and fault injection.\n"
                    "Prints 'url: ...', 'nccm_api_key: ...', 'rm_token: ...', 'admin_token: ...' on start-up.\n\n"
                    "  NCCM             /ux/nccm/configuration_policies/   Authorization: <key> | ApiKey <key>\n"
                    "  resource manager /api/resource-manager/...          Authorization: TOKEN <token>\n"
                    "  admin            /_emulator/...                     Authorization: Bearer <admin token>",
        epilog="Fault rule example: --fault '{\"kind\": \"rate_limit\", \"path\": \"/api/*\", \"rate\": 0.2, "
               "\"retry_after\": 1}'. Kinds: error (status), rate_limit (retry_after), drop, latency "
               "(latency_ms, jitter_ms); filters: method, path (glob), rate, after, count; apply=true serves "
               "the request before failing its answer.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8700, help="port to listen on; 0 picks a free one (default: 8700)")
    store = p.add_mutually_exclusive_group()
    store.add_argument("--data-dir", default=os.environ.get("PULUMI_POLICIES_EMULATOR_DATA"),
                       help="directory of the SQLite database; kept across restarts "
                            "(default: $PULUMI_POLICIES_EMULATOR_DATA, else ./.emulator-data)")
    store.add_argument("--memory", action="store_true", help="keep everything in memory, lost on exit")
    p.add_argument("--seed-file", help='JSON file of profiles to create: {"profiles": [{"id": ..., "name": ...}]}')
    p.add_argument("--nccm-api-key", default=os.environ.get("PULUMI_POLICIES_NCCM_API_KEY"),
                   help="NCCM API key to accept (default: $PULUMI_POLICIES_NCCM_API_KEY, else random)")
    p.add_argument("--rm-token", default=os.environ.get("PULUMI_POLICIES_RM_TOKEN"),
                   help="resource-manager token to accept (default: $PULUMI_POLICIES_RM_TOKEN, else random)")
    p.add_argument("--admin-token", default=os.environ.get("PULUMI_POLICIES_EMULATOR_ADMIN_TOKEN"),
                   help="admin API token (default: $PULUMI_POLICIES_EMULATOR_ADMIN_TOKEN, else random)")
    p.add_argument("--profile", choices=list(PROFILES), default="documented",
                   help="server profile: 'documented' (the API documents literally, the default), 'britive' "
                        "(condition as a JSON string, {count, page, size, data} paging, reads by name, member ids "
                        "filled in, tokens/aiIdentities kinds), 'infraon' (Authorization: ApiKey <key> only, 404 past "
                        "the last page, DRF's unique-together error, nulls for unset fields); the emulator README "
                        "cites the evidence for each behaviour")
    p.add_argument("--set", dest="switches", type=_switch, action="append", default=[], metavar="SWITCH=VALUE",
                   help="change one behaviour of the profile (repeatable), e.g. --set rm_list=paged; "
                        "GET /_emulator/config lists them")
    p.add_argument("--fault", type=_fault, action="append", default=[], metavar="JSON",
                   help="a fault rule (repeatable); see the epilog and the admin API /_emulator/faults")
    p.add_argument("--fault-seed", type=int, help="random seed of the fault rules, for repeatable runs")
    p.add_argument("--latency-ms", type=float, default=0.0, help="fixed latency added to every API request")
    p.add_argument("--tls-cert", help="PEM certificate: serve HTTPS (with --tls-key)")
    p.add_argument("--tls-key", help="PEM private key of --tls-cert")
    p.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"),
                   help="server log level (default: warning)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from . import emulator

    if not emulator.available():
        print(f"error: {emulator.MISSING}", file=sys.stderr)
        return 1
    from .emulator.server import bind, build_state, uvicorn_server

    try:
        state = build_state(data_dir=None if args.memory else (args.data_dir or ".emulator-data"),
                            seed_file=args.seed_file, nccm_api_key=args.nccm_api_key, rm_token=args.rm_token,
                            admin_token=args.admin_token, profile=args.profile, behaviour=dict(args.switches),
                            faults=args.fault, fault_seed=args.fault_seed, latency_ms=args.latency_ms)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if bool(args.tls_cert) != bool(args.tls_key):
        print("error: --tls-cert and --tls-key go together", file=sys.stderr)
        return EXIT_ERROR
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    scheme = "https" if args.tls_cert else "http"
    # Credentials of a local test server, printed on purpose so that clients can be pointed at it.
    for key, value in (("url", f"{scheme}://{host}:{port}"), ("nccm_api_key", state.credentials.nccm_api_key),
                       ("rm_token", state.credentials.rm_token), ("admin_token", state.credentials.admin_token),
                       ("profile", state.behaviour.profile)):
        print(f"{key}: {value}", flush=True)
    try:
        uvicorn_server(state, args.log_level, args.tls_cert, args.tls_key).run(sockets=[sock])
    finally:
        state.store.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .commands import add_commands

    parser = argparse.ArgumentParser(prog="pulumi-policies", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_serve(sub)
    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except PulumiPoliciesError as exc:  # the user's to fix, said whole with what to do: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
