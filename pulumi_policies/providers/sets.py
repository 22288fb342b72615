"""Policy sets: one Pulumi resource that manages many policies of one kind, for large estates.

Every policy resource costs the engine a registration, a step and (file and PostgreSQL backends) a rewrite of
the whole checkpoint: about 25 ms per resource per engine pass plus a checkpoint cost that grows with N
(docs/performance.md). A set is one resource however many policies it holds, and its provider sends their HTTP calls
concurrently (at most ``maxConcurrency`` at once per connection, each call under the connection's retry policy,
429/Retry-After included).

Each policy in a set is handled by its kind's own provider (policy.py): the same validation, diff, adoption
(``import_id`` per item), create that is never duplicated, PUT or PATCH, refresh and delete. A set only keys
its items and runs them side by side. Items are keyed by their scope and natural key (``name``;
``<profile_id>/<name>``; ``<policyid>/<organization>``): the key under which `pulumi preview --diff`, the
review report and the policy pack show each one.

State: inputs ``policies`` {key: checked item inputs} (and ``connection``); outputs ``policies`` {key: item
outputs, without the connection, which is the set's} and ``ids`` {key: the item's Pulumi id}.

A create or update that fails for some items fails the step with the state recording what was done
(partial.py: the protocol's partial-failure result, which the next `pulumi up` completes): the items made and
updated are in the state, an item whose update failed keeps its recorded outputs, and the deletes wait until
every create and update succeeded. A read or delete that fails for some items changes nothing in the state (the
next run reads or deletes again; a delete of what is gone succeeds).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, ClassVar, NoReturn, TypeVar

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
from ..engine_state import PROGRAM_CLAIMS, PROVIDER_KEY, WRITTEN_BY, stamped
from ..registry import CONNECTION, IDS, IMPORT_ID, ITEMS, SET_SUFFIX, ResourceSpec, item_key, items_of
from . import claims
from . import partial as partial_state
from .base import PolicyProviderError, as_said
from .base import user_inputs as _user_props
from .policy import PolicyProvider

T = TypeVar("T")
_slots_lock = threading.Lock()
_slots: dict[str | None, threading.BoundedSemaphore] = {}


def _slots_for(connection: str | None) -> threading.BoundedSemaphore:
    """The connection's request slots, shared by every set of this provider process (sets run side by side)."""
    with _slots_lock:
        if connection not in _slots:
            _slots[connection] = threading.BoundedSemaphore(connections.current(connection).concurrency())
        return _slots[connection]


def new_set_id(kind: str) -> str:
    """A set's Pulumi id: nothing on the server has one, so it only has to be unique."""
    return f"{kind.lower()}-{uuid.uuid4().hex[:16]}"


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
    def on_connection(connection: Any, values: dict[str, Any]) -> dict[str, Any]:
        """An item's values with the set's connection (items never name their own)."""
        return {**values, CONNECTION: connection} if connection is not None else dict(values)

    def _label(self, key: str) -> str:
        return f"{self.kind}.{ITEMS}[{key!r}]"

    @staticmethod
    def own_outputs(outs: Mapping[str, Any]) -> dict[str, Any]:
        """An item's outputs as a set records them: without the connection, which is the set's."""
        return {k: v for k, v in outs.items() if k != CONNECTION and k != WRITTEN_BY}

    def _run(self, connection: str | None, work: Mapping[str, Callable[[], T]]) -> tuple[dict[str, T], dict[str, Exception]]:
        """Run each piece of work (by item key) side by side, within the connection's slots; results and failures."""
        try:
            slots, width = _slots_for(connection), connections.current(connection).concurrency()
        except connections.ConfigurationError as exc:
            raise PolicyProviderError(f"{self.kind}: {exc}") from None

        def one(job: Callable[[], T]) -> T:
            with slots:
                return job()

        done: dict[str, T] = {}
        failed: dict[str, Exception] = {}
        if not work:
            return done, failed
        with ThreadPoolExecutor(max_workers=min(len(work), width)) as pool:
            futures = {key: pool.submit(one, job) for key, job in work.items()}
            for key, future in futures.items():
                try:
                    done[key] = future.result()
                except Exception as exc:  # noqa: BLE001 - every item's failure is reported, none is lost
                    failed[key] = exc
        return done, failed

    @staticmethod
    def _recorded(props: dict[str, Any]) -> tuple[Any, dict[str, str], dict[str, dict[str, Any]]]:
        """A set's recorded connection, item ids and item outputs (by key)."""
        props = _user_props(props)
        return props.get(CONNECTION), props.get(IDS) or {}, props.get(ITEMS) or {}

    def _on_each(self, connection: Any, ids: Mapping[str, str], items: Mapping[str, dict[str, Any]],
                 verb: Callable[[str, dict[str, Any]], T]) -> tuple[dict[str, T], dict[str, Exception]]:
        """`verb(pulumi id, recorded outputs)` of the item provider (read, delete) for each of `ids`, side by side."""
        return self._run(connection, {k: partial(verb, i, self.on_connection(connection, items.get(k, {})))
                                      for k, i in ids.items()})

    def _failure(self, action: str, failed: dict[str, Exception], total: int) -> PolicyProviderError:
        lines = [f"{self.kind}: {action} failed for {len(failed)} of {total} policies:"]
        lines += [f"  {self._label(k)}: {exc}" for k, exc in sorted(failed.items())]
        return PolicyProviderError("\n".join(lines))

    # -- check -------------------------------------------------------------------------------------
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        claims.expect(news.get(PROGRAM_CLAIMS))  # every import_id of the program (resources/_base.py)
        old_items = _user_props(olds).get(ITEMS) or {}
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
            failures += item.check_connection(connection, self.kind)
        checked: dict[str, Any] = {} if connection is None else {CONNECTION: connection}
        if raw == UNKNOWN:
            return CheckResult({**checked, ITEMS: UNKNOWN}, as_said(failures))
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
            result = item.checked({k: v for k, v in value.items() if k != CONNECTION})
            key = item_key(self.spec, result.inputs) or f"#{index}"
            claims.declare(self.spec, self.on_connection(connection, result.inputs), result.inputs.get(IMPORT_ID),
                           new=key not in old_items)
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
        return CheckResult({**checked, ITEMS: keyed}, as_said(failures))

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
            item.diff(ids.get(k, ""), self.on_connection(connection, old_items[k]), self.on_connection(connection, new)).changes
            for k, new in new_items.items())
        if replaces or not changed:
            return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)
        # Changed. "Unknown" has the engine diff the recorded inputs against the new ones itself and show that
        # detailed diff (a Python dynamic provider cannot return one): `preview --diff` then shows the items that
        # change and their inputs that differ (after a refresh, that includes the server defaults it recorded),
        # not every output of every item. Whether anything changed is decided here: with no change, the engine
        # is told so even where the inputs differ, so no diff is perpetual. Recorded inputs can equal the new ones
        # while this diff sees a change only after a step that failed half-way (a partial create records the new
        # inputs; a partial update keeps the old ones, which a program reverted to equals): the engine runs an
        # update of such a resource anyway (its InitErrors, partial.py).
        return DiffResult(changes=None, replaces=[], delete_before_replace=False)

    # -- create ------------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _user_props(props)
        connection = inputs.get(CONNECTION)
        items: dict[str, dict[str, Any]] = inputs.get(ITEMS) or {}
        item = self.item()
        made, failed = self._run(connection, {k: partial(item.create, self.on_connection(connection, v))
                                              for k, v in items.items()})
        set_id = new_set_id(self.kind)
        if failed:
            self._partly_done("create", set_id, connection, made, set(), failed, len(items), props.get(PROVIDER_KEY))
        return CreateResult(set_id, self._outputs(connection, made))

    def _partly_done(self, action: str, set_id: str, connection: Any, done: dict[str, CreateResult],
                     recorded: set[str], failed: dict[str, Exception], total: int, provider: Any) -> NoReturn:
        """Fail, the engine recording what was done (partial.py): the next `pulumi up` does the rest. `recorded`:
        the keys the state already holds."""
        reasons = [f"{self.kind}: {action} failed for {len(failed)} of {total} policies:"]
        reasons += [f"  {self._label(k)}: {exc}" for k, exc in sorted(failed.items())]
        reasons.append("  What was done is recorded in the state; fix what is said above and run `pulumi up` again "
                       "to finish.")
        partial_state.fail(set_id, self._outputs(connection, done), provider, reasons)
        # This SDK does not let the state record it: name what the server now holds that the state will not know.
        made = sorted(f"{k} (id {r.id})" for k, r in done.items() if k not in recorded)
        reasons[-1] = ("  Not recorded in the state (this Pulumi SDK cannot record part of a step): "
                       + (", ".join(made) or "nothing") + ". Adopt them with import_id, or delete them.")
        raise PolicyProviderError("\n".join(reasons))

    def _outputs(self, connection: Any, results: dict[str, Any]) -> dict[str, Any]:
        keys = sorted(results)
        outs: dict[str, Any] = {ITEMS: {k: self.own_outputs(dict(results[k].outs or {})) for k in keys},
                                IDS: {k: str(results[k].id) for k in keys}}
        if connection is not None:
            outs[CONNECTION] = connection
        return stamped(outs)

    # -- read --------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        connection, ids, old_items = self._recorded(props)
        read, failed = self._on_each(connection, ids, old_items, self.item().read)
        if failed:
            raise self._failure("read", failed, len(ids))
        found = {k: r for k, r in read.items() if r.id}  # an empty id: deleted out of band, dropped from the set
        outs = self._outputs(connection, found)
        item = self.item()
        inputs: dict[str, Any] = {ITEMS: {k: self.own_outputs(item.refreshed_inputs(dict(found[k].outs or {})))
                                          for k in sorted(found)}}
        if connection is not None:
            inputs[CONNECTION] = connection
        return ReadResult(id_=id_, outs=outs, inputs=inputs)

    # -- update ------------------------------------------------------------------------------------
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Creates and updates side by side, then, once they all succeeded, the deletes (as Pulumi replaces: a
        renamed policy, a new key, is created before the old one goes). What failed leaves the rest done and
        recorded (partial.py); an item whose update failed keeps its recorded outputs, so the next run sends it
        again."""
        provider = news.get(PROVIDER_KEY)
        news, olds = _user_props(news), _user_props(olds)
        connection = news.get(CONNECTION)
        new_items: dict[str, dict[str, Any]] = news.get(ITEMS) or {}
        old_items: dict[str, dict[str, Any]] = olds.get(ITEMS) or {}
        ids: dict[str, str] = olds.get(IDS) or {}
        item = self.item()
        work: dict[str, Callable[[], CreateResult]] = {}
        for key, new in new_items.items():
            if key not in ids:
                work[key] = partial(item.create, self.on_connection(connection, new))
                continue
            old = self.on_connection(connection, old_items.get(key, {}))
            if item.diff(ids[key], old, self.on_connection(connection, new)).changes:
                work[key] = partial(self._updated, item, ids[key], old, self.on_connection(connection, new))
        done, failed = self._run(connection, work)
        result = {**{k: CreateResult(i, old_items.get(k, {})) for k, i in ids.items()}, **done}  # as recorded, then done
        gone = {k: i for k, i in ids.items() if k not in new_items}
        if not failed:
            deleted, failed = self._on_each(connection, gone, old_items, partial(item.remove, wait=True))
            for key in deleted:
                result.pop(key)
        if failed:
            self._partly_done("update", id_, connection, result, set(ids), failed, len(work) + len(gone), provider)
        return UpdateResult(self._outputs(connection, result))

    @staticmethod
    def _updated(item: PolicyProvider, pulumi_id: str, olds: dict[str, Any], news: dict[str, Any]) -> CreateResult:
        return CreateResult(pulumi_id, item.update(pulumi_id, olds, news).outs)

    # -- delete ------------------------------------------------------------------------------------
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        connection, ids, old_items = self._recorded(props)
        _, failed = self._on_each(connection, ids, old_items, self.item().delete)
        if failed:
            # The protocol has no partial result for a delete: the set stays in the state whole, the next destroy
            # deletes again (what is gone already, succeeds); one who keeps the set instead refreshes first.
            raise PolicyProviderError(str(self._failure("delete", failed, len(ids))) + "\n  The set stays in the state "
                                      "whole: run `pulumi destroy` again to finish, or, to keep the set, `pulumi "
                                      "refresh` first (it drops what was deleted) and then `pulumi up`.")
