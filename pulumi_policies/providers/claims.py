"""Which objects a resource of this update claims, so that no delete takes an object another resource now holds.

Following the tool's own advice must never lose a grant: a resource renamed or moved (from a single resource into a
set, out of a set, between sets) is adopted by its new declaration (``import_id``) in the same update that removes
the old one. The engine then creates the new resource (an adoption) and deletes the old one; that delete must leave
the object on the server, held by its new holder.

Every resource of a stack is served by one provider process per engine run (the ``pulumi-python`` dynamic provider,
four worker threads), so what this update claims is known here, from three sources:
- ``adopted``: a create with ``import_id`` took this object (its remote id);
- ``declare``: a resource being created (a new resource, a new item of a set) declares an ``import_id`` at check;
- ``expect``: the program's own list of every ``import_id`` it declares, which each policy set receives at check
  (``resources._base.program_claims``): the program runs to its end before the engine registers anything, so the
  list is whole even when the adopting resource is registered after the set whose update removes the item.
A single resource's delete comes at the end of the update, after every check and create. A set deletes the items it
loses inside its own update: an item that only the program's list claims waits there (``WAIT`` seconds at most)
until the claiming resource has been checked: adopted, or shown to be an existing resource (an ``import_id`` left in
a program names nothing new), and, if it never comes, is kept (a grant is never lost on a guess).

Objects are told apart by the server their connection reaches (two connection names for one server are one), the
kind, the scope and the remote id or natural key. docs/operations.md ("Renames and moves") says what this cannot
see: claims made in different updates, and `pulumi up --target` that leaves the adopting resource out.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Mapping
from typing import Any

from .. import connections
from ..registry import CONNECTION, IMPORT_ID, SPECS, ResourceSpec

WAIT = 5.0  # seconds a set's removed item waits for the resource the program says adopts it
_lock = threading.Condition()
_adopted: set[tuple[Any, ...]] = set()                              # (kind, server, scope, remote id)
_declared: list[tuple[ResourceSpec, dict[str, Any], str]] = []     # new resources' import_ids: (spec, inputs, id)
_expected: list[tuple[ResourceSpec, dict[str, Any], str]] = []     # the program's import_ids
_checked: set[tuple[Any, ...]] = set()                              # claims whose resource has been checked


def _server(spec: ResourceSpec, values: Mapping[str, Any]) -> str:
    """The server an object lives on: its connection's endpoint for the spec's API family, read from the stack's
    configuration (no client is made: a preview never needs one); a connection that cannot be read: its name."""
    connection = values.get(CONNECTION) or None
    try:
        url = connections.current(connection).get(connections.FAMILIES[spec.family].url_key)
    except connections.ConfigurationError:
        url = None
    return url.rstrip("/") if url else f"connection {connection or ''}"


def _where(spec: ResourceSpec, values: Mapping[str, Any]) -> tuple[Any, ...]:
    scope = tuple(str(values.get(f)) for f in spec.scope_fields)
    return _place(spec.kind, values.get(CONNECTION) or None, scope)


@functools.cache
def _place(kind: str, connection: str | None, scope: tuple[str, ...]) -> tuple[Any, ...]:
    """(kind, server, scope): made once per connection and scope (an estate's deletes ask it for every object)."""
    spec = SPECS[kind]
    return (kind, _server(spec, {CONNECTION: connection, **dict(zip(spec.scope_fields, scope, strict=True))}), scope)


def _key(spec: ResourceSpec, inputs: Mapping[str, Any], import_id: str) -> tuple[Any, ...]:
    return (*_where(spec, inputs), import_id)


def declare(spec: ResourceSpec, inputs: Mapping[str, Any], import_id: Any, *, new: bool) -> None:
    """A resource (or set item) was checked. One being created with `import_id` claims what it names; one that
    exists already adopts nothing (an ``import_id`` left in the program), which settles the program's claim."""
    if not isinstance(import_id, str) or not import_id:
        return
    with _lock:
        _checked.add(_key(spec, inputs, import_id))
        if new:
            _declared.append((spec, dict(inputs), import_id))
        _lock.notify_all()


def adopted(spec: ResourceSpec, scope: Mapping[str, Any], remote_id: str) -> None:
    """A create adopted this object: it is held by a resource of this update."""
    with _lock:
        _adopted.add((*_where(spec, scope), str(remote_id)))
        _lock.notify_all()


def expect(program_claims: Any) -> None:
    """The program's list of the import_ids it declares (each ``{"kind", "import_id", "connection", <scope>}``)."""
    if not isinstance(program_claims, list):
        return
    with _lock:
        for claim in program_claims:
            spec = SPECS.get(str(claim.get("kind"))) if isinstance(claim, Mapping) else None
            if spec is not None and isinstance(claim.get(IMPORT_ID), str):
                inputs = {k: v for k, v in claim.items() if k not in ("kind", IMPORT_ID)}
                entry = (spec, inputs, claim[IMPORT_ID])
                if entry not in _expected:
                    _expected.append(entry)


def _names(spec: ResourceSpec, inputs: Mapping[str, Any], import_id: str, values: Mapping[str, Any],
           remote_id: str) -> bool:
    """Does `import_id`, declared with `inputs`, name the object `remote_id` whose outputs are `values`?"""
    if _where(spec, inputs) != _where(spec, values):
        return False
    if import_id == str(remote_id):
        return True
    try:
        key = spec.import_key(import_id, inputs)
    except ValueError:
        return False
    if not key:
        return False
    natural = {k: values.get(k) for k in spec.natural_key}
    return any(k in natural for k in key) and all(natural.get(k) == v for k, v in key.items() if k in natural)


def claimed(spec: ResourceSpec, values: Mapping[str, Any], remote_id: str, *, wait: bool = False) -> bool:
    """Does a resource of this update other than the one being deleted hold, or adopt, the object `remote_id` whose
    recorded outputs are `values`? Then it is not deleted on the server. `wait`: a set's removed item waits for the
    resources the program says claim it to be checked (see the module's docstring)."""
    deadline = time.monotonic() + WAIT
    where = _where(spec, values)
    with _lock:
        while True:
            if (*where, str(remote_id)) in _adopted:
                return True
            if any(s.kind == spec.kind and _names(s, i, c, values, remote_id) for s, i, c in _declared):
                return True
            pending = [(s, i, c) for s, i, c in _expected if s.kind == spec.kind and _key(s, i, c) not in _checked
                       and _names(s, i, c, values, remote_id)]
            if not pending or not wait:
                return bool(pending)  # not waiting: a claim not yet checked is still a claim
            left = deadline - time.monotonic()
            if left <= 0:
                return True  # never checked within the wait: kept, never lost on a guess
            _lock.wait(min(left, 1.0))


def reset() -> None:
    """Forget every claim (tests: one process plays several engine runs)."""
    with _lock:
        _adopted.clear()
        _declared.clear()
        _expected.clear()
        _checked.clear()
    _place.cache_clear()
