"""Where the declared policies come from: the stack's state and a preview."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..declared import DeclaredPolicy, policies_of
from ..engine_state import parse_urn, user_props
from ..registry import SPECS, TYPE_PREFIX, set_kinds
from .model import ORDER_KIND

# -- where the declared policies come from: the stack's state and a preview ------------------------------------
Resources = dict[str, tuple[str, dict[str, Any]]]  # urn -> (type, inputs with the ids the outputs add)
_FROM_OUTPUTS = ("policy_id", "policy_ids", "policy_names", "enabled")  # what a record learns at apply


def _ours(type_: str) -> bool:
    """A policy, a policy set or a policy order."""
    return type_.startswith(TYPE_PREFIX) and type_.removeprefix(TYPE_PREFIX) in {*SPECS, *set_kinds(), ORDER_KIND}


def _props(inputs: Any, outputs: Any) -> dict[str, Any]:
    props = user_props(inputs if isinstance(inputs, dict) else {})
    for key in _FROM_OUTPUTS:
        if isinstance(outputs, dict) and key in outputs and key not in props:
            props[key] = outputs[key]
    return props


def resources_of_state(exported: Mapping[str, Any]) -> Resources:
    """The policies of a stack's state (``pulumi stack export``), by URN."""
    deployment = exported.get("deployment", exported)
    out: Resources = {}
    for r in deployment.get("resources") or []:
        type_ = str(r.get("type", ""))
        if _ours(type_) and not r.get("delete"):
            out[str(r.get("urn"))] = (type_, _props(r.get("inputs"), r.get("outputs")))
    return out


def resources_of_preview(preview: Mapping[str, Any], state: Resources | None) -> tuple[Resources, Resources]:
    """(before, after) of a ``pulumi preview --json``: the state (when given; else what the preview's steps
    recorded), and the same with the preview's steps applied. A server-computed field the program does not declare
    (``consumer``) keeps its recorded value: no change, as the provider's diff sees it."""
    before: Resources = dict(state) if state is not None else {}
    if state is None:
        for step in preview.get("steps") or []:
            old = step.get("oldState") or {}
            if old.get("inputs") is not None and _ours(str(old.get("type", ""))):
                before[str(step.get("urn"))] = (str(old["type"]), _props(old.get("inputs"), old.get("outputs")))
    after = dict(before)
    for step in preview.get("steps") or []:
        urn, op, new = str(step.get("urn")), step.get("op"), step.get("newState") or {}
        if op in ("delete", "discard"):
            after.pop(urn, None)
        elif new.get("inputs") is not None and _ours(str(new.get("type", ""))) and op not in ("read", "same"):
            props = _props(new.get("inputs"), None)
            recorded = before.get(urn, ("", {}))[1]
            for key in ("consumer", *_FROM_OUTPUTS):
                if key not in props and key in recorded and op not in ("replace", "create-replacement"):
                    props[key] = recorded[key]
            after[urn] = (str(new["type"]), props)
    return before, after


def declared(resources: Resources) -> list[DeclaredPolicy]:
    """The declared policies of these resources (each policy of a set on its own)."""
    return [p for urn, (type_, props) in resources.items() for p in policies_of(type_, parse_urn(urn).name, props)]

