"""Shared model machinery: field markers, the canonical form, and camelCase/snake_case names.

Behaviour is declared next to the field (``Field(json_schema_extra=...)``) and read by generic code:

- ``REPLACE``   changing the field replaces the object (identity: path parameter or natural key).
- ``COMPUTED``  optional and server-defaulted: left out of the inputs, the server's value is kept
                 and never shown as a change (Terraform's Optional+Computed).
- ``READ_ONLY`` set by the server only; never sent, never compared.
- ``UNORDERED`` a list whose order carries no meaning (members, tags, label values...).
- ``CARRY_UNKNOWN`` a value a server may hold more of than the model knows (keys at any level, items of a
                 kind no model describes, such as a settings type): what the server holds beyond the models is
                 sent back as it is on every write, never dropped.
- ``REFERENCE`` (on a model) a reference to something by ``id`` or ``name``: given by one of them, it
                 matches a server's record that carries both (see ``canonical.aligned``).
- ``RUN_STATE`` computed, and the server's own bookkeeping (last run, progress...): an export never writes it.
- ``server_default(v)`` computed, and `v` when nobody set it: an export writes it only where it differs.
- ``ITEMIZED``  a review report lists its items added and removed (by member, label key or setting type)
                 rather than the whole value old -> new.
- ``GRANTS``    its items are who the policy grants access to: a review says who gains and loses access,
                 and the policy pack's access rules apply to every resource that has such a field.
- ``COMMA_SET`` a comma-separated string whose items are a set: split, trimmed, in any order (an IP list).
- ``absent_unless(key)`` an object that counts as absent unless its field `key` is true.

The markers are the members of ``Marker``; ``field_flag`` refuses any other name, so a typo is an error.
A server's answer is read through a *record model* derived from the args model (``lenient``): the same fields
and aliases, every one optional, unknown keys and unknown kinds of items kept as sent.
"""

from __future__ import annotations

import enum
import json
import re
import typing
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, PlainSerializer, Tag, create_model
from pydantic.config import JsonDict

from .annotations import alternatives, is_model, union_tag


class Marker(enum.Enum):
    """The behaviours a field (or a model) can be marked with; read by generic code through ``field_flag``."""

    REPLACE = "replace"
    COMPUTED = "computed"
    READ_ONLY = "read_only"
    UNORDERED = "unordered"
    CARRY_UNKNOWN = "carry_unknown"
    REFERENCE = "reference"
    RUN_STATE = "run_state"
    SERVER_DEFAULT = "server_default"
    ITEMIZED = "itemized"
    GRANTS = "grants"
    COMMA_SET = "comma_set"
    ABSENT_UNLESS = "absent_unless"


REPLACE: JsonDict = {Marker.REPLACE.value: True}
COMPUTED: JsonDict = {Marker.COMPUTED.value: True}
READ_ONLY: JsonDict = {Marker.READ_ONLY.value: True}
UNORDERED: JsonDict = {Marker.UNORDERED.value: True}
CARRY_UNKNOWN: JsonDict = {Marker.CARRY_UNKNOWN.value: True}
REFERENCE: JsonDict = {Marker.REFERENCE.value: True}
RUN_STATE: JsonDict = {Marker.COMPUTED.value: True, Marker.RUN_STATE.value: True}
ITEMIZED: JsonDict = {Marker.ITEMIZED.value: True}
GRANTS: JsonDict = {Marker.ITEMIZED.value: True, Marker.GRANTS.value: True}


def server_default(value: Any) -> JsonDict:
    return {Marker.COMPUTED.value: True, Marker.SERVER_DEFAULT.value: value}


def absent_unless(key: str) -> JsonDict:
    """An object that means nothing unless its field `key` is true (``manager_approval`` without ``required``)."""
    return {Marker.ABSENT_UNLESS.value: key}


def marked(*markers: JsonDict | Marker) -> JsonDict:
    out: JsonDict = {}
    for m in markers:
        out.update({m.value: True} if isinstance(m, Marker) else m)
    return out


def camel_to_snake(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


class StrictModel(BaseModel):
    """What users declare and what we send: unknown fields are errors (they catch typos)."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True,
                              str_strip_whitespace=False, defer_build=True)


class LenientModel(BaseModel):
    """What servers return: unknown fields are kept, nothing is rejected for being new."""

    model_config = ConfigDict(extra="allow", validate_by_name=True, validate_by_alias=True, defer_build=True)


def field_flag(model: type[BaseModel], name: str, flag: Marker) -> bool:
    return bool(field_marker(model, name, flag))


def field_marker(model: type[BaseModel], name: str, key: Marker, default: Any = None) -> Any:
    """The value a field's markers give `key` (``server_default``'s value...), or `default`."""
    extra = model.model_fields[name].json_schema_extra
    return extra.get(Marker(key).value, default) if isinstance(extra, dict) else default


def fields_with(model: type[BaseModel], flag: Marker) -> list[str]:
    return [n for n in model.model_fields if field_flag(model, n, flag)]


def model_flag(model: type[BaseModel], flag: Marker) -> bool:
    extra = model.model_config.get("json_schema_extra")
    return bool(isinstance(extra, dict) and extra.get(Marker(flag).value))


def python_names(record_model: type[BaseModel], record: dict[str, Any]) -> dict[str, Any]:
    """A server's record under Python names, through its lenient record model: camelCase or snake_case in,
    snake_case out at every level the model describes; condition strings parsed; keys the model does not
    know kept as sent. Only the keys present in `record` come out (explicit nulls and empties included)."""
    return record_model.model_validate(record).model_dump(mode="json", exclude_unset=True)


def _parse_json_object(value: Any) -> Any:
    """`condition` arrives as an object from most servers and as a JSON string from some."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"must be an object or a JSON string holding one ({exc.msg})") from None
    return value


JsonObject = Annotated[dict[str, Any], BeforeValidator(_parse_json_object)]


def _parse_timestamp(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("must be an ISO 8601 date-time such as 2025-08-31T16:02:16.736Z") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _format_timestamp(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


# A date-time that compares by instant: "…16:02:16.736Z" and "…16:02:16.736000+00:00" are equal.
Timestamp = Annotated[datetime, BeforeValidator(_parse_timestamp), PlainSerializer(_format_timestamp, return_type=str)]


# -- record models: derived from the args models ----------------------------------------------------------
def _object_or_none(value: Any) -> Any:
    """An object field as servers send it: a JSON string (Britive's ``condition``), ``[]`` or ``""`` for none
    (Britive's SDK sends ``members: []``), or the object."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return value  # not an object after all: the record check reports it
    return None if value == [] else value


def _lenient_type(annotation: Any) -> Any:
    options = alternatives(annotation)
    models = [t for t in options if is_model(t)]
    if len(models) == 1:
        record = lenient(models[0])
        return Annotated[Annotated[record, Tag("object")] | Annotated[Any, Tag("other")],
                         Discriminator(lambda v: "object" if isinstance(v, (dict, BaseModel)) else "other"),
                         BeforeValidator(_object_or_none)]
    if len(models) > 1:
        tag = union_tag(models)
        if tag is None:
            return Any
        name, alias, by_value = tag
        records = {m: lenient(m) for m in dict.fromkeys(by_value.values())}

        def which(value: Any) -> str:
            got = value.get(alias, value.get(name)) if isinstance(value, dict) else getattr(value, name, None)
            return by_value[got].__name__ if got in by_value else "other"

        choices = [Annotated[r, Tag(m.__name__)] for m, r in records.items()]
        return Annotated[typing.Union[(*choices, Annotated[Any, Tag("other")])], Discriminator(which)]
    for t in options:
        origin = typing.get_origin(t)
        if origin is list:
            (item,) = typing.get_args(t) or (Any,)
            return list[_lenient_type(item)]  # type: ignore[misc]
        if origin is dict:
            _, item = typing.get_args(t) or (str, Any)
            return dict[str, _lenient_type(item)]  # type: ignore[misc]
        if typing.get_origin(t) is Literal:
            return type(typing.get_args(t)[0])
        if t in (str, int, bool, float):
            return t
    return Any


_LENIENT: dict[type[BaseModel], type[BaseModel]] = {}


def lenient(model: type[BaseModel], *, extra: dict[str, Any] | None = None, name: str | None = None
            ) -> type[BaseModel]:
    """The record model of `model`: what a server returns. The same fields and aliases, every one optional (an
    unset one is simply absent), scalars of the same type (a name that is not a string is refused, as a check of
    the answer), constraints dropped (the server has the last word), object fields taking a JSON string or
    ``[]``, and a union's items of a kind no model describes kept as sent. `extra`: fields the answer adds
    (``id``), as ``pydantic.create_model`` takes them."""
    if extra is None and model in _LENIENT:
        return _LENIENT[model]
    fields: dict[str, Any] = {
        n: (_lenient_type(f.annotation) | None, Field(None, alias=f.alias, json_schema_extra=f.json_schema_extra))
        for n, f in model.model_fields.items()}
    fields.update(extra or {})
    record = create_model(name or f"{model.__name__}Record", __base__=LenientModel, __doc__=(
        f"{model.__name__} as a server returns it (derived: models._base.lenient)."), **fields)
    if extra is None:
        _LENIENT[model] = record
    return record
