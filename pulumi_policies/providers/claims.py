"""Which objects a resource of this update claims, so that no delete takes an object another resource now holds.

Following the tool's own advice must never lose a grant: a resource renamed or moved (from a single resource into a
set, out of a set, between sets) is adopted by its new declaration (``import_id``) in the same update that removes
the old one. The engine then creates the new resource (an adoption) and deletes the old one; that delete must leave
the object on the server, claimed by its new holder.

Every resource of a stack is served by one provider process per engine run (the ``pulumi-python`` dynamic provider,
four worker threads), so what this update claims is known here:
- ``declare``: at ``check``, each resource (or set item) whose arguments carry an ``import_id`` claims what it names
  (an id, or a natural key): a removed set item is then kept even when its set's update runs before the adoption;
- ``claim``: at every adoption (a create with ``import_id``), the object it adopted.
``claimed`` answers a delete. What this cannot see, and docs/operations.md says: two resources that claim one object
across separate updates (adopted in one, the old declaration removed in a later one); the engine has no step that
would tell the later update's provider about the other resource.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..registry import CONNECTION, ResourceSpec

_lock = threading.Lock()
_objects: set[tuple[Any, ...]] = set()        # (kind, connection, scope, remote id)
_declared: list[tuple[ResourceSpec, dict[str, Any], str]] = []  # (spec, declared inputs, import_id)


def _where(spec: ResourceSpec, values: Mapping[str, Any]) -> tuple[Any, ...]:
    return (spec.kind, values.get(CONNECTION) or "", tuple(str(values.get(f)) for f in spec.scope_fields))


def declare(spec: ResourceSpec, inputs: Mapping[str, Any], import_id: Any) -> None:
    """A resource's arguments carry `import_id`: the object it names is claimed from now on in this process."""
    if isinstance(import_id, str) and import_id:
        with _lock:
            _declared.append((spec, dict(inputs), import_id))


def claim(spec: ResourceSpec, scope: Mapping[str, Any], remote_id: str) -> None:
    """A create made or adopted this object: it is held by a resource of this update."""
    with _lock:
        _objects.add((*_where(spec, scope), str(remote_id)))


def claimed(spec: ResourceSpec, values: Mapping[str, Any], remote_id: str) -> bool:
    """Does a resource of this update other than the one being deleted hold (or declare it adopts) the object
    `remote_id`, whose recorded outputs are `values`? Then it is not deleted on the server."""
    where = _where(spec, values)
    with _lock:
        if (*where, str(remote_id)) in _objects:
            return True
        declared = list(_declared)
    natural = {k: values.get(k) for k in spec.natural_key}
    for other, inputs, import_id in declared:
        if other.kind != spec.kind or _where(other, inputs) != where:
            continue
        if import_id == str(remote_id):
            return True
        try:
            key = other.import_key(import_id, inputs)
        except ValueError:
            continue
        if key and all(natural.get(k) == v for k, v in key.items() if k in natural) \
                and any(k in natural for k in key):
            return True
    return False


def reset() -> None:
    """Forget every claim (tests: one process plays several engine runs)."""
    with _lock:
        _objects.clear()
        _declared.clear()
