"""The canonical form of a payload: what two values must share to count as equal.

Driven by the field markers of the models (see ``_base``): read-only fields are left out,
UNORDERED lists (and the value lists of UNORDERED mappings) are sorted, absent fields take
their default and empty values (None, "", [], {}) are left out, date-times compare by instant,
camelCase and snake_case keys are the same key.
It works on plain dicts (user inputs, server records, Pulumi state alike) and never rejects one:
validation is ``check``'s job, comparison is this module's.
"""

from __future__ import annotations

import copy
import functools
import json
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ._base import Marker, _format_timestamp, _parse_json_object, _parse_timestamp, field_flag, field_marker, model_flag
from .annotations import alternatives, field_named, is_model, matches, union_tag

EMPTY: tuple[Any, ...] = (None, "", [], {})


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _value(annotation: Any, raw: Any, unordered: bool = False) -> Any:
    if raw is None:
        return None
    options = alternatives(annotation)
    models = [t for t in options if is_model(t)]
    if models and isinstance(raw, str):  # an object given as the JSON string holding it (a condition)
        try:
            raw = _parse_json_object(raw)
        except ValueError:
            return raw  # not comparable as an object; check reports it
    if models and isinstance(raw, dict):
        model = next((m for m in models if matches(m, raw)), models[0])
        return canonical(model, raw)
    for t in options:
        origin = typing.get_origin(t)
        if origin is list and isinstance(raw, list):
            (item,) = typing.get_args(t) or (Any,)
            kinds = [m for m in alternatives(item) if is_model(m)]
            if len(kinds) > 1:  # a tagged union: an item of a kind no model describes is carried, not compared
                raw = [x for x in raw if not isinstance(x, dict) or any(matches(m, x) for m in kinds)]
            items = [_value(item, x) for x in raw]
            return sorted(items, key=_sort_key) if unordered else items
        if origin is dict and isinstance(raw, (dict, str)):
            if isinstance(raw, str):
                try:
                    raw = _parse_json_object(raw)
                except ValueError:
                    return raw  # not comparable as an object; check reports it
            if not isinstance(raw, dict):
                return raw
            _, item = typing.get_args(t) or (str, Any)
            return {k: _value(item, raw[k], unordered) for k in sorted(raw)}
        if t is datetime and isinstance(raw, (str, datetime)):
            try:
                return _format_timestamp(_parse_timestamp(raw))
            except ValueError:
                return raw
    if isinstance(raw, list) and unordered:
        return sorted(raw, key=_sort_key)
    return raw


@functools.cache
def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    """Each optional field's default, made once per model (default factories build models: not cheap)."""
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if not field.is_required():
            value = field.get_default(call_default_factory=True)
            out[name] = value.model_dump() if isinstance(value, BaseModel) else value
    return out


def canonical(model: type[BaseModel], data: Mapping[str, Any], *, only: typing.Iterable[str] | None = None) -> dict[str, Any]:
    """The canonical form of `data` seen through `model` (fields limited to `only` when given)."""
    out: dict[str, Any] = {}
    names = set(only) if only is not None else None
    for name, field in model.model_fields.items():
        if field_flag(model, name, Marker.READ_ONLY) or (names is not None and name not in names):
            continue
        raw = data.get(name, data.get(field.alias)) if field.alias else data.get(name)
        if raw is None and not field.is_required():
            raw = copy.deepcopy(_defaults(model)[name])  # absent means the default, on both sides
        if field_flag(model, name, Marker.COMMA_SET) and isinstance(raw, (str, list)):
            items = raw.split(",") if isinstance(raw, str) else [str(x) for x in raw]
            raw = ",".join(sorted({x.strip() for x in items if x.strip()}))  # "b, a" is "a,b"
        value = _value(field.annotation, raw, field_flag(model, name, Marker.UNORDERED))
        unless = field_marker(model, name, Marker.ABSENT_UNLESS)
        if unless and isinstance(value, dict) and not value.get(unless):
            value = None  # e.g. a manager approval that is not required: no manager approval
        if value not in EMPTY and not _is_plain_default(field, value):
            out[name] = value
    return out


def _is_plain_default(field: Any, value: Any) -> bool:
    """Is `value` the field's own non-empty default (``is_active`` True, ``access_type`` "Allow")? Left out like an
    empty value: absent and default are one value, so neither a check nor a refresh writes it into the inputs."""
    default = field.default
    return isinstance(default, (bool, str, int)) and default not in EMPTY and type(value) is type(default) \
        and value == default


def wire_keys_only(model: type[BaseModel], data: Any) -> Any:
    """`data` with only the keys `model` reads on the wire (aliases, else field names), at every level.

    What a server does with a request body: unknown keys, and Python names the wire does not have
    (``is_active`` for ``isActive``), are ignored rather than stored or refused. Values stay as given.
    """
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            continue
        value = data[key]
        for t in alternatives(field.annotation):
            if typing.get_origin(t) is list and isinstance(value, list):
                (item,) = typing.get_args(t) or (Any,)
                models = [m for m in alternatives(item) if is_model(m)]
                if models:
                    value = [wire_keys_only(next((m for m in models if matches(m, v)), models[0]), v)
                             if isinstance(v, dict) else v for v in value]
                break
            if is_model(t) and isinstance(value, dict):
                value = wire_keys_only(t, value)
                break
        out[key] = value
    return out


def aligned(model: type[BaseModel], declared: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """`recorded` with each REFERENCE item reduced to the keys its declared counterpart gives.

    A member declared by name only and the server's record of it with the id it filled in (or the other
    way round) are the same member: compared as declared, they are equal; any other difference stands.
    Works on plain dicts under Python names or wire names; returns a new dict, `recorded` is not changed.
    """
    out = dict(recorded)
    for name, field in model.model_fields.items():
        keys = [k for k in (name, field.alias) if k]
        have_key = next((k for k in keys if k in recorded), None)
        want = next((declared[k] for k in keys if k in declared), None)
        if have_key is None or want is None:
            continue
        have = recorded[have_key]
        for t in alternatives(field.annotation):
            if is_model(t) and isinstance(have, dict) and isinstance(want, dict):
                out[have_key] = aligned(t, want, have)
                break
            if typing.get_origin(t) is list and isinstance(have, list) and isinstance(want, list):
                (item,) = typing.get_args(t) or (Any,)
                refs = [m for m in alternatives(item) if is_model(m) and model_flag(m, Marker.REFERENCE)]
                if refs:
                    out[have_key] = [_as_declared(x, want) for x in have]
                break
    return out


def _as_declared(item: Any, declared: list[Any]) -> Any:
    if not isinstance(item, dict):
        return item
    for ref in declared:
        if not isinstance(ref, dict):
            continue
        given = {k: v for k, v in ref.items() if v not in EMPTY}
        if given and all(item.get(k) == v for k, v in given.items()):
            return {k: item[k] for k in given}
    return item


def python_keys(model: type[BaseModel], data: Any) -> Any:
    """`data` under Python names at every level `model` describes (``isActive`` -> ``is_active``), the other
    way from ``wire_keys_only``. Values stay as given and keys the model does not know are kept as they are."""
    if not isinstance(data, dict):
        return data
    names: dict[str, str] = {field.alias: name for name, field in model.model_fields.items() if field.alias}
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = names[key] if key in names else key  # (get(key, key) with an Any key types as str | None)
        field = model.model_fields.get(name)
        out[name] = _python_value(field.annotation, value) if field is not None else value
    return out


def _python_value(annotation: Any, value: Any) -> Any:
    for t in alternatives(annotation):
        if typing.get_origin(t) is list and isinstance(value, list):
            (item,) = typing.get_args(t) or (Any,)
            models = [m for m in alternatives(item) if is_model(m)]
            if not models:
                return value
            return [python_keys(next((m for m in models if matches(m, v)), models[0]), v) for v in value]
        if is_model(t) and isinstance(value, dict):
            return python_keys(t, value)
    return value


def unknown_parts(annotation: Any, held: Any) -> Any:
    """What of `held` (a server's value of a field of this annotation) the models do not describe: keys unknown
    at any level, under the names the server gave them, and items of a tagged list (settings) whose tag no model
    has. None when it holds nothing more than the models know."""
    models = [t for t in alternatives(annotation) if is_model(t)]
    if models and isinstance(held, str):
        try:
            held = _parse_json_object(held)
        except ValueError:
            return None
    if models and isinstance(held, dict):
        model = next((m for m in models if matches(m, held)), models[0])
        out: dict[str, Any] = {}
        for key, value in held.items():
            name = field_named(model, key)
            part = value if name is None else unknown_parts(model.model_fields[name].annotation, value)
            if part not in EMPTY:
                out[key] = part
        return out or None
    for t in alternatives(annotation):
        if typing.get_origin(t) is list and isinstance(held, list):
            (item,) = typing.get_args(t) or (Any,)
            kinds = [m for m in alternatives(item) if is_model(m)]
            if len(kinds) > 1:  # a tagged union: an item of a kind none of them is
                return [x for x in held if isinstance(x, dict) and not any(matches(m, x) for m in kinds)] or None
            return None
    return None


def with_unknown(model: type[BaseModel], body: dict[str, Any], extra: Mapping[str, Any], *,
                 by_alias: bool) -> dict[str, Any]:
    """`body`, a request body of `model` (wire names when `by_alias`), with `extra` (``unknown_parts`` of what the
    server holds, by field) put back: unknown keys added, unknown items appended. What sat inside a part the body
    no longer has (an approval removed) goes with it."""
    out = dict(body)
    for key, value in extra.items():
        name = field_named(model, key)
        if name is None:
            out[key] = value
            continue
        field = model.model_fields[name]
        wire = field.alias if by_alias and field.alias else name
        have = out.get(wire)
        if isinstance(value, list) and isinstance(have, list):
            out[wire] = [*have, *value]
        elif isinstance(value, dict) and isinstance(have, dict):
            sub = next((m for m in alternatives(field.annotation) if is_model(m) and matches(m, have)), None)
            out[wire] = with_unknown(sub, have, value, by_alias=by_alias) if sub is not None else {**have, **value}
    return out


def python_path(model: type[BaseModel], loc: typing.Sequence[Any]) -> list[Any]:
    """A validation error's location under Python names (pydantic gives the wire aliases: ``managerApproval``),
    the tags of discriminated unions (``ITSM``) left out: ``["condition", "approval", "manager_approval", ...]``."""
    out: list[Any] = []
    annotation: Any = model
    for part in loc:
        options = alternatives(annotation)
        models = [t for t in options if is_model(t)]
        tag = union_tag(models) if isinstance(part, str) and len(models) > 1 else None
        if tag is not None and part in tag.models:
            annotation = tag.models[part]
            continue
        if isinstance(part, str) and models:
            current = models[0]
            name = field_named(current, part)
            if name is not None:
                out.append(name)
                annotation = current.model_fields[name].annotation
                continue
        if isinstance(part, int):
            listed = next((t for t in options if typing.get_origin(t) is list), None)
            annotation = (typing.get_args(listed) or (Any,))[0] if listed is not None else Any
        elif any(typing.get_origin(t) is dict for t in options):
            listed = next(t for t in options if typing.get_origin(t) is dict)
            annotation = (typing.get_args(listed) or (str, Any))[-1]
        else:
            annotation = Any
        out.append(part)
    return out


