"""`pulumi-policies export`: write a Pulumi program that adopts every existing policy with ``import_id``.

Terraformer-style code generation for estates made by hand (Pulumi's own ``pulumi import`` cannot do
it for dynamic resources, pulumi/pulumi#16175). Every page is read; profile policies of every
profile. Values are written as a person would: snake_case arguments, server-computed fields and
server defaults left out, stable ordering (kind, then name), readable and unique resource names.
"""

from __future__ import annotations

import fnmatch
import json
import keyword
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic_core import PydanticUndefined

from . import connections
from .client import checked_record
from .models import Marker, field_marker, fields_with, python_names
from .models.canonical import canonical
from .registry import CONNECTION, SET_SUFFIX, SPECS, ResourceSpec, item_key

_NONE = object()  # no server default (a default may be False or None)


@dataclass
class Found:
    spec: ResourceSpec
    remote_id: str
    args: dict[str, Any]
    connection: str | None = None  # the named connection it was found on (None: the default one)

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def title(self) -> str:
        return self.spec.title(self.args) or self.remote_id


def _args(spec: ResourceSpec, record: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
    """The arguments that declare this object: run state left out, defaults (a field's own, or the server's) only
    where they differ."""
    model = spec.args_model
    args = canonical(model, {**python_names(spec.record_model, record), **scope})
    for key in fields_with(model, Marker.RUN_STATE):
        args.pop(key, None)
    for key in model.model_fields:
        default = field_marker(model, key, Marker.SERVER_DEFAULT, _NONE)
        if default is _NONE and model.model_fields[key].default not in (PydanticUndefined, None):
            default = model.model_fields[key].default  # is_active=True, access_type="Allow"
        if default is not _NONE and key in args and args[key] == default:
            args.pop(key)
    return args


def collect(kinds: Iterable[str] | None = None, *, only: Mapping[str, str] | None = None, name: str | None = None,
            connection: str | None = None, progress: Callable[[int], None] = lambda n: None) -> list[Found]:
    """Every object of the chosen kinds (default: every registered kind) on one connection (default: the default
    one), every page of every scope; `only` narrows scopes (``{"profile_id": "<id or name>"}``), `name` is a glob."""
    found: list[Found] = []
    on = {CONNECTION: connection} if connection else {}
    for kind in dict.fromkeys(kinds or SPECS):  # each kind once, however often it was asked for
        spec = SPECS[kind]
        for scope in spec.scopes({**(only or {}), **on}):
            what = f"a {kind} in the listing{spec.describe_scope(scope)}"
            for item in spec.remote({**scope, **on}).listing():
                record = checked_record(spec.record_model, item, what)
                policy = Found(spec, record["id"], _args(spec, record, scope), connection)
                if name is None or fnmatch.fnmatchcase(policy.title, name):
                    found.append(policy)
                    progress(len(found))
    return sorted(found, key=lambda f: (f.kind, f.title, f.remote_id))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "policy"


def _identifier(text: str) -> str:
    ident = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "policy"
    if ident[0].isdigit() or keyword.iskeyword(ident):
        ident = f"p_{ident}"
    return ident


def literal(value: Any, indent: int = 0) -> str:
    """A Python literal as a person would write it: double quotes, one item per line when long."""
    pad = " " * indent
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return repr(value)
    flat = json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = [f"{json.dumps(str(k), ensure_ascii=False)}: {literal(v, indent + 4)}" for k, v in value.items()]
        inline = "{" + ", ".join(items) + "}"
        if len(flat) <= 80 and "\n" not in inline:
            return inline
        return "{\n" + "".join(f"{pad}    {i},\n" for i in items) + pad + "}"
    if isinstance(value, list):
        items = [literal(v, indent + 4) for v in value]
        inline = "[" + ", ".join(items) + "]"
        if len(flat) <= 80 and "\n" not in inline:
            return inline
        return "[\n" + "".join(f"{pad}    {i},\n" for i in items) + pad + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a literal")


@dataclass
class FoundOrder:
    """A profile whose policies are prioritised (Britive): declared as a ProfilePolicyOrder adopting it."""

    profile_id: str
    policy_ids: list[str]         # every policy of the profile, highest priority first
    connection: str | None = None


def collect_orders(found: list[Found], connection: str | None = None) -> list[FoundOrder]:
    """The policy order of each profile whose policies were found, where the server has prioritisation on (a server
    without it, or with it off, has none to adopt): one GET of the profile and one listing each."""
    from .client.resource_manager import ProfileOrdering

    out: list[FoundOrder] = []
    profiles = sorted({str(f.args["profile_id"]) for f in found if f.kind == "ProfilePolicy" and f.args.get("profile_id")})
    for profile_id in profiles:
        ordering = ProfileOrdering(connections.resource_manager_client(connection), profile_id)
        profile = ordering.profile()
        if profile is not None and profile.get("policyOrderingEnabled") is True:
            out.append(FoundOrder(profile_id, [str(p["id"]) for p in ordering.by_priority()], connection))
    return out


def _orders(orders: list[FoundOrder]) -> list[str]:
    """Each order as it is: its create switches on what is on and posts the order the server holds (Pulumi's
    ``import_`` cannot adopt a dynamic resource, pulumi/pulumi#16175; the order has no other identity to adopt)."""
    lines: list[str] = []
    for order in orders:
        name = _slug("-".join(filter(None, [order.profile_id, "order", order.connection])))
        lines.append(f"{_identifier(name)} = ProfilePolicyOrder(")
        lines.append(f"    {json.dumps(name)},")
        lines.append(f"    profile_id={json.dumps(order.profile_id)},")
        if order.connection:
            lines.append(f"    {CONNECTION}={json.dumps(order.connection)},")
        lines.append(f"    policies={literal(order.policy_ids, 4)},  # ids, highest priority first")
        lines.append(")")
        lines.append("")
    return lines


def render(found: list[Found], *, source: str = "", as_sets: bool = False,
           orders: list[FoundOrder] | None = None) -> str:
    """The program: one declaration per policy, each adopting its object with import_id; or, `as_sets`, one
    policy set per kind and connection holding them all (docs/large-estates.md). Objects that
    share a natural key (a server that does not keep names unique) cannot be told apart in a set: those are
    declared one by one, after the sets."""
    used_names: set[str] = set()
    used_idents: set[str] = set()
    in_sets: list[Found] = []
    single: list[Found] = [] if as_sets else found
    if as_sets:
        keyed = [(f.kind, f.connection, item_key(f.spec, f.args)) for f in found]
        counts = Counter(keyed)
        for f, set_key in zip(found, keyed, strict=True):
            (in_sets if counts[set_key] == 1 else single).append(f)
    modules: dict[str, set[str]] = {}
    for item in in_sets:
        modules.setdefault(item.spec.import_from, set()).add(item.kind + SET_SUFFIX)
    for item in single:
        modules.setdefault(item.spec.import_from, set()).add(item.kind)
    if orders:
        modules.setdefault("pulumi_policies", set()).add("ProfilePolicyOrder")
    imports = [f"from {module} import {', '.join(sorted(kinds))}" for module, kinds in sorted(modules.items())]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [f'"""Policies adopted by `pulumi-policies export` on {stamp}{f" from {source}" if source else ""}.',
             "",
             "Run `pulumi up` once to bring them under management (no change is made on the server);",
             "from then on, edit them here like any other resource.",
             '"""', "", *(imports or ["from pulumi_policies import ResourcePolicy"]), ""]
    lines += _sets(in_sets)
    for item in single:
        base = _slug("-".join([*(str(item.args[f]) for f in item.spec.scope_fields), item.title]))
        name, n = base, 2
        while name in used_names:
            name, n = f"{base}-{n}", n + 1
        used_names.add(name)
        ident, n = _identifier(name), 2
        base_ident = ident
        while ident in used_idents:
            ident, n = f"{base_ident}_{n}", n + 1
        used_idents.add(ident)
        lines.append(f"{ident} = {item.kind}(")
        lines.append(f"    {json.dumps(name)},")
        lines.append(f"    import_id={json.dumps(item.remote_id)},")
        if item.connection:
            lines.append(f"    {CONNECTION}={json.dumps(item.connection)},")
        for key, value in item.args.items():
            lines.append(f"    {key}={literal(value, 4)},")
        lines.append(")")
        lines.append("")
    lines += _orders(orders or [])
    return "\n".join(lines)


def _sets(found: list[Found]) -> list[str]:
    groups: dict[tuple[str, str | None], list[Found]] = {}
    for item in found:
        groups.setdefault((item.kind, item.connection), []).append(item)
    lines: list[str] = []
    for (kind, connection), items in groups.items():
        name = _slug("-".join(filter(None, [re.sub(r"(?<!^)(?=[A-Z])", "-", kind), "set", connection])))
        lines.append(f"{_identifier(name)} = {kind}{SET_SUFFIX}(")
        lines.append(f"    {json.dumps(name)},")
        if connection:
            lines.append(f"    {CONNECTION}={json.dumps(connection)},")
        lines.append("    policies=[")
        for item in items:
            lines.append(f"        {literal({'import_id': item.remote_id, **item.args}, 8)},")
        lines.append("    ],")
        lines.append(")")
        lines.append("")
    return lines


def export(out: TextIO, kinds: Iterable[str] | None = None, *, only: Mapping[str, str] | None = None,
           name: str | None = None, connection: str | None = None, show_progress: bool = True,
           as_sets: bool = False) -> int:
    """Write the program to `out`; returns how many policies it declares."""
    def progress(n: int) -> None:
        if show_progress and n % 25 == 0:
            print(f"\rexporting: {n} policies", end="", file=sys.stderr, flush=True)

    found = collect(kinds, only=only, name=name, connection=connection, progress=progress)
    orders = collect_orders(found, connection) if name is None else []  # a filtered export: no complete order
    if show_progress:
        print(f"\rexported {len(found)} policies", file=sys.stderr, flush=True)
    current = connections.current(connection)
    source = " and ".join(dict.fromkeys(u for u in (current.get("nccmUrl"), current.get("resourceManagerUrl")) if u))
    out.write(render(found, source=source, as_sets=as_sets, orders=orders))
    return len(found)
