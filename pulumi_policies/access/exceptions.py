"""Accepted exceptions to the access gate (``access --exceptions FILE``): findings a person accepted, each with a
reason, an owner and an expiry (as tfsec's ``#tfsec:ignore:<rule>:exp:<date>`` and the IAM policy validator's
``--ignore-finding``).

The file is YAML or JSON: a list of entries, or ``{"exceptions": [...]}``. An entry::

    principal: user:alice          # kind:name, the kinds of the JSON output (user, tag, service_identity...)
    connection: tenant-b           # optional: only on this named connection
    policy: read                   # optional: a Pulumi resource name, or set[key] for a policy of a set
    reach: {resource_labels: {env: [staging]}, access_level: read}   # optional: as in the JSON output
    change: gains                  # optional: the kind of change accepted, gains (the default), weaker-approval...
    reason: on-call rota needs read access
    owner: platform-security
    expires: 2027-03-31            # the last day it holds

Every entry is checked before anything is reviewed; an error names the entry (its number and principal) and the
field. docs/access-review.md documents the format. An entry accepts only what it can be shown to name: never a
principal, connection or reach the review could not see (``(secret)``, ``(known after apply)``), and a member given
with an id only by that id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..errors import PulumiPoliciesError
from .compare import Change
from .model import KNOWN_AFTER_APPLY, NOT_SHOWN, PRINCIPAL_KINDS, Principal, Reach

FIELDS = ("principal", "connection", "policy", "reach", "change", "reason", "owner", "expires")
CHANGES = ("gains", "weaker-approval", "unmanaged", "loses", "stronger-approval")  # the kinds a change is of
PLACEHOLDERS = (KNOWN_AFTER_APPLY, NOT_SHOWN)  # how the review names what it could not see: never accepted
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
REQUIRED = ("principal", "reason", "owner", "expires")
REACH_FIELDS = ("profile", "resource_labels", "resource", "access_level", "consumer", "except")


class ExceptionsRejected(PulumiPoliciesError):
    """An exceptions file that cannot be read: which entry, which field, and what it should hold."""


@dataclass(frozen=True)
class Entry:
    """One accepted exception: which changes it matches, and who accepted them until when."""

    number: int          # its position in the file, from 1
    kind: str            # the principal's kind
    name: str            # the principal's name (or id), as the JSON output names it
    reason: str
    owner: str
    expires: date        # the last day it holds
    policy: str | None = None
    reach: Reach | None = None
    connection: str | None = None
    change: str = "gains"

    @property
    def principal(self) -> str:
        return f"{self.kind}:{self.name}"

    def label(self) -> str:
        parts = [self.principal]
        if self.connection is not None:
            parts.append(f"connection {self.connection}")
        if self.policy is not None:
            parts.append(f"policy {self.policy}")
        if self.reach is not None:
            parts.append(f"reach {self.reach.text()}")
        if self.change != "gains":
            parts.append(self.change)
        return f"exception #{self.number} ({', '.join(parts)})"

    def expired(self, today: date) -> bool:
        return today > self.expires

    def matches(self, change: Change) -> bool:
        """Does it name this change (its kind) and its principal (by name, or by id for a member given with one),
        and (when given) one of its policies and its very reach? Never a change with a value the review could not
        see: a placeholder principal, connection or reach is no one's name."""
        p: Principal = change.principal
        if _hides(p.name, p.connection, *change.reach.to_json().values()):
            return False
        return (p.kind == self.kind and self.name == p.name and change.change == self.change
                and (self.connection is None or self.connection == p.connection)
                and (self.policy is None or self.policy in change.via)
                and (self.reach is None or self.reach == change.reach))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"number": self.number, "principal": self.principal}
        if self.connection is not None:
            out["connection"] = self.connection
        if self.policy is not None:
            out["policy"] = self.policy
        if self.reach is not None:
            out["reach"] = self.reach.to_json()
        if self.change != "gains":
            out["change"] = self.change
        return {**out, "reason": self.reason, "owner": self.owner, "expires": self.expires.isoformat()}


@dataclass
class Exceptions:
    entries: list[Entry] = field(default_factory=list)
    source: str = ""


def today() -> date:
    return datetime.now(UTC).date()


def _hides(*values: Any) -> bool:
    """Does any of these (nested) values hold a placeholder for what the review could not see?"""
    return any(_hides(*v.values()) if isinstance(v, Mapping) else _hides(*v) if isinstance(v, list | tuple)
               else isinstance(v, str) and any(mark in v for mark in PLACEHOLDERS) for v in values)


def _date(value: Any) -> date | None:
    """A day: YYYY-MM-DD (a YAML date, or that string); a time of day, another form or no such day is not one."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _reach(value: Any, where: str) -> Reach:
    if not isinstance(value, Mapping):
        raise ExceptionsRejected(f"{where}: 'reach' is a mapping as in the JSON output (profile, resource_labels, "
                                 f"resource, access_level, consumer), not {type(value).__name__}")
    unknown = sorted(set(value) - set(REACH_FIELDS))
    if unknown:
        raise ExceptionsRejected(f"{where}: 'reach' has {', '.join(map(repr, unknown))}; its fields are "
                                 + ", ".join(REACH_FIELDS))
    labels = value.get("resource_labels")
    if labels is not None and not (isinstance(labels, Mapping) and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in labels.items())):
        raise ExceptionsRejected(f"{where}: 'reach.resource_labels' maps each label key to a list of values, "
                                 "e.g. {env: [prod]}")
    for key in ("profile", "resource", "access_level", "consumer"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise ExceptionsRejected(f"{where}: 'reach.{key}' is a string")
    excepts = value.get("except")
    if excepts is not None and not (isinstance(excepts, list) and all(
            isinstance(e, Mapping) and all(isinstance(k, str) and isinstance(v, list) and all(
                isinstance(x, str) for x in v) for k, v in e.items()) for e in excepts)):
        raise ExceptionsRejected(f"{where}: 'reach.except' is a list of label mappings as in the JSON output, "
                                 "e.g. [{env: [prod]}]")
    if _hides(value):
        raise ExceptionsRejected(f"{where}: 'reach' names a value the review could not see "
                                 f"({' or '.join(PLACEHOLDERS)}); it accepts nothing: name the reach itself")
    return Reach.from_json(value)


def entry(raw: Any, number: int) -> Entry:
    """One entry, checked: every error names the entry and the field."""
    if not isinstance(raw, Mapping):
        raise ExceptionsRejected(f"entry {number}: an entry is a mapping with principal, reason, owner and expires, "
                                 f"not {type(raw).__name__}")
    who = raw.get("principal")
    where = f"entry {number}" + (f" ({who})" if isinstance(who, str) else "")
    unknown = sorted(str(k) for k in raw if k not in FIELDS)
    if unknown:
        raise ExceptionsRejected(f"{where}: unknown field {', '.join(map(repr, unknown))}; the fields are "
                                 + ", ".join(FIELDS))
    missing = [k for k in REQUIRED if raw.get(k) is None or isinstance(raw[k], str) and not raw[k].strip()]
    if missing:
        raise ExceptionsRejected(f"{where}: {', '.join(repr(k) for k in missing)} "
                                 f"{'is' if len(missing) == 1 else 'are'} required (principal kind:name, reason, "
                                 "owner, expires YYYY-MM-DD)")
    kind, sep, name = str(who).partition(":")
    kinds = list(PRINCIPAL_KINDS.values())
    if not isinstance(who, str) or not sep or not name or kind not in kinds:
        raise ExceptionsRejected(f"{where}: 'principal' is KIND:NAME with KIND one of {', '.join(kinds)} "
                                 "(e.g. user:alice, tag:sre)")
    for key in ("reason", "owner", "policy", "connection", "change"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise ExceptionsRejected(f"{where}: '{key}' is a string, not {type(raw[key]).__name__}")
    if _hides(name, raw.get("connection")):
        raise ExceptionsRejected(f"{where}: names a principal or connection the review could not see "
                                 f"({' or '.join(PLACEHOLDERS)}); it accepts nothing: name who it is")
    if raw.get("change", "gains") not in CHANGES:
        raise ExceptionsRejected(f"{where}: 'change' is one of {', '.join(CHANGES)}, not {raw['change']!r}")
    expires = _date(raw["expires"])
    if expires is None:
        raise ExceptionsRejected(f"{where}: 'expires' is a day, YYYY-MM-DD (the last day it holds, in UTC), not "
                                 f"{raw['expires']!r}")
    return Entry(number, kind, name, raw["reason"].strip(), raw["owner"].strip(), expires, raw.get("policy"),
                 _reach(raw["reach"], where) if raw.get("reach") is not None else None, raw.get("connection"),
                 raw.get("change", "gains"))


def parse(text: str, source: str = "the exceptions file") -> Exceptions:
    """The entries of an exceptions file (YAML, of which JSON is a part), each checked."""
    import yaml

    try:
        doc = yaml.load(text, Loader=_strict_loader()) if text.strip() else []  # safe, and no key twice
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ExceptionsRejected(f"{source}: not YAML or JSON ({getattr(exc, 'problem', None) or 'unreadable'}"
                                 f"{where})") from None
    except ValueError as exc:  # a YAML date that is no day (2027-02-30)
        raise ExceptionsRejected(f"{source}: not a date: {exc}") from None
    if isinstance(doc, Mapping) and set(doc) == {"exceptions"}:
        doc = doc["exceptions"] or []
    if not isinstance(doc, list):
        raise ExceptionsRejected(f"{source}: expected a list of entries (or {{exceptions: [...]}}), not "
                                 f"{type(doc).__name__}")
    try:
        return Exceptions([entry(raw, i) for i, raw in enumerate(doc, 1)], source)
    except ExceptionsRejected as exc:
        raise ExceptionsRejected(f"{source}: {exc}") from None


def load(path: str) -> Exceptions:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ExceptionsRejected(f"cannot read the exceptions file {path!r}: {exc.strerror}") from None
    return parse(text, f"--exceptions {path}")


def as_json(entries: list[Entry]) -> str:
    return json.dumps([e.to_json() for e in entries], indent=1)


def _strict_loader() -> Any:
    """PyYAML's safe loader, refusing a key given twice in one mapping (the last one would silently win: a reviewer
    reading the first ``expires`` would not see the second)."""
    import yaml

    class Strict(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"the key {key!r} is given twice",
                                                            key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return Strict
