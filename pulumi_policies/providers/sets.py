"""Policy sets: one Pulumi resource that manages many policies of one kind, for large estates.

Every policy resource costs the engine a registration, a step and (file and PostgreSQL backends) a rewrite of
the whole checkpoint: about 25 ms per resource per engine pass plus a checkpoint cost that grows with N (README
"Performance"). A set is one resource however many policies it holds, and its provider sends their HTTP calls
concurrently (at most ``maxConcurrency`` at once per connection, each call under the connection's retry policy,
429/Retry-After included).

Each policy in a set is handled by its kind's own provider (engine.py): the same validation, diff, adoption
(``import_id`` per item), create that is never duplicated, PUT or PATCH, refresh and delete. A set only keys
its items and runs them side by side. Items are keyed by their scope and natural key (``name``;
``<profile_id>/<name>``; ``<policyid>/<organization>``): the key under which `pulumi preview --diff`, the
review report and the policy pack show each one.

State: inputs ``policies`` {key: checked item inputs} (and ``connection``); outputs ``policies`` {key: item
outputs, without the connection, which is the set's} and ``ids`` {key: the item's Pulumi id}.

A failed operation raises (Python dynamic providers cannot record a partial result), so the engine keeps the
set's previous state. What the failed operation created is deleted again first (a create that cannot be
undone is named in the error, with its id); updates and deletes it applied converge on the next run (the
state still holds the old values, so the next `pulumi up` sends them again; a delete of what is gone succeeds).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, ClassVar, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import UNKNOWN  # the engine's placeholder for values known after apply

from .. import connections
from .engine import IMPORT_ID, PolicyProvider, PolicyProviderError, _contains_unknown, _user_props
from .specs import CONNECTION, ResourceSpec

SET_SUFFIX = "Set"  # a set's kind: its items' kind + "Set" (ResourcePolicySet holds ResourcePolicy items)
ITEMS = "policies"
IDS = "ids"

T = TypeVar("T")
_slots_lock = threading.Lock()
_slots: dict[str | None, threading.BoundedSemaphore] = {}


def _slots_for(connection: str | None) -> threading.BoundedSemaphore:
    """The connection's request slots, shared by every set of this provider process (sets run side by side)."""
    with _slots_lock:
        if connection not in _slots:
            _slots[connection] = threading.BoundedSemaphore(connections.current(connection).concurrency())
        return _slots[connection]


def item_key(spec: ResourceSpec, inputs: dict[str, Any]) -> str | None:
    """What keys an item in its set: its scope and natural key values; None while one is not known."""
    values = [inputs.get(f) for f in (*spec.scope_fields, *spec.natural_key)]
    if any(v is None or _contains_unknown(v) for v in values):
        return None
    return "/".join(str(v) for v in values)


def items_of(value: Any) -> list[Any] | None:
    """The items a program gave (a list), or the keyed items a state recorded (a rollback re-declares those)."""
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else None


class PolicySetProvider(ResourceProvider):
    """The provider of one kind's sets. Subclasses name the item provider (see providers/__init__.py)."""

    item: ClassVar[type[PolicyProvider]]
    serialize_as_secret_always = False

    @property
    def spec(self) -> ResourceSpec:
        return self.item.spec

    @property
    def kind(self) -> str:
        return self.spec.kind + SET_SUFFIX

    def configure(self, req: ConfigureRequest) -> None:
        self.item().configure(req)

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _on(connection: Any, values: dict[str, Any]) -> dict[str, Any]:
        """An item's values with the set's connection (items never name their own)."""
        return {**values, CONNECTION: connection} if connection is not None else dict(values)

    @staticmethod
    def _own(outs: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in outs.items() if k != CONNECTION}

    def _label(self, key: str) -> str:
        return f"{self.kind}.{ITEMS}[{key!r}]"

    def _run(self, connection: str | None, work: Mapping[str, Callable[[], T]]) -> tuple[dict[str, T], dict[str, Exception]]:
        """Run each piece of work (by item key) side by side, within the connection's slots; results and failures."""
        slots = _slots_for(connection)

        def one(job: Callable[[], T]) -> T:
            with slots:
                return job()

        done: dict[str, T] = {}
        failed: dict[str, Exception] = {}
        if not work:
            return done, failed
        with ThreadPoolExecutor(max_workers=min(len(work), connections.current(connection).concurrency())) as pool:
            futures = {key: pool.submit(one, job) for key, job in work.items()}
            for key, future in futures.items():
                try:
                    done[key] = future.result()
                except Exception as exc:  # noqa: BLE001 - every item's failure is reported, none is lost
                    failed[key] = exc
        return done, failed

    def _error(self, action: str, failed: dict[str, Exception], total: int, undone: list[str],
               left: dict[str, str]) -> PolicyProviderError:
        lines = [f"{self.kind}: {action} failed for {len(failed)} of {total} policies:"]
        lines += [f"  {self._label(k)}: {exc}" for k, exc in sorted(failed.items())]
        if undone:
            lines.append(f"  Deleted again what this {action} had created, so that the state, which keeps the set as "
                         f"it was, stays true: {', '.join(sorted(undone))}.")
        if left:
            lines.append("  Created but could not be deleted again (adopt each with import_id, or delete it): "
                         + "; ".join(f"{k} (id {i})" for k, i in sorted(left.items())))
        lines.append("  Nothing else is lost: fix what is said above and run `pulumi up` again.")
        return PolicyProviderError("\n".join(lines))

    def _undo(self, connection: str | None, made: dict[str, CreateResult]) -> tuple[list[str], dict[str, str]]:
        """Delete what a failed operation created; which keys were deleted, and which are left (key -> id)."""
        item = self.item()
        work = {k: partial(item.delete, str(r.id), self._on(connection, dict(r.outs or {}))) for k, r in made.items()}
        _, failed = self._run(connection, work)
        return [k for k in made if k not in failed], {k: str(made[k].id) for k in failed}

    # -- check -------------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = _user_props(news)
        connection = inputs.pop(CONNECTION, None)
        raw = inputs.pop(ITEMS, None)
        inputs.pop(IDS, None)
        item = self.item()
        failures: list[CheckFailure] = []
        for name in sorted(inputs):
            failures.append(CheckFailure(name, f"{self.kind}: unknown argument {name!r} (a set takes {ITEMS} and "
                                               f"{CONNECTION})"))
        if connection is not None and connection != UNKNOWN:
            failures += [CheckFailure(CONNECTION, f.reason.replace(self.spec.kind, self.kind, 1))
                         for f in item._check_connection(connection)]
        checked: dict[str, Any] = {} if connection is None else {CONNECTION: connection}
        if raw == UNKNOWN:
            return CheckResult({**checked, ITEMS: UNKNOWN}, failures)
        listed = items_of(raw)
        if listed is None:
            failures.append(CheckFailure(ITEMS, f"{self.kind}.{ITEMS} must be a list of {self.spec.kind} arguments "
                                                f"(got {type(raw).__name__})"))
            listed = []
        keyed: dict[str, Any] = {}
        first_index: dict[str, int] = {}
        for index, value in enumerate(listed):
            if value == UNKNOWN or not isinstance(value, dict):
                if value != UNKNOWN:
                    failures.append(CheckFailure(ITEMS, f"{self.kind}.{ITEMS}[{index}] must be the arguments of a "
                                                        f"{self.spec.kind} (got {type(value).__name__})"))
                keyed[f"#{index}"] = value  # known only after apply
                continue
            if value.get(CONNECTION) is not None:
                failures.append(CheckFailure(ITEMS, f"{self.kind}.{ITEMS}[{index}].{CONNECTION}: the items of a set "
                                                    "live on the set's connection; set connection on the set"))
            result = item.check({}, {k: v for k, v in value.items() if k != CONNECTION})
            key = item_key(self.spec, result.inputs) or f"#{index}"
            if key in first_index:
                failures.append(CheckFailure(ITEMS, f"{self.kind}.{ITEMS}[{first_index[key]}] and [{index}] are both "
                                                    f"{self.spec.describe(result.inputs)}: a set holds each policy once"))
                continue
            first_index[key] = index
            prefix = f"{self.spec.kind}."
            failures += [CheckFailure(ITEMS, self._label(key) + "." + f.reason.removeprefix(prefix)
                                      if f.reason.startswith(prefix) else f"{self._label(key)}: {f.reason}")
                         for f in result.failures]
            keyed[key] = result.inputs
        return CheckResult({**checked, ITEMS: keyed}, failures)

    # -- diff --------------------------------------------------------------------------------------
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        news, olds = _user_props(news), _user_props(olds)
        replaces = [CONNECTION] if news.get(CONNECTION) != olds.get(CONNECTION) else []
        new_items, old_items, ids = news.get(ITEMS), olds.get(ITEMS) or {}, olds.get(IDS) or {}
        if not isinstance(new_items, dict) or any(k.startswith("#") for k in new_items):
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=False)  # known after apply
        item = self.item()
        connection = news.get(CONNECTION)
        changed = set(old_items) ^ set(new_items) or any(
            item.diff(ids.get(k, ""), self._on(connection, old_items[k]), self._on(connection, new)).changes
            for k, new in new_items.items())
        if replaces or not changed:
            return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)
        # Changed. "Unknown" has the engine diff the recorded inputs against the new ones itself and show that
        # detailed diff (a Python dynamic provider cannot return one): `preview --diff` then shows the items and
        # fields that change, not every output of every item. The decision is ours: with no change here, the
        # engine is told so even where the inputs differ (a server default a refresh recorded), so no diff is
        # perpetual.
        return DiffResult(changes=None, replaces=[], delete_before_replace=False)

    # -- create ------------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _user_props(props)
        connection = inputs.get(CONNECTION)
        items: dict[str, dict[str, Any]] = inputs.get(ITEMS) or {}
        item = self.item()
        made, failed = self._run(connection, {k: partial(item.create, self._on(connection, v)) for k, v in items.items()})
        if failed:
            raise self._error("create", failed, len(items), *self._undo(connection, self._created(made, items)))
        return CreateResult(f"{self.kind.lower()}-{uuid.uuid4().hex[:16]}", self._outputs(connection, made))

    @staticmethod
    def _created(made: dict[str, CreateResult], items: dict[str, dict[str, Any]]) -> dict[str, CreateResult]:
        """What these creates made (adoptions by import_id are not undone: they existed before)."""
        return {k: r for k, r in made.items() if not items[k].get(IMPORT_ID)}

    def _outputs(self, connection: Any, results: dict[str, Any]) -> dict[str, Any]:
        keys = sorted(results)
        outs: dict[str, Any] = {ITEMS: {k: self._own(dict(results[k].outs or {})) for k in keys},
                                IDS: {k: str(results[k].id) for k in keys}}
        if connection is not None:
            outs[CONNECTION] = connection
        return outs

    # -- read --------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = _user_props(props)
        connection = props.get(CONNECTION)
        old_items: dict[str, Any] = props.get(ITEMS) or {}
        ids: dict[str, str] = props.get(IDS) or {}
        item = self.item()
        read, failed = self._run(connection, {k: partial(item.read, ids[k], self._on(connection, old_items.get(k, {})))
                                              for k in ids})
        if failed:
            raise self._error("read", failed, len(ids), [], {})
        found = {k: r for k, r in read.items() if r.id}  # an empty id: deleted out of band, dropped from the set
        outs = self._outputs(connection, found)
        inputs: dict[str, Any] = {ITEMS: {k: self._own(dict(found[k].inputs or {})) for k in sorted(found)}}
        if connection is not None:
            inputs[CONNECTION] = connection
        return ReadResult(id_=id_, outs=outs, inputs=inputs)

    # -- update ------------------------------------------------------------------------------------
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Deletes first, then creates and updates side by side. A key is an object's identity (its scope and
        natural key: the fields whose change replaces a policy), so an item is never replaced in place: a
        renamed policy is a delete of the old key and a create of the new one."""
        news, olds = _user_props(news), _user_props(olds)
        connection = news.get(CONNECTION)
        new_items: dict[str, dict[str, Any]] = news.get(ITEMS) or {}
        old_items: dict[str, dict[str, Any]] = olds.get(ITEMS) or {}
        ids: dict[str, str] = olds.get(IDS) or {}
        item = self.item()
        gone = {k: i for k, i in ids.items() if k not in new_items}
        _, failed = self._run(connection, {k: partial(item.delete, gone[k], self._on(connection, old_items.get(k, {})))
                                           for k in gone})
        if failed:  # the state keeps the set as it was: the next run deletes again (what is gone already, succeeds)
            raise self._error("update", failed, len(gone), [], {})
        result: dict[str, CreateResult] = {}
        creates: dict[str, dict[str, Any]] = {}
        work: dict[str, Callable[[], CreateResult]] = {}
        for key, new in new_items.items():
            if key not in ids:
                creates[key] = new
                work[key] = partial(item.create, self._on(connection, new))
                continue
            old = self._on(connection, old_items.get(key, {}))
            if item.diff(ids[key], old, self._on(connection, new)).changes:
                work[key] = partial(self._updated, item, ids[key], old, self._on(connection, new))
            else:
                result[key] = CreateResult(ids[key], old_items.get(key, {}))
        done, failed = self._run(connection, work)
        if failed:
            made = {k: r for k, r in done.items() if k in creates}
            raise self._error("update", failed, len(work) + len(gone), *self._undo(connection, self._created(made, creates)))
        return UpdateResult(self._outputs(connection, {**result, **done}))

    @staticmethod
    def _updated(item: PolicyProvider, pulumi_id: str, olds: dict[str, Any], news: dict[str, Any]) -> CreateResult:
        return CreateResult(pulumi_id, item.update(pulumi_id, olds, news).outs)

    # -- delete ------------------------------------------------------------------------------------
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        props = _user_props(props)
        connection = props.get(CONNECTION)
        old_items: dict[str, Any] = props.get(ITEMS) or {}
        ids: dict[str, str] = props.get(IDS) or {}
        item = self.item()
        _, failed = self._run(connection, {k: partial(item.delete, ids[k], self._on(connection, old_items.get(k, {})))
                                           for k in ids})
        if failed:
            raise self._error("delete", failed, len(ids), [], {})  # the set stays in the state: run destroy again
