"""The `pulumi-policies` subcommands that work on stacks: diff, access, up, rollback, recover, export."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
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
                                   "it, from the preview and the stack's state (no API calls). With --drift: the "
                                   "access changed on the tenant outside the code, and the access of unmanaged "
                                   "policies in the stack's scope (changes nothing). Exit code: 0 a report "
                                   "written, 1 error; 3 when a change --fail-on names fails the gate (inside "
                                   "--only, accepted by no unexpired --exceptions entry); with "
                                   "--detailed-exitcode: 2 when anything changes. docs/access-review.md")
    _preview_args(p)
    from .access.formats import FORMATS
    from .access.verdict import FAIL_ON

    p.add_argument("--format", choices=FORMATS, default="markdown",
                   help="markdown (a pull-request comment, the default), json (docs/access-review.md), text, sarif "
                        "(SARIF 2.1.0, for code scanning), junit (JUnit XML, one test case per change)")
    p.add_argument("--fail-on", choices=FAIL_ON, action="append", metavar="KIND",
                   help="exit 3 when a change of this kind is found (repeatable): new-access (gains, weaker approvals "
                        "and, with --drift, unmanaged access), gains, weaker-approval, unconstrained (new access to "
                        "every resource, or to a profile with no gate at all); a change that only removes access "
                        "never fails")
    p.add_argument("--only", action="append", metavar="SELECTOR", type=_selector,
                   help="only changes this selects can fail the gate (repeatable, any may match; the rest are still "
                        "reported): label:KEY=VALUE, profile:ID, connection:NAME (connection: the default one)")
    p.add_argument("--exceptions", metavar="FILE",
                   help="accepted exceptions (YAML or JSON): principal kind:name, optional policy and reach, and a "
                        "reason, owner and expires date each; an unexpired match does not fail the gate")
    p.add_argument("--drift", action="store_true",
                   help="report access changed outside the code: the stack's state against the tenant now (`pulumi "
                        "preview --refresh`, which writes nothing) and the policies in the stack's scope no resource "
                        "manages; runs in --cwd for --stack, as --run does")
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


def _selector(text: str) -> Any:
    from .access.verdict import Selector

    try:
        return Selector.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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


def _preview(args: argparse.Namespace, extra: tuple[str, ...] = ()) -> Any:
    """The preview a command reads: a file, standard input, or (``--run``, or a terminal with nothing piped in) one
    it runs; checked (``preview.read_preview``) before anything is read. A preview that failed shows only part of
    the changes, so no report built on it could be trusted."""
    from .preview import InputRejected, parse, read_preview

    failed = None
    if args.run or (args.preview_json == "-" and sys.stdin.isatty()):  # nobody is piping a preview in: run one
        args.run = True
        stack = ["--stack", args.stack] if args.stack else []
        proc = subprocess.run(["pulumi", "preview", "--json", "--non-interactive", *extra, *stack],
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


def _read_state(args: argparse.Namespace, preview: Any, required: bool) -> Any:
    """The stack's state the preview starts from (``preview.State``): ``--state FILE`` (``pulumi stack export``),
    else (``--run``, or when `required`) the stack's own, read with ``pulumi stack export --show-secrets`` so that a
    secret member is seen; None when neither applies. Checked: a state, of the stack previewed."""
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
    return state


def _state(args: argparse.Namespace, preview: Any, required: bool) -> Any:
    """The policies of the stack's state (``_read_state``), as the access model reads them; None without one."""
    from . import access

    state = _read_state(args, preview, required)
    return access.resources_of_state(state) if state is not None else None


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
    from importlib.metadata import PackageNotFoundError, version

    from . import access
    from .access import exceptions, formats, verdict

    accepted = exceptions.load(args.exceptions) if args.exceptions else None  # checked before anything runs
    if args.drift:
        changes, unseen, subject = _drift(args)
        after = None
    else:
        preview = _preview(args)
        baseline = None
        if args.baseline:
            try:
                baseline = access.AccessModel.from_json(json.loads(_read(args.baseline, "baseline")))
            except ValueError as exc:
                raise CommandFailed(f"--baseline {args.baseline}: {exc}") from None
        state = _read_state(args, preview, required=baseline is None)
        review = access.review(preview, access.resources_of_state(state) if state is not None else None, baseline)
        changes, unseen, after = review.changes, review.unseen, review.after
        subject = formats.Subject(preview.project, preview.stack, False, args.cwd, formats.positions(
            {r.name: r.source_position for r in (state.resources.values() if state is not None else ())},
            {s.name: s.new.source_position for s in preview.steps if s.new is not None}))
    judged = verdict.judge(changes, args.fail_on or (), args.only or (), accepted, unseen=unseen)
    try:
        ours = version("pulumi_policies")
    except PackageNotFoundError:
        ours = ""
    _echo(formats.render(args.format, changes, unseen, judged, subject, ours))
    refused = None
    if args.save_model and after is not None:
        if after.unseen:  # the widest reading of what it cannot see: as a baseline, it would hide later gains
            refused = (f"--save-model {args.save_model}: not written: the preview hides {len(after.unseen)} value(s) "
                       "(listed as not seen), so its model is the widest reading, not the access the stack will hold. "
                       "Save the model once every value is known: after `pulumi up`, `pulumi-policies access --run "
                       "--stack <stack> --save-model FILE`")
        else:
            Path(args.save_model).write_text(json.dumps(after.to_json(), indent=1) + "\n")
    if refused and not judged.failed:
        raise CommandFailed(refused)
    if refused:
        _echo(f"error: {refused}", error=True)  # the gate's verdict still decides the exit status
    if judged.failed:
        return EXIT_NEW_ACCESS
    return EXIT_CHANGES if changes and args.detailed_exitcode else 0


def _drift(args: argparse.Namespace) -> tuple[list[Any], list[Any], Any]:
    """The access changed outside the code (a refresh preview against the state) and the access of the unmanaged
    policies in the stack's scope: nothing is written (``pulumi preview`` keeps no state; listing only reads)."""
    from . import connections, stacks
    from .access import drift, formats
    from .client.errors import PolicyAPIError

    if args.baseline or args.save_model or args.preview_json != "-":
        raise CommandFailed("--drift runs its own refresh preview of --stack in --cwd: it takes no preview file, "
                            "--baseline or --save-model")
    args.run = True
    preview = _preview(args, ("--refresh", "--show-sames"))
    state = _read_state(args, preview, required=True)
    try:
        connections.configure_from_stack(stacks.select(args.stack or preview.stack, args.cwd))
        changes, unseen, before, after = drift.drift(
            preview, state, lambda before, after: drift.orders_outside(before, after, args.only or ()))
        unmanaged, _ = drift.unmanaged(before, after, args.only or ())
    except (PolicyAPIError, connections.ConfigurationError) as exc:
        raise CommandFailed(f"cannot list the policies in the stack's scope: {exc}") from None
    subject = formats.Subject(preview.project or state.project, preview.stack or state.stack, True, args.cwd,
                              formats.positions({r.name: r.source_position for r in state.resources.values()}))
    return [*changes, *unmanaged], unseen, subject


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
