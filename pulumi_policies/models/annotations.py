"""Reading the models' annotations: the alternatives of a field's type, which of them are models, which model a
raw object is, the field a key names, and the one field that tells a union's models apart (its tag).

A leaf: it imports nothing of this package, so that ``_base`` (the record models), ``canonical`` (equality), the
report and the type generator read the models one way.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, NamedTuple, Union

from pydantic import BaseModel


def alternatives(annotation: Any) -> list[Any]:
    """The alternatives of an annotation, Annotated and Optional removed."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return alternatives(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                out.extend(alternatives(arg))
        return out
    return [annotation]


def is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def literal_values(annotation: Any) -> tuple[Any, ...] | None:
    """The values of the first Literal among an annotation's alternatives (``settings_type``'s ``"ITSM"``), or None."""
    literals = [a for a in alternatives(annotation) if typing.get_origin(a) is Literal]
    return typing.get_args(literals[0]) if literals else None


def matches(model: type[BaseModel], raw: dict[str, Any]) -> bool:
    """Does `raw` (Python names or wire aliases) hold, in each Literal field of `model`, one of its values?"""
    for name, field in model.model_fields.items():
        values = literal_values(field.annotation)
        if values is not None:
            value = raw.get(name, raw.get(field.alias or name))
            if value not in values:
                return False
    return True


def field_named(model: type[BaseModel], key: str) -> str | None:
    """The field `key` names in `model`, by its Python name or its wire alias."""
    if key in model.model_fields:
        return key
    return next((n for n, f in model.model_fields.items() if f.alias == key), None)


class UnionTag(NamedTuple):
    """The field that tells a union's models apart: its name, its wire alias, and the model of each value."""

    name: str
    alias: str | None
    models: dict[Any, type[BaseModel]]


def union_tag(models: typing.Sequence[type[BaseModel]]) -> UnionTag | None:
    """The first field of the first model that is a Literal in every one of `models` (``settings_type``), or None."""
    if not models:
        return None
    for name, field in models[0].model_fields.items():
        by_value: dict[Any, type[BaseModel]] = {}
        for model in models:
            other = model.model_fields.get(name)
            values = literal_values(other.annotation) if other is not None else None
            if values is None:
                break
            by_value.update({v: model for v in values})
        else:
            return UnionTag(name, field.alias, by_value)
    return None
