"""Shared model machinery: field markers, the canonical form, and camelCase/snake_case names.

Behaviour is declared next to the field (``Field(json_schema_extra=...)``) and read by generic code:

- ``REPLACE``   changing the field replaces the object (identity: path parameter or natural key).
- ``COMPUTED``  optional and server-defaulted: left out of the inputs, the server's value is kept
                 and never shown as a change (Terraform's Optional+Computed).
- ``READ_ONLY`` set by the server only; never sent, never compared.
- ``UNORDERED`` a list whose order carries no meaning (members, tags, label values...).
- ``CARRY_UNKNOWN`` a mapping whose keys a server may hold more of than the model knows: the
                 server's other keys are sent back as they are on every write, never dropped.
- ``REFERENCE`` (on a model) a reference to something by ``id`` or ``name``: given by one of them, it
                 matches a server's record that carries both (see ``canonical.aligned``).
- ``RUN_STATE`` computed, and the server's own bookkeeping (last run, progress...): an export never writes it.
- ``server_default(v)`` computed, and `v` when nobody set it: an export writes it only where it differs.
- ``ITEMS``     a review report lists its items added and removed (by member, label key or setting type)
                 rather than the whole value old -> new.
- ``GRANTS``    its items are who the policy grants access to: a review says who gains and loses access,
                 and the policy pack's access rules apply to every resource that has such a field.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic.config import JsonDict

REPLACE: JsonDict = {"replace": True}
COMPUTED: JsonDict = {"computed": True}
READ_ONLY: JsonDict = {"read_only": True}
UNORDERED: JsonDict = {"unordered": True}
CARRY_UNKNOWN: JsonDict = {"carry_unknown": True}
REFERENCE: JsonDict = {"reference": True}
RUN_STATE: JsonDict = {"computed": True, "run_state": True}
ITEMS: JsonDict = {"items": True}
GRANTS: JsonDict = {"items": True, "grants": True}


def server_default(value: Any) -> JsonDict:
    return {"computed": True, "server_default": value}


def marked(*markers: JsonDict) -> JsonDict:
    out: JsonDict = {}
    for m in markers:
        out.update(m)
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


def field_flag(model: type[BaseModel], name: str, flag: str) -> bool:
    extra = model.model_fields[name].json_schema_extra
    return bool(isinstance(extra, dict) and extra.get(flag))


def field_marker(model: type[BaseModel], name: str, key: str, default: Any = None) -> Any:
    """The value a field's markers give `key` (``server_default``'s value...), or `default`."""
    extra = model.model_fields[name].json_schema_extra
    return extra.get(key, default) if isinstance(extra, dict) else default


def fields_with(model: type[BaseModel], flag: str) -> list[str]:
    return [n for n in model.model_fields if field_flag(model, n, flag)]


def model_flag(model: type[BaseModel], flag: str) -> bool:
    extra = model.model_config.get("json_schema_extra")
    return bool(isinstance(extra, dict) and extra.get(flag))


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
