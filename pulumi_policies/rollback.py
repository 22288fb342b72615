"""Stack-level rollback on the real engine (Automation API), with CloudFormation's semantics.

- ``up_with_rollback``: record the stack's last good state, run ``up``; if it fails, return the stack to
  the recorded state.
- ``rollback``: return a stack to the state of its previous successful update, read from the backend's
  own history (``.pulumi/history/<project>/<stack>/``: file:// and postgres:// backends, see backends).

Returning to a state means: clear the operations the failure left pending (deleting objects whose
create landed unrecorded), refresh, re-apply the recorded inputs of the same URNs through the engine
(objects the failed update created are deleted, objects it deleted are created again), and finish
with a preview that must show no changes. What cannot be restored is reported by name, and
``skip`` continues a rollback leaving named resources as they are.

Limits: only this package's resources at the top level of a stack can be re-declared; an object
deleted out of band is re-created with a new remote id; a server refusing a change stops the
rollback with a report of what is left.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi import automation as auto

from . import backends, stacks
from .engine_state import urn_name, user_props
from .errors import PulumiPoliciesError
from .recovery import adopt_set_items, pending_creates
from .registry import IMPORT_ID, ITEMS, TYPE_PREFIX, item_label

MARK = "pulumi-policies rollback to"  # the update message of a rollback; names the checkpoint it returns to
ENGINE_TYPES = ("pulumi:pulumi:Stack", "pulumi:providers:")


class RollbackError(PulumiPoliciesError):
    """A rollback could not start or could not finish; the message lists what is left and what to do."""


@dataclass
class RollbackReport:
    stack: str
    restored: list[str] = field(default_factory=list)   # put back to their previous inputs
    deleted: list[str] = field(default_factory=list)    # created by the failed update, removed
    recreated: list[str] = field(default_factory=list)  # gone, created again (new remote id)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    left: dict[str, str] = field(default_factory=dict)  # name -> why it is not back
    orphans_removed: list[str] = field(default_factory=list)  # landed pending creates deleted
    outputs: list[str] = field(default_factory=list)  # stack outputs restored as the target recorded them
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.left

    def text(self) -> str:
        lines = [f"Rollback of stack {self.stack!r}: {'complete' if self.ok else 'INCOMPLETE'} "
                 f"in {self.seconds:.1f}s"]
        for label, names in (("restored", self.restored), ("deleted", self.deleted),
                             ("re-created", self.recreated), ("unchanged", self.unchanged),
                             ("skipped", self.skipped), ("pending creates removed", self.orphans_removed)):
            if names:
                lines.append(f"  {label}: {', '.join(sorted(names))}")
        if self.outputs:
            lines.append(f"  stack outputs restored as recorded: {', '.join(sorted(self.outputs))}"
                         + (" (some name re-created objects, whose ids are new: run your program's `pulumi up` to "
                            "bring those up to date)" if self.recreated else ""))
        for name, why in sorted(self.left.items()):
            lines.append(f"  NOT RESTORED {name}: {why}")
        if self.left:
            skip = " ".join(f"--skip {n}" for n in sorted(self.left))
            lines.append(f"  Fix the cause and run `pulumi-policies rollback --stack {self.stack}` again, or continue "
                         f"without them: `pulumi-policies rollback --stack {self.stack} {skip}`.")
        return "\n".join(lines)


def _name(resource: dict[str, Any]) -> str:
    return urn_name(resource["urn"])


def _ours(resources: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in resources if r.get("type", "").startswith(TYPE_PREFIX)}


def _inputs(resource: dict[str, Any]) -> dict[str, Any]:
    """The inputs that re-declare a resource: without import_id (its object may be gone since: a rollback makes it
    again), in a policy set's items too."""
    inputs = {k: v for k, v in user_props(resource.get("inputs")).items() if k != IMPORT_ID}
    if isinstance(inputs.get(ITEMS), dict):
        inputs[ITEMS] = {key: {k: v for k, v in item.items() if k != IMPORT_ID} if isinstance(item, dict) else item
                         for key, item in inputs[ITEMS].items()}
    return inputs


def _check_rollbackable(resources: list[dict[str, Any]], skip: set[str]) -> None:
    foreign = [r["urn"] for r in resources
               if not r.get("type", "").startswith(ENGINE_TYPES + (TYPE_PREFIX,)) and _name(r) not in skip]
    if foreign:
        raise RollbackError("these resources are not pulumi_policies resources and cannot be re-declared by a "
                            f"rollback: {', '.join(foreign)}")
    nested = [r["urn"] for r in _ours(resources).values()
              if r.get("parent") and "pulumi:pulumi:Stack" not in r["parent"] and _name(r) not in skip]
    if nested:
        raise RollbackError(f"only top-level resources can be rolled back; these have a parent: {', '.join(nested)}")


def _program(target: dict[str, dict[str, Any]], keep: dict[str, dict[str, Any]]) -> Callable[[], None]:
    """A Pulumi program declaring `target` (and `keep`, skipped resources as they are now)."""
    from . import resources as classes

    def program() -> None:
        for resource in [*target.values(), *keep.values()]:
            cls = getattr(classes, resource["type"].removeprefix(TYPE_PREFIX))
            opts = pulumi.ResourceOptions(protect=bool(resource.get("protect")))
            cls(_name(resource), opts=opts, **_inputs(resource))

    return program


def _deployment(stack: auto.Stack) -> Mapping[str, Any]:
    return stack.export_stack().deployment or {}


def _stack_outputs(deployment: Mapping[str, Any]) -> dict[str, Any] | None:
    return next((r.get("outputs") or {} for r in deployment.get("resources") or []
                 if r.get("type") == "pulumi:pulumi:Stack"), None)


def _restore_outputs(stack: auto.Stack, exported: auto.Deployment, target_deployment: Mapping[str, Any],
                     report: RollbackReport) -> None:
    """Put back the stack outputs the target recorded (other stacks read them through stack references) into the
    state `exported` (the stack's current one).

    The rollback's program declares resources only, so its update leaves no outputs; the recorded values are
    written into the state as they were, secrets still encrypted by this stack's own secrets provider.
    """
    recorded = _stack_outputs(target_deployment)
    if recorded is None:
        return
    deployment = _with_stack_outputs(dict(exported.deployment or {}), recorded)
    stack.import_stack(auto.Deployment(version=exported.version, deployment=deployment))
    report.outputs = sorted(recorded)


def _remove_landed_pending_creates(stack: auto.Stack, target: dict[str, dict[str, Any]],
                                   report: RollbackReport) -> None:
    """Clear pending operations; a pending create of ours not in the target is looked up and deleted."""
    exported = stack.export_stack()
    deployment = dict(exported.deployment or {})
    pending = deployment.get("pending_operations") or []
    if not pending:
        return
    # the policies a dead update of a set made: recorded in the set, so that the rollback's update deletes those
    # its target does not hold
    for urn, key in adopt_set_items(stack, pending, deployment.setdefault("resources", [])):
        if key not in ((target.get(urn) or {}).get("inputs") or {}).get(ITEMS, {}):
            report.orphans_removed.append(item_label(_name({"urn": urn}), key))
    for create in pending_creates(stack, deployment, exclude=set(target)):
        if create.found is not None and not create.existed:  # what an adoption names was there before: it stays
            create.remote().delete(create.found["id"])
            report.orphans_removed.append(create.name)
    deployment["pending_operations"] = []
    stack.import_stack(auto.Deployment(version=exported.version, deployment=deployment))


def rollback_to(stack_name: str, work_dir: str | os.PathLike[str], target_deployment: Mapping[str, Any], *,
                skip: Iterable[str] = (), env: dict[str, str] | None = None,
                on_output: Callable[[str], Any] | None = None, target_name: str = "the last good state",
                ) -> RollbackReport:
    """Return the stack to `target_deployment` (a deployment as `pulumi stack export` gives it)."""
    started = time.monotonic()
    skip = set(skip)
    report = RollbackReport(stack_name)
    work_dir = str(work_dir)
    resources = target_deployment.get("resources") or []
    _check_rollbackable(resources, skip)
    target = {urn: r for urn, r in _ours(resources).items() if _name(r) not in skip}

    local = stacks.select(stack_name, work_dir, env)
    _remove_landed_pending_creates(local, target, report)
    stacks.refresh(local, on_output)
    before = _ours(_deployment(local).get("resources") or [])
    keep = {urn: r for urn, r in before.items() if _name(r) in skip}
    report.skipped = sorted(_name(r) for r in _ours(resources).values() if _name(r) in skip)

    inline = stacks.select(stack_name, work_dir, env, program=_program(target, keep))
    failure = ""
    errors = ResourceErrors()
    try:
        inline.up(on_output=on_output, on_event=errors, message=f"{MARK} {target_name}")
    except auto.CommandError as exc:
        failure = _engine_error(str(exc))

    exported = local.export_stack()
    after = _ours((exported.deployment or {}).get("resources") or [])
    for urn, wanted in target.items():
        name = _name(wanted)
        now = after.get(urn)
        if now is None or _inputs(now) != _inputs(wanted):
            report.left[name] = errors.of(urn) or (
                f"not reached: the rollback's update stopped at {errors.first() or failure}" if failure
                else "its inputs differ from the recorded ones after the rollback")
        elif urn not in before:
            report.recreated.append(name)
        elif _inputs(before[urn]) != _inputs(wanted):
            report.restored.append(name)
        else:
            report.unchanged.append(name)
    for urn, resource in after.items():
        if urn not in target and urn not in keep:
            report.left[_name(resource)] = errors.of(urn) or failure or "created by the failed update and still present"
    report.deleted = sorted(_name(r) for urn, r in before.items() if urn not in target and urn not in keep
                            and urn not in after)
    if report.ok:
        _restore_outputs(local, exported, target_deployment, report)
        summary = inline.preview(on_output=on_output).change_summary
        changes = {k: v for k, v in summary.items() if k != "same" and v}
        if changes:
            report.left["(stack)"] = f"the final preview still shows changes: {changes}"
    report.seconds = time.monotonic() - started
    return report


class ResourceErrors:
    """An Automation API event handler keeping each resource's error diagnostics, by URN."""

    def __init__(self) -> None:
        self.by_urn: dict[str, list[str]] = {}

    def __call__(self, event: auto.EngineEvent) -> None:
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity == "error" and diagnostic.urn:
            self.by_urn.setdefault(diagnostic.urn, []).append(diagnostic.message.strip())

    def of(self, urn: str) -> str:
        return " | ".join(dict.fromkeys(self.by_urn.get(urn, [])))[:2000]

    def first(self) -> str:
        """The first resource that failed, and why: what stopped the update (the engine starts nothing new after it)."""
        for urn in self.by_urn:
            return f"{urn.rsplit('::', 1)[-1]} ({self.of(urn)})"
        return ""


def _engine_error(text: str) -> str:
    """The lines of an engine error that say what failed (its diagnostics), not the whole transcript."""
    lines = [ln.strip() for ln in text.splitlines() if "error:" in ln and "update failed" not in ln]
    return " | ".join(dict.fromkeys(lines))[:2000] or text.strip().splitlines()[-1][:500]


def up_with_rollback(stack_name: str, work_dir: str | os.PathLike[str], *, env: dict[str, str] | None = None,
                     on_output: Callable[[str], Any] | None = None) -> tuple[bool, RollbackReport | None]:
    """`pulumi up`; on failure, roll back to the state recorded just before. Returns (up succeeded, report)."""
    stack = stacks.select(stack_name, work_dir, env)
    last_good = _deployment(stack)
    try:
        stacks.up(stack, on_output)
        return True, None
    except auto.CommandError as exc:
        if on_output:
            on_output(f"update failed ({_engine_error(str(exc))}); rolling back to the last good state\n")
    return False, rollback_to(stack_name, work_dir, last_good, env=env, on_output=on_output)


def previous_checkpoint(stack_name: str, work_dir: str | os.PathLike[str],
                        env: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """The checkpoint to return to (its name in the backend's history, and its deployment).

    After a successful update: the state of the successful update before it. After a failed update:
    the newest successful state. After a failed rollback: the same target that rollback aimed at.
    Read from the backend's own history (a DIY backend: file:// or postgres://, see backends).
    """
    stack = stacks.select(stack_name, work_dir, env)
    url = backends.backend_url(work_dir, env)
    store = backends.state_store(url)
    if store is None:
        raise RollbackError(f"rollback reads the backend's update history, which only file:// and postgres:// "
                            f"backends let it read; {backends.redact(url) or 'this backend'} is neither. "
                            "`pulumi-policies up --rollback-on-failure` works on every backend: it records the "
                            "state itself before updating")
    project = stack.workspace.project_settings().name
    try:
        folder = backends.stack_folder(store, "history", project, stack_name)
        keys = set(backends.children(store, folder))
        if not keys:
            raise RollbackError(f"no update history for stack {stack_name!r} in {store.url} (a backend whose "
                                "history is compressed, PULUMI_DIY_BACKEND_GZIP, is not read)")
        updates: list[tuple[dict[str, Any], str]] = []  # oldest first
        for key in sorted(k for k in keys if k.rsplit("/", 1)[-1].startswith(f"{stack_name}-")
                          and k.endswith(".history.json")):
            entry = json.loads(store.read(key) or b"{}")
            if entry.get("kind") == "update":
                updates.append((entry, key.removesuffix(".history.json") + ".checkpoint.json"))
        chosen: str | None = None
        if updates and updates[-1][0].get("result") != "succeeded":
            message = updates[-1][0].get("message") or ""
            aimed = _aimed(folder, message)
            chosen = aimed if aimed in keys else None
            wanted = 1
        else:
            wanted = 2
        good = [key for entry, key in updates if entry.get("result") == "succeeded"]
        if chosen is None:
            if len(good) < wanted:
                raise RollbackError(f"stack {stack_name!r} has {len(good)} successful update(s); there is no "
                                    "earlier state to return to")
            chosen = good[-wanted]
        deployment = _latest(store, chosen)
        outputs_from = _outputs_source(updates, chosen, folder, keys)
        recorded = _stack_outputs(_latest(store, outputs_from)) if outputs_from != chosen else None
        if recorded is not None:
            deployment = _with_stack_outputs(deployment, recorded)
    except backends.StoreError as exc:
        raise RollbackError(str(exc)) from exc
    return chosen.rsplit("/", 1)[-1], deployment


def _with_stack_outputs(deployment: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """`deployment` with its stack resource's outputs set to `outputs` (as recorded: secrets still encrypted)."""
    for resource in deployment.get("resources") or []:
        if resource.get("type") == "pulumi:pulumi:Stack":
            resource["outputs"] = outputs
    return deployment


def _aimed(folder: str, message: str) -> str | None:
    """The checkpoint a rollback's update message names (`MARK <name>`), as a key of `folder`; None for any other
    update (``up --rollback-on-failure`` names no checkpoint: its aim is not a key)."""
    return f"{folder}/{message.removeprefix(MARK).strip()}" if message.startswith(MARK) else None


def _latest(store: Any, key: str) -> dict[str, Any]:
    checkpoint = json.loads(store.read(key) or b"{}")
    return dict((checkpoint.get("checkpoint") or {}).get("latest") or {})


def _outputs_source(updates: list[tuple[dict[str, Any], str]], chosen: str, folder: str, keys: set[str]) -> str:
    """The checkpoint whose stack outputs `chosen` stands for. A rollback's own update declares resources only and
    puts the outputs back afterwards (_restore_outputs, an import the history does not record), so its checkpoint
    stands for the outputs of the state it returned to: the checkpoint its message names, or, for
    ``up --rollback-on-failure``, the last successful update before the failed one."""
    seen: set[str] = set()
    while chosen not in seen:
        seen.add(chosen)
        index = next((i for i, (_, key) in enumerate(updates) if key == chosen), None)
        message = (updates[index][0].get("message") or "") if index is not None else ""
        if index is None or not message.startswith(MARK):
            return chosen
        aimed = _aimed(folder, message)
        earlier = [key for entry, key in updates[:index] if entry.get("result") == "succeeded"]
        if aimed in keys:
            chosen = aimed
        elif earlier:
            chosen = earlier[-1]
        else:
            return chosen
    return chosen


def rollback(stack_name: str, work_dir: str | os.PathLike[str], *, skip: Iterable[str] = (),
             env: dict[str, str] | None = None, on_output: Callable[[str], Any] | None = None) -> RollbackReport:
    """Return the stack to the state of its previous successful update (see previous_checkpoint)."""
    name, target = previous_checkpoint(stack_name, work_dir, env)
    return rollback_to(stack_name, work_dir, target, skip=skip, env=env, on_output=on_output, target_name=name)
