"""Where the declared policies come from: the stack's state and a preview, as ``preview.py`` reads them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..declared import DeclaredPolicy, normalise, policies_of
from ..engine_state import parse_urn
from ..preview import SECRET, Preview, State, read_preview, read_state
from ..registry import CONNECTION, ITEMS, SPECS, TYPE_PREFIX, UNKNOWN, ResourceSpec, item_label, item_spec, items_of, set_kinds
from .model import ORDER_KIND

Resources = dict[str, tuple[str, dict[str, Any]]]  # urn -> (type, inputs with the ids the outputs add)
_FROM_OUTPUTS = ("policy_id", "policy_ids", "policy_names", "enabled")  # what a record learns at apply
_POSITIONAL = ("policy_ids", "policy_names")  # outputs that follow the positions of the `policies` input


def _ours(type_: str) -> bool:
    """A policy, a policy set or a policy order."""
    return type_.startswith(TYPE_PREFIX) and type_.removeprefix(TYPE_PREFIX) in {*SPECS, *set_kinds(), ORDER_KIND}


def _props(inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any]:
    props = dict(inputs)
    for key in _FROM_OUTPUTS:
        if key in outputs and key not in props:
            props[key] = outputs[key]
    return props


def resources_of_state(state: State | Mapping[str, Any]) -> Resources:
    """The policies of a stack's state (``pulumi stack export``), by URN."""
    if not isinstance(state, State):
        state = read_state(state, check=False)
    return {urn: (r.type, _props(r.inputs, r.outputs)) for urn, r in state.resources.items() if _ours(r.type)}


def resources_of_preview(preview: Preview | Mapping[str, Any], state: Resources | None) -> tuple[Resources, Resources]:
    """(before, after) of a ``pulumi preview --json``: the state (when given; else what the preview's steps
    recorded), and the same with the preview's steps applied. A server-computed field the program does not declare
    (``consumer``) keeps its recorded value: no change, as the provider's diff sees it. A policy keeps its id through
    an update (ids never change on update); an order's positional outputs are kept only while its list is the same:
    one position is never filled from another list."""
    if not isinstance(preview, Preview):
        preview = read_preview(preview, check=False)
    before: Resources = dict(state) if state is not None else {}
    if state is None:
        for step in preview.steps:
            if step.old is not None and _ours(step.old.type):
                before[step.urn] = (step.old.type, _props(step.old.inputs, step.old.outputs))
    after = dict(before)
    for step in preview.steps:
        if step.op in ("delete", "discard"):
            after.pop(step.urn, None)
        elif step.new is not None and _ours(step.new.type) and step.op not in ("read", "same"):
            props = dict(step.new.inputs)
            was = step.old.urn if step.old is not None and step.old.urn else step.urn
            recorded = before.get(was, ("", {}))[1]
            if was != step.urn:  # renamed (an alias): the resource is no longer under its old name
                after.pop(was, None)
            spec = item_spec(step.new.type.removeprefix(TYPE_PREFIX))
            if spec is not None and props.get(ITEMS) is not None and items_of(props[ITEMS]) is None:
                props[ITEMS] = [*_allows(spec, recorded.get(ITEMS)), props[ITEMS]]  # not seen: its Allows may hold
            if step.op not in ("replace", "create-replacement"):
                for key in ("consumer", *_FROM_OUTPUTS):
                    if key in _POSITIONAL and props.get("policies") != recorded.get("policies"):
                        continue
                    if key not in props and key in recorded:
                        props[key] = recorded[key]
            after[step.urn] = (step.new.type, props)
    return before, after


def _allows(spec: ResourceSpec, items: Any) -> list[Any]:
    """The items of a set that are not a Deny, as a state recorded them."""
    return [i for i in items_of(items) or [] if isinstance(i, Mapping)
            and normalise(spec.kind, "", i).get("access_type") != "Deny"]


def declared(resources: Resources) -> list[DeclaredPolicy]:
    """The declared policies of these resources (each policy of a set on its own). A policy of a set that is not
    seen (the set's list, or one item, unknown at preview or secret) is one policy of which nothing is seen: members,
    scope and everything else, read as the widest access (``<set>[not seen #i]``)."""
    out = []
    for urn, (type_, props) in resources.items():
        name = parse_urn(urn).name
        out += policies_of(type_, name, props)
        spec = item_spec(type_.removeprefix(TYPE_PREFIX))
        raw = props.get(ITEMS)
        if spec is None or raw is None:
            continue
        items = items_of(raw)
        for index, item in enumerate([raw] if items is None else items):
            if not isinstance(item, Mapping):
                mark = item if item == SECRET else UNKNOWN
                out.append(normalise(spec.kind, item_label(name, f"not seen #{index}"), {
                    "members": mark, **{f: mark for f in spec.scope_fields},
                    **({CONNECTION: props[CONNECTION]} if props.get(CONNECTION) is not None else {})}))
    return out
