"""A review report of policy changes, from `pulumi preview --json` alone (no API calls).

For each policy the preview would create, update, replace or delete: every changed field old -> new,
and for members, labels and settings the items added and removed by name, so a reviewer reads
"users: + alice" rather than a raw property path. Who gains or loses access by them is not said here, item by
item (a user added to a Deny policy loses access): the access model says it (``access.py``), after the fields.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from . import access
from .access import Change
from .models import Marker, field_flag
from .models.annotations import alternatives, is_model, matches, union_tag
from .models.canonical import aligned, canonical
from .preview import Preview, Record, read_preview
from .registry import CONNECTION, ITEMS, SPECS, TYPE_PREFIX, UNKNOWN, ResourceSpec, item_label, item_spec

OPS = {"create": "create", "update": "update", "replace": "replace", "create-replacement": "replace",
       "delete-replaced": "replace", "delete": "delete", "import": "create", "read": None, "same": None,
       "refresh": None, "discard": "delete"}
IGNORED = ("import_id",)
AFTER_APPLY = "(known after apply)"  # how a value the preview does not know yet is shown
ORDER_KIND = "ProfilePolicyOrder"  # its policies are shown by name


@dataclass
class ItemChange:
    field: str             # e.g. "members.users", "resource_labels.env", "settings"
    added: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    changed: list[str] = dataclasses.field(default_factory=list)


@dataclass
class PolicyChange:
    op: str                # create | update | replace | delete
    kind: str              # ResourcePolicy, ...
    resource: str          # the Pulumi resource name
    title: str             # the policy's own name (or policyid)
    fields: list[tuple[str, Any, Any]] = dataclasses.field(default_factory=list)   # (field, old, new)
    items: list[ItemChange] = dataclasses.field(default_factory=list)
    replace_reasons: list[str] = dataclasses.field(default_factory=list)


def _as_json(value: Any) -> str:
    if value is None:
        return "(none)"
    if value == UNKNOWN:
        return AFTER_APPLY
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(_shown(value), sort_keys=True)


def _shown(value: Any) -> Any:
    """`value` with every placeholder of a value known after apply said as such, at any depth: never as the
    engine's placeholder string, which would read as a value (a policy id in an order)."""
    if value == UNKNOWN:
        return AFTER_APPLY
    if isinstance(value, list):
        return [_shown(v) for v in value]
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    return value


def _member_label(member: Any) -> str:
    if isinstance(member, dict):
        name, ident = (_show_label(v) if v is not None else None for v in (member.get("name"), member.get("id")))
        return f"{name} ({ident})" if name and ident else str(name or ident)
    return _show_label(member)


def _show_label(value: Any) -> str:
    return AFTER_APPLY if value == UNKNOWN else str(value)


def _diff_items(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    return [x for x in new if x not in old], [x for x in old if x not in new]


def _items(value: Any) -> list[Any]:
    """A list of items as the report lists them; a list the preview does not know yet is one such item."""
    if value == UNKNOWN:
        return [UNKNOWN]
    return list(value) if isinstance(value, list) else []


def _item_label(models: list[type[BaseModel]], key: str, item: dict[str, Any]) -> str:
    """How a review names a keyed item: its model's ``summary`` where it has one, else its key."""
    model = next((m for m in models if matches(m, item)), None)
    summary = getattr(model, "summary", None)
    return summary(item) if callable(summary) else str(item.get(key, "?"))


def _item_changes(model: type[BaseModel], name: str, old: Any, new: Any) -> list[ItemChange]:
    """Items added and removed (and changed, for keyed items), by the shape of the field's model:
    a model of lists (members, by kind), a mapping of lists (labels, by key), a list of models told apart
    by a Literal field (settings, by type). Only called with an object (or list) on each side, or none."""
    options = alternatives(model.model_fields[name].annotation)
    sub = next((t for t in options if is_model(t)), None)
    listed = next((t for t in options if typing.get_origin(t) is list), None)
    if listed is not None:
        old, new = old if old is not None else [], new if new is not None else []
        return _keyed_item_changes(name, [m for m in alternatives(typing.get_args(listed)[0]) if is_model(m)], old, new)
    old, new = old if old is not None else {}, new if new is not None else {}
    out: list[ItemChange] = []
    for key in (list(sub.model_fields) if sub is not None else sorted(set(old) | set(new))):
        added, removed = _diff_items([_member_label(m) for m in _items(old.get(key))],
                                     [_member_label(m) for m in _items(new.get(key))])
        if added or removed:
            out.append(ItemChange(f"{name}.{key}", added, removed))
    return out


def _keyed_item_changes(name: str, models: list[type[BaseModel]], old: list[Any], new: list[Any]) -> list[ItemChange]:
    tag = union_tag(models)  # the field that tells apart the models a list may hold: settings_type
    key = tag.name if tag is not None else None
    if key is None or UNKNOWN in old or UNKNOWN in new:  # which items they are is known only after apply
        return [ItemChange(name, changed=[f"{_as_json(old)} -> {_as_json(new)}"])]
    olds = {s.get(key): s for s in old if isinstance(s, dict)}
    news = {s.get(key): s for s in new if isinstance(s, dict)}
    label = functools.partial(_item_label, models, key)
    change = ItemChange(name)
    change.added = [label(news[k]) for k in news if k not in olds]
    change.removed = [label(olds[k]) for k in olds if k not in news]
    for k in news:
        if k in olds and olds[k] != news[k]:
            was, now = label(olds[k]), label(news[k])
            change.changed.append(f"{was} -> {now}" if was != now else f"{k} {name} changed")
    return [change] if change.added or change.removed or change.changed else []


def _user_inputs(record: Record | None) -> dict[str, Any]:
    return {k: v for k, v in (record.inputs if record else {}).items() if k not in IGNORED}


def _same(model: type[BaseModel] | None, name: str, old: dict[str, Any], new: dict[str, Any], op: str) -> bool:
    """Equal as the provider's diff sees them: in canonical form, and a server-defaulted field that is
    not declared (after a refresh the recorded inputs hold the server's values) is no change."""
    if model is None or name not in model.model_fields or op in ("create", "delete"):
        return False
    if name not in new and field_flag(model, name, Marker.COMPUTED):
        return True
    return canonical(model, old, only=[name]).get(name) == canonical(model, new, only=[name]).get(name)


def preview_errors(preview: dict[str, Any]) -> list[str]:
    """The error diagnostics of a preview: a preview that has any did not get to show every change."""
    return read_preview(preview, check=False).errors


def build_report(preview: Preview | dict[str, Any]) -> list[PolicyChange]:
    """The policy changes of one preview (read by ``preview.py``), in the order of its steps; replacements counted
    once."""
    if not isinstance(preview, Preview):
        preview = read_preview(preview, check=False)
    changes: dict[str, PolicyChange] = {}
    names = _names_by_id(preview)
    steps = [s for s in preview.steps if OPS.get(s.op)]
    # A replacement comes as several steps of one URN; the one with both states tells the change (with
    # delete_before_replace its first step, delete-replaced, has no new state).
    replacing = {s.urn for s in steps if s.op == "replace"}
    for step in steps:
        op = OPS[step.op]
        if op is None:  # never: the steps kept are those with an op
            continue
        urn = step.urn
        if urn in changes or (urn in replacing and step.op != "replace"):
            continue
        if not step.type.startswith(TYPE_PREFIX):
            continue
        kind, resource = step.type.removeprefix(TYPE_PREFIX), step.name
        old, new = _user_inputs(step.old), _user_inputs(step.new)
        if op == "delete":
            new = {}
        if op == "create":
            old = {}
        spec = item_spec(kind)
        if spec is not None:  # a policy set: one change per policy it creates, updates or deletes
            news = _items_by_key(new)
            if op != "delete" and (not isinstance(new.get(ITEMS), dict) or any(k.startswith("#") for k in news)):
                # which policies it holds is known after apply (or a secret the preview masks)
                changes[urn] = PolicyChange(op, kind, resource, resource, fields=[(ITEMS, None, UNKNOWN)])
                continue
            olds = _items_by_key(old)
            if step.old is not None and step.old.init_errors and op != "create":
                # a step that failed half-way recorded what it did in the outputs, not in the inputs: compare
                # with what the server holds, as the provider does
                olds = {k: canonical(spec.args_model, v) for k, v in _items_by_key(step.old.outputs).items()}
            for key in [*news, *(k for k in olds if k not in news)]:
                item_op = "create" if key not in olds else "delete" if key not in news else \
                    "replace" if op == "replace" else "update"  # a set moved to another connection: all of it
                change = _policy_change(item_op, spec.kind, item_label(resource, key), olds.get(key) or {},
                                        news.get(key) or {}, list(step.replace_reasons))
                if change.fields or change.items or item_op != "update":
                    changes[f"{urn}[{key}]"] = change
            continue
        if kind == ORDER_KIND:  # an order is read by policy name (its outputs hold them; the program may give ids)
            old, new = ({k: _named(v, names) if k == "policies" else v for k, v in side.items()} for side in (old, new))
        if op != "create" and step.old is not None and kind in SPECS and step.old.outputs:
            old = _as_compared(SPECS[kind], step.old.outputs)
        changes[urn] = _policy_change(op, kind, resource, old, new, list(step.replace_reasons))
    return list(changes.values())


def _names_by_id(preview: Preview) -> dict[str, str]:
    """Each policy's name by its remote id, from what the preview's steps record (a single resource's outputs, a
    set's items): how an order's ids are shown."""
    out: dict[str, str] = {}
    for step in preview.steps:
        for record in (step.old, step.new):
            if record is None:
                continue
            for values in [record.outputs, *(_items_by_key(record.outputs).values())]:
                ident, name = values.get("policy_id"), values.get("name")
                if isinstance(ident, str) and isinstance(name, str) and ident != UNKNOWN:
                    out[ident] = name
    for step in preview.steps:  # an order's own record pairs its ids with the names it read
        for record in (step.old, step.new):
            if record is not None and isinstance(record.outputs.get("policy_ids"), list) \
                    and isinstance(record.outputs.get("policy_names"), list):
                for ident, name in zip(record.outputs["policy_ids"], record.outputs["policy_names"], strict=False):
                    if isinstance(ident, str) and isinstance(name, str):
                        out.setdefault(ident, name)
    return out


def _named(value: Any, names: dict[str, str]) -> Any:
    return [names.get(v, v) if isinstance(v, str) else v for v in value] if isinstance(value, list) else value


def _as_compared(spec: ResourceSpec, outputs: dict[str, Any]) -> dict[str, Any]:
    """A policy as the provider's diff compares it with the program: its outputs, i.e. the server as last read (a
    refresh leaves the program's inputs in the state and records what the server holds in the outputs)."""
    return {k: v for k, v in outputs.items() if k in spec.args_model.model_fields or k == CONNECTION}


def _policy_change(op: str, kind: str, resource: str, old: dict[str, Any], new: dict[str, Any],
                   replace_reasons: list[str]) -> PolicyChange:
    """One policy's change: every field that differs old -> new, and the items of itemised fields."""
    old, new = ({k: v for k, v in values.items() if k not in IGNORED} for values in (old, new))
    spec = SPECS.get(kind)
    model = spec.args_model if spec else None
    if model is not None:  # a member the program names and the server recorded with the id it filled in: the same
        old = aligned(model, new, old)
    title = (spec.title(new, old) if spec else None) or resource
    change = PolicyChange(op, kind, resource, title, replace_reasons=replace_reasons)
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name) or _same(model, name, old, new, op):
            continue
        if model is not None and name in model.model_fields and field_flag(model, name, Marker.ITEMIZED) \
                and all(_itemised(v) for v in (old.get(name), new.get(name))):
            change.items.extend(_item_changes(model, name, old.get(name), new.get(name)))
        else:
            change.fields.append((name, old.get(name), _meant(model, name, new, op)))
    return change


def _meant(model: type[BaseModel] | None, name: str, new: dict[str, Any], op: str) -> Any:
    """What the program means for `name`: its value, or the field's own default where it leaves a managed field out
    (``is_active`` left out is true)."""
    if name in new or model is None or name not in model.model_fields or op == "delete":
        return new.get(name)
    default = model.model_fields[name].default
    return default if isinstance(default, bool | str) and default != "" else None


def _items_by_key(inputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A policy set's recorded items, by key (none where they are not known yet)."""
    items = inputs.get(ITEMS)
    return {str(k): v for k, v in items.items() if isinstance(v, dict)} if isinstance(items, dict) else {}


def _itemised(value: Any) -> bool:
    """Can the items of this value be listed? Not when it is unknown as a whole, or a secret the preview masks."""
    return value is None or isinstance(value, (dict, list))


_VERB = {"create": "created", "update": "updated in place", "replace": "replaced", "delete": "deleted"}


def _cell(text: str) -> str:
    """`text` as code in a Markdown table cell: a code span longer than any run of backticks in it, pipes escaped."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


_NO_STATE = ("Access changes not computed: a preview alone does not show the stack's other policies (a Deny, an "
             "order). Pass --state FILE (`pulumi stack export --show-secrets > FILE`), or --run, or run in the project.")


def render_markdown(changes: list[PolicyChange], moved: list[Change] | None = None,
                    unseen: Sequence[access.Unseen] = ()) -> str:
    """The policy changes, then who gains or loses access by them (``access/``: the same verdict as `access`)."""
    access_part = "\n" + (access.render_markdown(moved, unseen=unseen) if moved is not None else f"_{_NO_STATE}_\n")
    if not changes:
        return "### Policy changes\n\nNo policy changes.\n" + access_part
    counts = {op: sum(c.op == op for c in changes) for op in _VERB}
    summary = ", ".join(f"{n} {_VERB[op]}" for op, n in counts.items() if n)
    lines = ["### Policy changes", "", f"{len(changes)} {'policy' if len(changes) == 1 else 'policies'}: {summary}.", ""]
    for c in changes:
        lines.append(f"#### {c.op.upper()} {c.kind} `{c.title}` (resource `{c.resource}`)")
        if c.replace_reasons:
            lines.append(f"Replaced because {', '.join(f'`{r}`' for r in c.replace_reasons)} changed.")
        if c.fields:
            lines += ["", "| field | before | after |", "|---|---|---|"]
            lines += [f"| `{f}` | {_cell(_as_json(o))} | {_cell(_as_json(n))} |" for f, o, n in c.fields]
        for item in c.items:
            lines.append("")
            lines += [f"- **{item.field}** + `{x}`" for x in item.added]
            lines += [f"- **{item.field}** - `{x}`" for x in item.removed]
            lines += [f"- **{item.field}** ~ {x}" for x in item.changed]
        lines.append("")
    return "\n".join(lines) + access_part


def render_text(changes: list[PolicyChange], moved: list[Change] | None = None,
                unseen: Sequence[access.Unseen] = ()) -> str:
    access_part = "\n" + (access.render_text(moved, unseen=unseen) if moved is not None else f"{_NO_STATE}\n")
    if not changes:
        return "No policy changes.\n" + access_part
    lines: list[str] = []
    for c in changes:
        lines.append(f"{c.op.upper():8} {c.kind} {c.title!r} ({c.resource})")
        if c.replace_reasons:
            lines.append(f"         replaced because {', '.join(c.replace_reasons)} changed")
        lines += [f"         {f}: {_as_json(o)} -> {_as_json(n)}" for f, o, n in c.fields]
        for item in c.items:
            lines += [f"         {item.field}: + {x}" for x in item.added]
            lines += [f"         {item.field}: - {x}" for x in item.removed]
            lines += [f"         {item.field}: ~ {x}" for x in item.changed]
    return "\n".join(lines) + "\n" + access_part
