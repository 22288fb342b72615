"""A declared policy as the guardrails and the access model read it: its kind, Pulumi resource name and inputs
(Python names, camelCase aliases accepted), each policy of a policy set on its own (named ``<set>[<key>]``).

Read lazily (``_Props``), so that at preview a value the engine does not know yet stops only what reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .models import Marker, fields_with
from .models.canonical import python_keys
from .registry import CONNECTION, ITEMS, SPECS, TYPE_PREFIX, UNKNOWN, ResourceSpec, item_key, item_label, item_spec, items_of


@dataclass(frozen=True)
class DeclaredPolicy:
    """What a rule sees of one declared policy."""

    kind: str                # ResourcePolicy | ProfilePolicy | ConfigurationPolicy | any registered kind
    name: str                # the Pulumi resource name
    props: Mapping[str, Any]  # the inputs, snake_case

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"

    @property
    def spec(self) -> ResourceSpec | None:
        return SPECS.get(self.kind)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.props.get(key)
        return default if value is None else value

    def members(self) -> list[tuple[str, str]]:
        """(kind, id or name) of every member granted (the items of its GRANTS field: users, tags...)."""
        model = self.spec.args_model if self.spec else None
        out: list[tuple[str, str]] = []
        for granted in fields_with(model, Marker.GRANTS) if model else ():
            members = self.get(granted, {})
            kinds = members.keys() if isinstance(members, Mapping) else ()
            out += [(kind, str(m.get("id") or m.get("name"))) for kind in kinds
                    for m in members.get(kind) or [] if isinstance(m, Mapping)]
        return out

    def setting(self, settings_type: str) -> Mapping[str, Any] | None:
        return next((s for s in self.get("settings", []) if s.get("settings_type") == settings_type), None)

    def grants(self) -> bool:
        return self.get("access_type", "Allow") != "Deny" and self.get("is_active", True) is not False


class _Props(Mapping[str, Any]):
    """Inputs under Python names (camelCase aliases accepted), each value converted when a rule reads it.

    Read lazily on purpose: at preview, pulumi-policy raises on reading a value the engine does not know
    yet, and reports the rule that read it as not run. Copying every value up front would make one unknown
    field (a description from another resource's output) stop every rule, mandatory ones included.
    """

    def __init__(self, raw: Mapping[str, Any], spec: ResourceSpec | None) -> None:
        self._raw = raw
        self._model = spec.args_model if spec else None
        aliases = {f.alias: n for n, f in self._model.model_fields.items() if f.alias} if self._model else {}
        self._keys = {aliases.get(k, k): k for k in raw if not k.startswith("__")}

    def __getitem__(self, key: str) -> Any:
        return self._python(key, self._raw[self._keys[key]])

    def plain(self, key: str) -> Any:
        """The value as plain data, each part not known yet ``UNKNOWN`` (see ``known``)."""
        return self._python(key, _plain(self._raw, self._keys[key]))

    def _python(self, key: str, value: Any) -> Any:
        if not self._model:
            return value
        try:
            return python_keys(self._model, {key: value})[key]
        except (AttributeError, TypeError, ValueError):  # a placeholder (unknown, "[secret]") where a model goes:
            return value  # as given; the access model reads it as not seen

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _plain(container: Any, key: Any) -> Any:
    """container[key] as plain data, read part by part: a part not known yet (pulumi-policy's proxies raise on
    reading one at preview) is ``UNKNOWN`` and spoils only itself."""
    try:
        value = container[key]
    except Exception:  # noqa: BLE001 - pulumi-policy's UnknownValueError; this module knows nothing of Pulumi
        return UNKNOWN
    if isinstance(value, Mapping):
        return {str(k): _plain(value, k) for k in list(value)}
    if isinstance(value, Sequence) and not isinstance(value, str):  # pulumi-policy's list proxies are Sequences
        return [_plain(value, i) for i in range(len(value))]
    return value


def known(policy: DeclaredPolicy, keys: Iterable[str] | None = None) -> DeclaredPolicy:
    """`policy` with its inputs (those of `keys`, when given) read once into plain data under Python names, each part
    not known yet ``UNKNOWN``: for a reader of every value (the access model reads it as the widest access), where a
    rule reading one field stops at a value not known yet (pulumi-policy reports it as not run)."""
    props = policy.props
    wanted = [k for k in (keys if keys is not None else props) if k in set(props)]  # keys are known at preview
    read = props.plain if isinstance(props, _Props) else (lambda k: _plain(props, k))
    return DeclaredPolicy(policy.kind, policy.name, {k: read(k) for k in wanted})


def normalise(kind: str, name: str, props: Mapping[str, Any]) -> DeclaredPolicy:
    """Inputs as a rule sees them: Python names (camelCase aliases accepted), engine fields dropped."""
    kind = kind.removeprefix(TYPE_PREFIX)
    return DeclaredPolicy(kind, name, _Props(props, SPECS.get(kind)))


def policies_of(kind: str, name: str, props: Mapping[str, Any]) -> list[DeclaredPolicy]:
    """The policies a resource declares: itself, or each policy of a set (named ``<set>[<key>]``), so that every
    rule holds for a policy whichever form declares it."""
    kind = kind.removeprefix(TYPE_PREFIX)
    spec = item_spec(kind)
    if spec is None:
        return [normalise(kind, name, props)]
    raw = props.get(ITEMS)
    out = []
    connection = props.get(CONNECTION)  # the set's: its items are on its connection
    for index, item in enumerate(items_of(raw) or []):
        if isinstance(item, Mapping):
            if connection is not None and CONNECTION not in item:
                item = {**item, CONNECTION: connection}
            policy = normalise(spec.kind, "", item)  # Python names: the key's fields read as the provider keys them
            try:
                key = item_key(spec, {f: policy.get(f) for f in (*spec.scope_fields, *spec.natural_key)}) or f"#{index}"
            except Exception:  # noqa: BLE001 - a key not known yet (at preview, pulumi-policy raises on reading it)
                key = f"#{index}"  # the item's rules still run; those reading an unknown value are reported as not run
            out.append(DeclaredPolicy(spec.kind, item_label(name, key), policy.props))
    return out
