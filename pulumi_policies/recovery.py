"""Recovering a stack whose `pulumi up` died mid-way (kill -9, a crashed CI runner, a lost machine).

The engine writes a *pending create* to the state before it asks the provider to create an object,
and clears it when the answer comes back. A dead update leaves those behind, with the stack locked.
Whether each of those creates landed on the server only the server can say, so ``recover``:

1. with the file backend, repairs what a kill can leave half-written (the checkpoint's metadata sidecar is
   written in place; a checkpoint that does not parse is restored from its ``.bak``), then removes the dead
   update's lock if its process is gone from this machine (that lock only, see release_dead_lock); a lock
   held by a live process or by another machine (a shared backend) stays unless ``force_unlock`` says that
   run is dead;
2. for each pending create of this package's resources, looks the object up by its natural key
   (name in its scope; NCCM policyid + organization) and, if it is there holding exactly what the create sent,
   records it in the state as that resource (adoption, as ``import_id`` does); if it is not, the create never
   landed (an object of that name holding anything else is somebody else's, left alone);
   A policy set's pending create or update is handled item by item: each item of its new inputs that the set's
   state does not hold is looked up the same way and, if it is there, recorded in the set (adopt_set_items);
3. clears the pending operations and runs ``pulumi refresh``, so the state says what the server holds.

The next ``pulumi up`` then converges to the program: no duplicate (a landed create is adopted, not
made again) and no orphan (every object the dead update made is in the state). Pending updates and
deletes need nothing: the resource is still in the state, refresh reads it, up finishes the job.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from . import backends, connections, stacks
from .engine_state import PROVIDER_KEY, urn_name, user_props
from .errors import PulumiPoliciesError
from .providers import CONNECTION, PROVIDERS, SET_PROVIDERS, PolicyProvider
from .providers.sets import new_set_id
from .registry import IDS, IMPORT_ID, ITEMS, TYPE_PREFIX, item_label


class RecoveryError(PulumiPoliciesError):
    """recover could not start; the message says why and what to do."""


@dataclass
class RecoveryReport:
    stack: str
    repaired: list[str] = field(default_factory=list)     # backend files fixed before anything could be read
    adopted: list[str] = field(default_factory=list)      # pending creates that had landed: now in the state
    not_landed: list[str] = field(default_factory=list)   # pending creates that never reached the server
    other_pending: list[str] = field(default_factory=list)  # pending updates/deletes, settled by refresh

    def text(self) -> str:
        lines = [f"Recovered stack {self.stack!r}:"]
        lines += [f"  repaired: {what}" for what in self.repaired]
        for label, names in (("adopted (created before the crash)", self.adopted),
                             ("never created", self.not_landed), ("settled by refresh", self.other_pending)):
            if names:
                lines.append(f"  {label}: {', '.join(sorted(names))}")
        if len(lines) == 1 + len(self.repaired):
            lines.append("  nothing was pending")
        lines.append(f"  Next: `pulumi up --stack {self.stack}` converges to the program.")
        return "\n".join(lines)


@dataclass
class PendingCreate:
    """A create the state records as started but not finished, looked up on the server by natural key."""

    name: str
    resource: dict[str, Any]     # the pending operation's resource (urn, type, inputs, ...)
    provider: PolicyProvider
    scope: dict[str, Any]
    found: dict[str, Any] | None  # the object the create made, if it landed (or, adopting, the one it adopts)
    existed: bool = False         # an adoption (import_id): the object was there before the create

    def remote(self) -> Any:
        return self.provider.spec.remote(self.scope)


def pending_creates(stack: auto.Stack, deployment: dict[str, Any], exclude: Set[str] = frozenset()) -> list[PendingCreate]:
    """The deployment's pending creates of this package's resources (but the URNs in `exclude`), each looked
    up on the server by its natural key."""
    ours = [r for op in deployment.get("pending_operations") or [] if op.get("type") == "creating"
            for r in [op.get("resource") or {}]
            if r.get("urn") not in exclude and r.get("type", "").removeprefix(TYPE_PREFIX) in PROVIDERS]
    if ours:
        connections.configure_from_stack(stack)
    out = []
    for resource in ours:
        provider = PROVIDERS[resource["type"].removeprefix(TYPE_PREFIX)]()
        inputs = user_props(resource.get("inputs"))
        scope = provider.spec.scope_of(inputs)  # its scope fields and its connection
        found = provider.spec.remote(scope).find(inputs)
        existed = bool(inputs.get(IMPORT_ID))  # an adoption: the object is the one import_id names, made before
        if not existed and not provider.is_ours(found, inputs):
            found = None  # an object of that name holding anything else is somebody else's: the next up names it
        out.append(PendingCreate(urn_name(resource["urn"]), resource, provider, scope, found, existed))
    return out


def adopt_set_items(stack: auto.Stack, pending: list[dict[str, Any]],
                    resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Record in `resources` the policies that a dead create or update of a policy set made: each item of its
    pending inputs that the set's state does not hold and that a create of it would have made, found on the
    server by its natural key and holding exactly what the create sent (the test the provider applies after an
    ambiguous create: an object of that name holding anything else is somebody else's). Items adopted with
    import_id are left out (no create made them), and so is a set being moved to another connection (its pending
    create shares the URN of the set still on the old one). Returns (URN, key) of each."""
    ops = [op.get("resource") or {} for op in pending if op.get("type") in ("creating", "updating")]
    ops = [r for r in ops if r.get("type", "").removeprefix(TYPE_PREFIX) in SET_PROVIDERS]
    if not ops:
        return []
    connections.configure_from_stack(stack)
    by_urn = {r["urn"]: r for r in resources}
    recorded_before = set(by_urn)
    adopted: list[tuple[str, str]] = []
    for resource in ops:
        provider = SET_PROVIDERS[resource["type"].removeprefix(TYPE_PREFIX)]()
        spec, item = provider.spec, provider.item()
        inputs = resource.get("inputs") or {}
        connection = inputs.get(CONNECTION)
        recorded = by_urn.get(resource["urn"])
        if recorded is not None and (recorded.get("outputs") or {}).get(CONNECTION) != connection:
            continue  # a replacement on another connection: nothing here is safe to merge into the old set
        if recorded is None:  # a pending create: the set holds what was found of it, inputs and outputs alike
            recorded = {**resource, "id": new_set_id(provider.kind), "inputs": {**inputs, ITEMS: {}},
                        "outputs": {ITEMS: {}, IDS: {}, PROVIDER_KEY: inputs.get(PROVIDER_KEY),
                                    **({CONNECTION: connection} if connection is not None else {})}}
            resources.append(recorded)
            by_urn[resource["urn"]] = recorded
        outputs = recorded.setdefault("outputs", {})
        items, ids = outputs.setdefault(ITEMS, {}), outputs.setdefault(IDS, {})
        for key, values in (inputs.get(ITEMS) or {}).items():
            if key in ids or not isinstance(values, dict) or values.get(IMPORT_ID):
                continue
            declared = provider.on_connection(connection, values)
            scope = spec.scope_of(declared)
            found = spec.remote(scope).find(values)
            if item.is_ours(found, declared):
                items[key] = provider.own_outputs(item.outputs(found, scope))
                ids[key] = spec.pulumi_id(scope, str(found["id"]))
                if resource["urn"] not in recorded_before:
                    recorded["inputs"][ITEMS][key] = values
                adopted.append((resource["urn"], key))
    return adopted


def _parses(path: Path) -> bool:
    try:
        json.loads(path.read_bytes() or b"!")
        return True
    except (OSError, ValueError):
        return False


def repair_file_backend(stack_name: str, work_dir: str | os.PathLike[str], env: dict[str, str] | None) -> list[str]:
    """Fix the stack's files in a file:// backend that a kill left unreadable; say what was done.

    Only the file backend needs this: it writes a checkpoint and its metadata sidecar as two files. The
    PostgreSQL backend writes each blob as one row in one statement, which a kill cannot tear."""
    url = backends.backend_url(work_dir, env)
    if not url.startswith("file://"):
        return []
    stacks = Path(url.removeprefix("file://")).expanduser() / ".pulumi" / "stacks"
    done: list[str] = []
    for checkpoint in sorted(stacks.rglob(f"{stack_name}.json")):
        attrs = checkpoint.with_name(checkpoint.name + ".attrs")
        if attrs.exists() and not _parses(attrs):
            attrs.unlink()  # the blob store's metadata sidecar, written in place: half-written, it blocks every read
            done.append(f"removed the half-written {attrs.name}")
        backup = checkpoint.with_name(checkpoint.name + ".bak")
        if not _parses(checkpoint) and backup.exists() and _parses(backup):
            shutil.copyfile(backup, checkpoint)
            done.append(f"{checkpoint.name} did not parse: restored the previous checkpoint from {backup.name}")
    return done


def release_dead_lock(stack: auto.Stack, work_dir: str | os.PathLike[str], env: dict[str, str] | None,
                      force_unlock: bool) -> list[str]:
    """Remove the lock a dead update left, never a live one; say what was done.

    A lock records its holder's pid, host and start time. It is removed when its process is gone from this
    machine; a lock held by a live process, or by another machine (a teammate, a CI runner: on a shared backend
    nobody here can tell whether that run is alive), is removed only with ``force_unlock``. Exactly the locks
    looked at are removed (`pulumi cancel` would remove any lock, one an update took a moment later too). On
    backends whose locks cannot be read (S3 and the like), only ``force_unlock`` removes them, by `pulumi cancel`."""
    url = backends.backend_url(work_dir, env)
    store = backends.state_store(url)
    if store is None:
        if not force_unlock:
            return [f"left any lock as it is: the locks of {backends.redact(url) or 'this backend'} cannot be read "
                    "here, so a live update's could not be told from a dead one's (--force-unlock removes it)"]
        try:
            stack.cancel()
        except auto.CommandError:
            pass  # there was none
        return ["removed any lock (--force-unlock)"]
    try:
        held = backends.locks(store, stack.workspace.project_settings().name, stack.name)
        alive = [lock for lock in held if not lock.dead_here()]
        if alive and not force_unlock:
            raise RecoveryError(
                f"stack {stack.name!r} is locked by an update that may still be running: "
                + "; ".join(lock.holder() for lock in alive)
                + ". Wait for it to finish. If that run is dead (its machine lost, its process killed elsewhere), "
                  "rerun recover with --force-unlock.")
        for lock in held:
            store.delete(lock.key)
    except backends.StoreError as exc:
        raise RecoveryError(str(exc)) from exc
    return [f"removed the lock of {lock.holder()}" + ("" if lock not in alive else " (--force-unlock)")
            for lock in held]


def recover(stack_name: str, work_dir: str | os.PathLike[str], *, env: dict[str, str] | None = None,
            on_output: Callable[[str], Any] | None = None, force_unlock: bool = False) -> RecoveryReport:
    report = RecoveryReport(stack_name)
    report.repaired = repair_file_backend(stack_name, work_dir, env)
    stack = stacks.select(stack_name, work_dir, env)
    report.repaired += release_dead_lock(stack, work_dir, env, force_unlock)
    exported = stack.export_stack()
    deployment = dict(exported.deployment or {})
    pending = deployment.get("pending_operations") or []
    if not pending:
        stacks.refresh(stack, on_output)
        return report
    resources = list(deployment.get("resources") or [])
    recorded = {r["urn"] for r in resources}
    creates = pending_creates(stack, deployment, exclude=recorded)
    adoptable = {c.resource["urn"] for c in creates}
    report.other_pending = [urn_name((op.get("resource") or {}).get("urn", "")) for op in pending
                            if (op.get("resource") or {}).get("urn") not in adoptable]
    for create in creates:
        if create.found is None:
            report.not_landed.append(create.name)
            continue
        outputs = {**create.provider.outputs(create.found, create.scope),
                   PROVIDER_KEY: (create.resource.get("inputs") or {}).get(PROVIDER_KEY)}
        resources.append({**create.resource, "id": create.provider.spec.pulumi_id(create.scope, create.found["id"]),
                          "outputs": outputs})
        report.adopted.append(create.name)
    report.adopted += [item_label(urn_name(urn), key) for urn, key in adopt_set_items(stack, pending, resources)]
    deployment["resources"] = resources
    deployment["pending_operations"] = []
    stack.import_stack(auto.Deployment(version=exported.version, deployment=deployment))
    stacks.refresh(stack, on_output)
    return report
