"""The `pulumi-policies` subcommands that work on stacks: diff, access, up, rollback, recover, export."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import PulumiPoliciesError
from .providers import SPECS

EXIT_CHANGES = 2  # only with --detailed-exitcode (as `terraform plan -detailed-exitcode`): changes found
EXIT_NEW_ACCESS = 3  # access --fail-on new-access: someone gains reach or loses an approval step


class CommandFailed(PulumiPoliciesError):
    """A command cannot do what was asked (said on standard error in one line, exit 1)."""


def _stack_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--stack", "-s", required=required, help="the stack name")
    p.add_argument("--cwd", "-C", default=".", help="the Pulumi project directory (default: the current one)")


def _preview_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("preview_json", nargs="?", default="-",
                   help="the preview JSON file, or - for standard input (default; at a terminal, as --run)")
    p.add_argument("--run", action="store_true",
                   help="run `pulumi preview --json` in --cwd (for --stack, else the selected stack) instead")
    _stack_args(p, required=False)
    p.add_argument("--state", metavar="FILE", help="the stack's state the preview starts from (`pulumi stack export "
                                                    "--show-secrets > FILE`); default: read from the stack in --cwd")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when there are changes (as `terraform plan -detailed-exitcode`); without it, writing "
                        "a report exits 0")


def add_commands(sub: Any) -> None:
    p = sub.add_parser("diff", help="review report of the policy changes in a `pulumi preview --json`",
                       description="Turn `pulumi preview --json` output into a per-policy review report, with the "
                                   "access changes it makes (no API calls). Exit code: 0 a report written, 1 "
                                   "error; with --detailed-exitcode, 2 when there are changes.")
    _preview_args(p)
    p.add_argument("--format", choices=("markdown", "text"), default="text", help="report format (default: text)")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("access", help="who gains or loses access, under which approval (--fail-on new-access for CI)",
                       description="The access review of a `pulumi preview --json`: who can now reach what (a "
                                   "profile, or resources by label), under which approval, and which policies cause "
                                   "it, from the preview and the stack's state (no API calls). Exit code: 0 a "
                                   "report written, 1 error; with --fail-on new-access: 3 when anyone gains "
                                   "reach or loses an approval step (or may: a value not seen is read as the "
                                   "widest access); with --detailed-exitcode: 2 when anything changes.")
    _preview_args(p)
    p.add_argument("--format", choices=("markdown", "json", "text"), default="markdown",
                   help="markdown (a pull-request comment, the default), json (docs/access-review.md), text")
    p.add_argument("--fail-on", choices=("new-access",), help="exit 3 when anyone gains reach or loses an approval "
                                                               "step (a change that only removes access exits 0)")
    p.add_argument("--baseline", metavar="FILE", help="compare with this saved access model (--save-model) instead "
                                                       "of the stack's state")
    p.add_argument("--save-model", metavar="FILE", help="write the access model after the preview to FILE (a "
                                                         "later run's --baseline)")
    p.set_defaults(func=cmd_access)

    p = sub.add_parser("up", help="`pulumi up`, optionally rolled back to the last good state on failure",
                       description="Run `pulumi up` through the Automation API. With --rollback-on-failure, a "
                                   "failed update returns the stack to the state recorded before it.")
    _stack_args(p)
    p.add_argument("--rollback-on-failure", action="store_true", help="return to the last good state on failure")
    p.add_argument("--fast", action="store_true",
                   help="write the state once at the end instead of after every step (PULUMI_SKIP_CHECKPOINTS), "
                        "the provider keeping its own journal of what it creates, so that the next `up --fast` "
                        "adopts what a run that died had made (docs/performance.md)")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("rollback", help="return a stack to its previous successful update",
                       description="Return a stack to the inputs of its previous successful update (after a failed "
                                   "update: to the last good state), from the backend's update history (file:// and "
                                   "postgres:// backends).")
    _stack_args(p)
    p.add_argument("--skip", action="append", default=[], metavar="NAME",
                   help="leave this resource as it is (repeatable): continue a rollback that could not restore it")
    p.set_defaults(func=cmd_rollback)

    p = sub.add_parser("recover", help="make a stack truthful again after `pulumi up` died (kill -9, crash)",
                       description="Remove the dead update's lock, adopt the objects its pending creates made "
                                   "(found by natural key), clear the pending operations and refresh. Then "
                                   "`pulumi up` converges with no duplicate and no orphan.")
    _stack_args(p)
    p.add_argument("--force-unlock", action="store_true",
                   help="remove the stack's lock even when its holder may be alive (another machine's update, or a "
                        "backend whose locks cannot be read): only when you know that run is dead")
    p.set_defaults(func=cmd_recover)

    p = sub.add_parser("export", help="write a Pulumi program adopting every existing policy",
                       description="List every policy on the configured endpoints and write a Pulumi Python program "
                                   "declaring each with import_id. Endpoints and credentials come from --stack's "
                                   "config, else the PULUMI_POLICIES_* environment variables.")
    _stack_args(p, required=False)
    p.add_argument("--kind", action="append", choices=list(SPECS), help="only this kind (repeatable; default: all)")
    for field, kinds in _scope_fields().items():  # --profile for profile_id: the policies of one profile
        noun = field.removesuffix("_id")
        p.add_argument(f"--{noun.replace('_', '-')}", dest=f"scope:{field}", metavar=noun.upper(),
                       help=f"only the {' and '.join(kinds)} objects of this {noun.replace('_', ' ')} (id or name)")
    p.add_argument("--name", help="only policies whose name (or policyid) matches this glob pattern")
    p.add_argument("--connection", help="list the policies of this named connection (pulumi-policies:connections in "
                                        "--stack's config) and write connection=NAME in each declaration "
                                        "(default: the default connection)")
    p.add_argument("--as-sets", action="store_true",
                   help="declare one policy set per kind (ResourcePolicySet...) instead of one resource per policy: "
                        "for large estates (docs/large-estates.md)")
    p.add_argument("--output", "-o", default="-", help="the file to write (default: standard output)")
    p.add_argument("--no-progress", action="store_true", help="no progress on standard error")
    p.set_defaults(func=cmd_export)


def _scope_fields() -> dict[str, list[str]]:
    """Each scope field of the registered resources, and the kinds that have it."""
    out: dict[str, list[str]] = {}
    for spec in SPECS.values():
        for field in spec.scope_fields:
            out.setdefault(field, []).append(spec.kind)
    return out


def _echo(text: str, *, error: bool = False) -> None:
    """Engine output, one line per call from the Automation API (without its newline); `error`: its standard error."""
    stream = sys.stderr if error else sys.stdout
    stream.write(text if text.endswith("\n") else text + "\n")
    stream.flush()


def _echo_error(text: str) -> None:
    """The engine's standard error (a stack that does not exist, a lock, a missing passphrase)."""
    _echo(text, error=True)


def _preview(args: argparse.Namespace) -> Any:
    """The preview a command reads: a file, standard input, or (``--run``, or a terminal with nothing piped in) one
    it runs; checked (``preview.read_preview``) before anything is read. A preview that failed shows only part of
    the changes, so no report built on it could be trusted."""
    from .preview import InputRejected, parse, read_preview

    failed = None
    if args.run or (args.preview_json == "-" and sys.stdin.isatty()):  # nobody is piping a preview in: run one
        args.run = True
        stack = ["--stack", args.stack] if args.stack else []
        proc = subprocess.run(["pulumi", "preview", "--json", "--non-interactive", *stack],
                              cwd=args.cwd, capture_output=True, text=True)
        if proc.returncode != 0 and not proc.stdout.strip().startswith("{"):
            raise CommandFailed((proc.stderr or proc.stdout).strip())
        text, failed, source = proc.stdout, proc.returncode if proc.returncode != 0 else None, "pulumi preview"
    elif args.preview_json == "-":
        text, source = sys.stdin.read(), "standard input"
    else:
        text, source = _read(args.preview_json, "preview"), args.preview_json
    try:
        preview = read_preview(parse(text, "preview", source), source)
    except InputRejected as exc:
        raise CommandFailed(str(exc)) from None
    if failed is not None or preview.errors:
        raise CommandFailed("the preview failed, so it does not show every change:\n  " +
                            ("\n  ".join(preview.errors) or f"pulumi preview exited {failed}") +
                            "\n  fix the program or stack and preview again")
    return preview


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise CommandFailed(f"cannot read the {what} {path!r}: {exc.strerror}") from None


def _state(args: argparse.Namespace, preview: Any, required: bool) -> Any:
    """The stack's state the preview starts from: ``--state FILE`` (``pulumi stack export``), else (``--run``, or
    when `required`) the stack's own, read with ``pulumi stack export --show-secrets`` so that a secret member is
    seen; None when neither applies. Checked: a state, of the stack previewed."""
    from . import access
    from .preview import InputRejected, check_pair, parse, read_state

    if args.state:
        text, source = _read(args.state, "state"), args.state
    elif args.run or required:
        stack = ["--stack", args.stack] if args.stack else []
        proc = subprocess.run(["pulumi", "stack", "export", "--show-secrets", *stack], cwd=args.cwd,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise CommandFailed(f"cannot read the stack's state in {args.cwd!r} ({(proc.stderr or proc.stdout).strip()}): "
                                "run in the project with --stack, or pass --state FILE (`pulumi stack export "
                                "--show-secrets > FILE`)")
        text, source = proc.stdout, "pulumi stack export"
    else:
        return None
    try:
        state = read_state(parse(text, "state", source), source)
        check_pair(preview, state, args.stack if args.run else None)
    except InputRejected as exc:
        raise CommandFailed(str(exc)) from None
    return access.resources_of_state(state)


def _state_for_diff(args: argparse.Namespace, preview: Any) -> Any:
    """diff reads the state as access does (one verdict); from a file alone, outside a project, it says so instead
    of a verdict on part of the stack."""
    if args.state or args.run or (Path(args.cwd) / "Pulumi.yaml").exists():
        return _state(args, preview, required=True)
    return None


def cmd_diff(args: argparse.Namespace) -> int:
    from . import access
    from .report import build_report, render_markdown, render_text

    preview = _preview(args)
    state = _state_for_diff(args, preview)
    verdict = access.review(preview, state) if state is not None else None
    changes = build_report(preview)
    render = render_markdown if args.format == "markdown" else render_text
    _echo(render(changes, verdict.changes if verdict else None, unseen=verdict.unseen if verdict else ()))
    return EXIT_CHANGES if changes and args.detailed_exitcode else 0


def cmd_access(args: argparse.Namespace) -> int:
    from . import access

    preview = _preview(args)
    baseline = None
    if args.baseline:
        try:
            baseline = access.AccessModel.from_json(json.loads(_read(args.baseline, "baseline")))
        except ValueError as exc:
            raise CommandFailed(f"--baseline {args.baseline}: {exc}") from None
    verdict = access.review(preview, _state(args, preview, required=baseline is None), baseline)
    if args.save_model:
        Path(args.save_model).write_text(json.dumps(verdict.after.to_json(), indent=1) + "\n")
    render: dict[str, Callable[..., str]] = {"markdown": access.render_markdown, "json": access.render_json,
                                             "text": access.render_text}
    _echo(render[args.format](verdict.changes, unseen=verdict.unseen))
    if args.fail_on == "new-access" and verdict.new_access:
        return EXIT_NEW_ACCESS
    return EXIT_CHANGES if verdict.changes and args.detailed_exitcode else 0


def cmd_up(args: argparse.Namespace) -> int:
    from pulumi import automation as auto

    from . import backends, rollback, stacks

    env: dict[str, str] | None = None
    kept = None
    if args.fast:
        import uuid

        from . import journal

        url = backends.backend_url(args.cwd)
        stack = stacks.select(args.stack, args.cwd)
        project = stack.workspace.project_settings().name
        kept = journal.path_for(url, project, stack.name)
        env = {"PULUMI_SKIP_CHECKPOINTS": "true", journal.ENV: str(kept), journal.RUN_ENV: uuid.uuid4().hex}
    if args.rollback_on_failure:
        ok, report = rollback.up_with_rollback(args.stack, args.cwd, on_output=_echo, env=env)
        if report is not None:
            print(report.text())
    else:
        try:
            stacks.up(stacks.select(args.stack, args.cwd, env), _echo, _echo_error)
            ok = True
        except auto.CommandError:
            ok = False
    if kept is not None and (ok or _ended_normally(url, project, stack.name)):
        kept.unlink(missing_ok=True)  # the engine wrote its final state: it records every object the journal lists
    return 0 if ok else 1


def _ended_normally(url: str, project: str, stack: str) -> bool:
    """Did a failed update end by itself (its lock released, its final state written), rather than die?"""
    from . import backends

    store = backends.state_store(url)
    try:
        return store is not None and not backends.locks(store, project, stack)
    except backends.StoreError:
        return False


def cmd_rollback(args: argparse.Namespace) -> int:
    from . import rollback

    try:
        report = rollback.rollback(args.stack, args.cwd, skip=args.skip, on_output=_echo)
    except rollback.RollbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.text())
    return 0 if report.ok else 1


def cmd_recover(args: argparse.Namespace) -> int:
    from pulumi import automation as auto

    from . import recovery
    from .client.errors import PolicyAPIError

    try:
        report = recovery.recover(args.stack, args.cwd, on_output=_echo, force_unlock=args.force_unlock)
    except (auto.CommandError, PolicyAPIError, recovery.RecoveryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.text())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from . import connections, export
    from .client.errors import PolicyAPIError

    if args.stack:
        from . import stacks

        stack = stacks.select(args.stack, args.cwd)
        connections.configure_from_stack(stack)
    only = {field: value for field in _scope_fields() if (value := getattr(args, f"scope:{field}")) is not None}
    program = io.StringIO()  # written out only once complete: a failed export leaves an existing file as it was
    try:
        export.export(program, args.kind, only=only, name=args.name, connection=args.connection,
                      show_progress=not args.no_progress, as_sets=args.as_sets)
    except (PolicyAPIError, connections.ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(program.getvalue())
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(program.getvalue())
    return 0
