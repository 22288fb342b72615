"""Payload shaping of a policy provider: what a create and an update send, what the state records, what changed.

Read from the spec's models and their field markers (models/_base.py); no HTTP. See docs/resources.md, "What is
managed and what is carried" and "An update sends only what the preview showed changing".
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..engine_state import contains_unknown
from ..models import Marker, field_flag, fields_with, python_names
from ..models.canonical import EMPTY, aligned, canonical, unknown_parts, with_unknown
from ..registry import CONNECTION, ResourceSpec


class Payload:
    """The request bodies, outputs and changed fields of one spec's objects (a mixin of PolicyProvider)."""

    spec: ClassVar[ResourceSpec]

    @property
    def _fields(self) -> list[str]:
        model = self.spec.args_model
        return [n for n in model.model_fields if not field_flag(model, n, Marker.READ_ONLY)]

    def _flag(self, name: str, flag: Marker) -> bool:
        return field_flag(self.spec.args_model, name, flag)

    def _value(self, name: str, inputs: dict[str, Any]) -> Any:
        """What the program means for field `name`: its value, or the field's default where it left it out."""
        if name in inputs:
            return inputs[name]
        default = self.spec.args_model.model_fields[name].get_default(call_default_factory=True)
        return default.model_dump(mode="json") if hasattr(default, "model_dump") else default

    def _wire(self, body: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        """`body` (Python names) under the wire's names, values as the model dumps them."""
        if not self.spec.wire_by_alias:
            return body
        model = self.spec.args_model
        validated = model.model_validate({**body, **{f: inputs[f] for f in self.spec.scope_fields}})
        return validated.model_dump(mode="json", by_alias=True, include=set(body))

    def _create_body(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """A create's body: every declared field, and the default of each managed field left out (the object is
        new: there is nothing on the server to keep). Carried fields (COMPUTED) go only when declared."""
        body = {name: self._value(name, inputs) for name in self._fields
                if name not in self.spec.scope_fields and (name in inputs or not self._flag(name, Marker.COMPUTED))}
        return self._wire(body, inputs)

    def _update_body(self, inputs: dict[str, Any], changed: list[str], fresh: dict[str, Any] | None) -> dict[str, Any]:
        """An update's body: the fields the preview showed changing (`changed`), the natural key the API requires
        with them, and nothing else: a value the program did not declare, or that this version does not model, is
        never replaced by a default (docs/resources.md, "What is managed and what is carried").

        `fresh`: the object as the server holds it now (the record, wire names), read just before this write where
        the write replaces a whole value: a PUT replaces the object, so everything not changing is sent as the server
        holds it now, unmodelled keys included; a PATCH of members, settings or a condition replaces that field
        whole, so what the server holds in it beyond the models goes back with it (CARRY_UNKNOWN)."""
        names = [*self.spec.natural_key, *changed]
        body = self._wire({n: self._value(n, inputs) for n in dict.fromkeys(names)
                           if n not in self.spec.scope_fields}, inputs)
        if fresh is None:
            return body
        if self.spec.full_replace:
            read_only = {self._wire_name(n) for n in fields_with(self.spec.record_model, Marker.READ_ONLY)}
            return {**{k: v for k, v in fresh.items() if k not in read_only}, **body}
        return self._carry_unknown(body, python_names(self.spec.record_model, fresh))

    def _wire_name(self, name: str) -> str:
        field = self.spec.record_model.model_fields[name]
        return field.alias or name if self.spec.wire_by_alias else name

    def changed_fields(self, olds: dict[str, Any], news: dict[str, Any]) -> tuple[list[str], list[str]]:
        """What the preview shows: the fields whose change replaces the object, and the fields that change in place.

        Managed fields (every field but the COMPUTED ones) mean their default when left out, so a hand edit of them
        is a change; a carried (COMPUTED) field is compared only where the program declares it."""
        replaces = [f for f in self._fields if self._flag(f, Marker.REPLACE) and news.get(f) != olds.get(f)]
        if news.get(CONNECTION) != olds.get(CONNECTION):
            replaces.append(CONNECTION)  # another server: the object is made there and deleted here
        compared = [f for f in self._fields if f not in replaces and (f in news or not self._flag(f, Marker.COMPUTED))]
        unknown = [f for f in compared if contains_unknown(news.get(f))]
        want = canonical(self.spec.args_model, news, only=compared)
        have = canonical(self.spec.args_model, aligned(self.spec.args_model, news, olds), only=compared)
        return replaces, [f for f in compared if f in unknown or want.get(f) != have.get(f)]

    def _unknown_parts(self, current: dict[str, Any]) -> dict[str, Any]:
        """What the server holds, in its CARRY_UNKNOWN fields, that the models do not describe (a member kind, a
        settings type, a key inside a condition), by field."""
        model = self.spec.args_model
        parts = {name: unknown_parts(model.model_fields[name].annotation, current.get(name))
                 for name in fields_with(model, Marker.CARRY_UNKNOWN)}
        return {name: part for name, part in parts.items() if part is not None}

    def _carry_unknown(self, body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        """What the server holds beyond the models goes back as it is: a PATCH replaces ``members``, ``settings``
        and ``condition`` whole, and a grant or rule this project cannot express must not be lost. `current` must be
        what the server holds now (see ``_update``), never the state: a grant revoked by hand would come back."""
        extra = self._unknown_parts(current)
        return with_unknown(self.spec.args_model, body, extra, by_alias=self.spec.wire_by_alias) if extra else body

    def outputs(self, record: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
        """Every field the server returned, snake_case, plus the scope; the remote id under id_output.

        Fields the server returned empty (null, "", [], {}) are left out: they read as None, compare as
        absent (see canonical), and every byte of an output is paid again each time the file backend
        rewrites the checkpoint (docs/performance.md).
        """
        outs = {k: v for k, v in python_names(self.spec.record_model, record).items() if k != "id" and v not in EMPTY}
        if self.spec.id_output:
            outs[self.spec.id_output] = record["id"]
        outs.update({f: scope[f] for f in self.spec.scope_fields})
        if scope.get(CONNECTION) is not None:
            outs[CONNECTION] = scope[CONNECTION]
        return outs

    def refreshed_inputs(self, outs: dict[str, Any]) -> dict[str, Any]:
        """A policy's inputs as a set records them after a refresh (the engine shows a changed set's diff from its
        inputs): every field as the server holds it, canonical. A carried field the program does not declare is no
        change (the provider's diff and the report compare it only where declared)."""
        inputs = canonical(self.spec.args_model, outs)
        if CONNECTION in outs:
            inputs[CONNECTION] = outs[CONNECTION]
        return inputs
