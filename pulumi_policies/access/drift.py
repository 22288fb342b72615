"""Access drift (``pulumi-policies access --drift``): who got access outside the code.

Two parts, neither of which writes anything (no state, no server):
- **Drift of the managed policies**: the stack's state against the tenant as it is now, read by the engine's own
  refresh in a preview (``pulumi preview --refresh --json --show-sames``, which keeps no state). A refresh keeps the
  program's inputs and puts what the tenant holds in the outputs, so both sides are read from the **outputs** (a
  policy set's from each item's outputs under ``policies``). The refreshed record of a resource is the first step
  the preview lists for it when that step is the refresh's own answer (an update: its new state; a delete: gone),
  else the old state of the program's step that follows (a ``create`` of a resource in the state: gone on the
  tenant).
- **Unmanaged policies**: every policy on the tenant inside the stack's scope (the profiles it manages policies in;
  the resource policies of each connection its policies use), narrowed by ``--only``, that no resource of the stack
  manages (by remote id), each with the reach it gives.
- **Policy orders outside the code**: a profile the stack manages policies in, without a ``ProfilePolicyOrder`` of
  the stack, whose prioritisation is on on the tenant (switched on by hand): the tenant's order is part of the
  tenant's side, so an Allow it puts ahead of a Deny is access gained outside the code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..declared import DeclaredPolicy, normalise
from ..preview import Preview, Record, State
from ..registry import CONNECTION, ITEMS, SPECS, TYPE_PREFIX, item_spec
from .compare import Change, changed, compare
from .documents import Resources, _ours, declared
from .model import ORDER_KIND, Unseen, build, member_ids
from .verdict import UNMANAGED, Selector

_SCOPE = ("connection", "profile_id", *(f for spec in SPECS.values() for f in spec.scope_fields))


def _props(record: Record) -> dict[str, Any]:
    """A resource as the tenant held it when recorded: its outputs, with the scope and connection its inputs give
    where the outputs leave them out (a policy set: each item's outputs, its scope from the item's inputs)."""
    props = dict(record.outputs)
    for key in _SCOPE:
        if props.get(key) is None and record.inputs.get(key) is not None:
            props[key] = record.inputs[key]
    spec = item_spec(record.type.rsplit(":", 1)[-1])
    items, declared_items = props.get(ITEMS), record.inputs.get(ITEMS)
    if spec is not None and isinstance(items, Mapping):
        given = declared_items if isinstance(declared_items, Mapping) else {}
        props[ITEMS] = {key: _with_scope(item, given.get(key)) for key, item in items.items()}
    return props


def _with_scope(item: Any, given: Any) -> Any:
    if not isinstance(item, Mapping) or not isinstance(given, Mapping):
        return item
    return {**{f: given[f] for f in _SCOPE if item.get(f) is None and given.get(f) is not None}, **item}


def refreshed(preview: Preview, state: State) -> tuple[Resources, Resources]:
    """(the policies as the state records them, the same as the tenant holds them now), both from outputs."""
    before: Resources = {urn: (r.type, _props(r)) for urn, r in state.resources.items() if _ours(r.type)}
    after: Resources = dict(before)
    first: set[str] = set()
    for step in preview.steps:
        if step.urn not in before:
            continue
        if step.urn not in first:  # the refresh's own step (rewritten to update or delete when it found a change)
            first.add(step.urn)
            if step.op == "delete":
                after.pop(step.urn, None)
            elif step.op == "update" and step.new is not None:
                after[step.urn] = (step.new.type, _props(step.new))
            continue
        if step.old is not None and step.urn in after:  # the program's step starts from the refreshed state
            after[step.urn] = (step.old.type, _props(step.old))
        elif step.op in ("create", "create-replacement") and step.old is None:
            after.pop(step.urn, None)
    return before, after


def _remote_ids(policies: Iterable[DeclaredPolicy]) -> set[str]:
    return {str(p.get("policy_id")) for p in policies if p.get("policy_id")}


Lister = Callable[[str, Mapping[str, str], str | None], list[tuple[str, str, dict[str, Any]]]]


def _list(kind: str, only: Mapping[str, str], connection: str | None) -> list[tuple[str, str, dict[str, Any]]]:
    """(remote id, name on the tenant, arguments) of every `kind` object in the scope `only` names."""
    from ..export import collect

    return [(f.remote_id, f.title, f.args) for f in collect([kind], only=only, connection=connection)]


def scopes(managed: Iterable[DeclaredPolicy], only: Sequence[Selector] = ()) -> list[tuple[str, dict[str, str],
                                                                                         str | None]]:
    """(kind, scope, connection) to list: each scope the stack manages access policies in (a kind without scope
    fields: each connection its policies use), kept where some --only selector could match what it holds."""
    connections: set[str | None] = set()
    scoped: set[tuple[str, tuple[tuple[str, str], ...], str | None]] = set()
    for p in managed:
        spec = SPECS.get(p.kind)
        if spec is None or not spec.grants_access:
            continue
        connection = str(p.get(CONNECTION)) if p.get(CONNECTION) else None
        connections.add(connection)
        if spec.scope_fields and all(p.get(f) for f in spec.scope_fields):
            scoped.add((p.kind, tuple((f, str(p.get(f))) for f in spec.scope_fields), connection))
    for spec in SPECS.values():
        if spec.grants_access and not spec.scope_fields:
            scoped |= {(spec.kind, (), c) for c in connections}

    def wanted(scope: Mapping[str, str], connection: str | None) -> bool:
        return not only or any(s.kind == "label" or (s.kind == "connection" and s.value == (connection or ""))
                               or (s.kind == "profile" and scope.get("profile_id") == s.value) for s in only)
    return sorted(((kind, dict(scope), c) for kind, scope, c in scoped if wanted(dict(scope), c)),
                  key=lambda x: (x[0], sorted(x[1].items()), x[2] or ""))


def unmanaged(before: Resources, after: Resources, only: Sequence[Selector] = (),
              lister: Lister = _list) -> tuple[list[Change], list[DeclaredPolicy]]:
    """The access each unmanaged policy in the stack's scope gives (change ``unmanaged``), and those policies."""
    managed = [*declared(before), *declared(after)]
    ids = _remote_ids(managed)
    found: dict[str, DeclaredPolicy] = {}
    for kind, scope, connection in scopes(managed, only):
        for remote_id, name, args in lister(kind, scope, connection):
            if remote_id not in ids and remote_id not in found:
                props = {**args, **({CONNECTION: connection} if connection else {}), "policy_id": remote_id}
                found[remote_id] = normalise(kind, name, props)
    model = build(found.values())
    changes = [Change(a.principal, UNMANAGED, a.reach, list(a.via), [], [a.gate]) for a in model.accesses]
    return sorted(changes, key=lambda c: (c.principal.sort_key(), c.via, c.reach.text())), list(found.values())


OrderLister = Callable[[str, str | None], list[str] | None]


def _tenant_order(profile_id: str, connection: str | None) -> list[str] | None:
    """The profile's policy ids by priority where its prioritisation is on on the tenant, else None."""
    from .. import connections
    from ..client.resource_manager import ProfileOrdering

    ordering = ProfileOrdering(connections.resource_manager_client(connection), profile_id)
    profile = ordering.profile()
    if profile is None or profile.get("policyOrderingEnabled") is not True:
        return None
    return [str(item["id"]) for item in ordering.by_priority()]


def orders_outside(before: Resources, after: Resources, only: Sequence[Selector] = (),
                   lister: OrderLister = _tenant_order) -> Resources:
    """The tenant's policy order of each profile the stack manages policies in but orders with no
    ``ProfilePolicyOrder``, where prioritisation is on: as resources of the tenant's side (``<profile> order on the
    tenant``)."""
    managed = [*declared(before), *declared(after)]
    ordered = {(str(p.get(CONNECTION) or ""), str(p.get("profile_id"))) for p in managed if p.kind == ORDER_KIND}
    out: Resources = {}
    for kind, scope, connection in scopes(managed, only):
        profile_id = scope.get("profile_id")
        if kind != "ProfilePolicy" or profile_id is None or (connection or "", profile_id) in ordered:
            continue
        ids = lister(profile_id, connection)
        if ids:
            name = f"{profile_id} order on the tenant"
            out[f"urn:pulumi:tenant::tenant::{TYPE_PREFIX}{ORDER_KIND}::{name}"] = (TYPE_PREFIX + ORDER_KIND, {
                "profile_id": profile_id, "policies": ids, "policy_ids": ids, "enabled": True,
                **({CONNECTION: connection} if connection else {})})
    return out


def drift(preview: Preview, state: State, outside: Callable[[Resources, Resources], Resources] | None = None
          ) -> tuple[list[Change], list[Unseen], Resources, Resources]:
    """The access changes from the state to the tenant now (a refresh preview; with `outside`, what it adds to the
    tenant's side from the tenant itself: ``orders_outside``), the values not seen, and both sides' resources."""
    before, after = refreshed(preview, state)
    if outside is not None:
        after = {**after, **outside(before, after)}
    was, now = declared(before), declared(after)
    ids = member_ids(was, now)
    old, new = build(was, ids), build(now, ids)
    return (compare(old, new, changed(was, now)), [*new.unseen, *(u for u in old.unseen if u not in new.unseen)],
            before, after)
