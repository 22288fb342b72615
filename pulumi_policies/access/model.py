"""The access model of a stack: principals, reach, and ``build`` (Deny, order and liveness applied).

The evaluation rules are in the package's docstring (``pulumi_policies.access``)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..declared import DeclaredPolicy
from ..registry import SPECS, UNKNOWN
from .gate import Gate, _known, gate_steps

ORDER_KIND = "ProfilePolicyOrder"
KNOWN_AFTER_APPLY = "(known after apply)"
# The member kinds of a policy (models/resource_manager.py Members) and the principal kind each holds.
PRINCIPAL_KINDS = {"users": "user", "tags": "tag", "service_identities": "service_identity", "tokens": "token",
                   "ai_identities": "ai_identity"}
# What the model reads of a policy: a change to any other field (a description) changes nobody's access.
ACCESS_FIELDS = ("members", "access_type", "is_active", "is_draft", "condition", "settings", "resource_labels",
                 "resource", "access_level", "consumer", "profile_id", "connection", "name", "policy_id",
                 "policies", "policy_ids", "policy_names", "enabled")
RESOURCE = "@resource"  # the selector key of a policy's `resource`


# -- principals and reach ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Principal:
    kind: str         # user | tag | service_identity | token | ai_identity
    name: str         # as the program names it
    connection: str = ""  # the named connection ("" the default one)

    def to_json(self) -> dict[str, str]:
        out = {"kind": self.kind, "name": self.name}
        if self.connection:
            out["connection"] = self.connection
        return out

    def sort_key(self) -> tuple[int, str, str]:
        kinds = list(PRINCIPAL_KINDS.values())
        return (kinds.index(self.kind) if self.kind in kinds else len(kinds), self.connection, self.name)

    def text(self) -> str:
        on = f" on connection `{self.connection}`" if self.connection else ""
        return f"{self.kind.replace('_', ' ')} `{self.name}`{on}"


Selector = tuple[tuple[str, frozenset[str]], ...]  # sorted by key: every key must match one of its values


def _selects_within(inner: Selector, outer: Selector) -> bool:
    """Does every resource `inner` selects match `outer`?"""
    constrained = dict(inner)
    return all(key in constrained and constrained[key] <= values for key, values in outer)


def _disjoint(a: Selector, b: Selector) -> bool:
    """Can no resource match both? (Some key both constrain, with no value in common.)"""
    other = dict(b)
    return any(key in other and not (values & other[key]) for key, values in a)


@dataclass(frozen=True)
class Reach:
    profile: str | None = None       # the profile of a profile policy
    selector: Selector = ()          # the resources it selects (empty: every resource)
    access_level: str | None = None
    consumer: str | None = None
    excepts: tuple[Selector, ...] = ()  # parts a Deny without a condition takes away

    def covers(self, other: Reach) -> bool:
        """Is everything `other` reaches reached by this?"""
        return (self.profile == other.profile and self.access_level == other.access_level
                and self.consumer == other.consumer and _selects_within(other.selector, self.selector)
                and all(e in other.excepts or _disjoint(other.selector, e) for e in self.excepts))

    def overlaps(self, other: Reach) -> bool:
        return (self.profile == other.profile and self.access_level == other.access_level
                and self.consumer == other.consumer and not _disjoint(self.selector, other.selector))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.profile is not None:
            out["profile"] = self.profile
        labels = {k: sorted(v) for k, v in self.selector if k != RESOURCE}
        if dict(self.selector).get(RESOURCE):
            out["resource"] = sorted(dict(self.selector)[RESOURCE])[0]
        if labels or self.profile is None:
            out["resource_labels"] = labels
        for key in ("access_level", "consumer"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.excepts:
            out["except"] = [{k: sorted(v) for k, v in e} for e in self.excepts]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reach:
        selector = {k: frozenset(v) for k, v in (data.get("resource_labels") or {}).items()}
        if data.get("resource"):
            selector[RESOURCE] = frozenset([data["resource"]])
        return cls(data.get("profile"), tuple(sorted(selector.items())), data.get("access_level"),
                   data.get("consumer"), tuple(tuple(sorted((k, frozenset(v)) for k, v in e.items()))
                                               for e in data.get("except") or []))

    def text(self) -> str:
        parts = [f"profile `{self.profile}`"] if self.profile is not None else []
        chosen = [f"{'resource' if k == RESOURCE else k} in [{', '.join(sorted(v))}]" for k, v in self.selector]
        if chosen or self.profile is None:
            parts.append("resources " + (" and ".join(chosen) if chosen else "(every resource)"))
        parts += [f"{k.replace('_', ' ')} `{getattr(self, k)}`" for k in ("access_level", "consumer")
                  if getattr(self, k) is not None]
        parts += ["except " + " and ".join(f"{k} in [{', '.join(sorted(v))}]" for k, v in e) for e in self.excepts]
        return ", ".join(parts)


def _reach(props: Mapping[str, Any]) -> Reach:
    selector: dict[str, frozenset[str]] = {}
    labels = props.get("resource_labels")
    for key, values in (labels.items() if isinstance(labels, Mapping) else ()):
        if isinstance(values, list) and all(_known(v) for v in values):  # unknown values: no constraint known
            selector[str(key)] = frozenset(str(v) for v in values)
    if isinstance(props.get("resource"), str) and _known(props["resource"]):
        selector[RESOURCE] = frozenset([props["resource"]])
    profile = props.get("profile_id")
    level, consumer = (str(v) if _known(v := props.get(k)) else None for k in ("access_level", "consumer"))
    return Reach(str(profile) if profile is not None else None, tuple(sorted(selector.items())), level, consumer)



# -- the model ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Access:
    principal: Principal
    reach: Reach
    gate: Gate
    via: tuple[str, ...]  # the Pulumi resource names of the policies giving it

    def to_json(self) -> dict[str, Any]:
        return {"principal": self.principal.to_json(), "reach": self.reach.to_json(), "gate": self.gate.get(),
                "via": list(self.via)}


@dataclass(frozen=True)
class Deny:
    principal: Principal
    reach: Reach
    via: str
    conditional: bool


@dataclass
class AccessModel:
    accesses: list[Access] = field(default_factory=list)
    denies: list[Deny] = field(default_factory=list)
    orders: dict[tuple[str, str], str] = field(default_factory=dict)  # (connection, profile) -> its order's name

    def by_principal(self) -> dict[Principal, list[Access]]:
        out: dict[Principal, list[Access]] = defaultdict(list)
        for a in self.accesses:
            out[a.principal].append(a)
        return out

    def to_json(self) -> dict[str, Any]:
        """The model as ``--save-model`` writes it and ``--baseline`` reads it back (version 1)."""
        return {"version": 1, "access": [a.to_json() for a in sorted(self.accesses, key=_access_order)]}

    @classmethod
    def from_json(cls, data: Any) -> AccessModel:
        if not isinstance(data, Mapping) or data.get("version") != 1 or not isinstance(data.get("access"), list):
            raise ValueError("not an access model: expected {\"version\": 1, \"access\": [...]}, as "
                             "`pulumi-policies access --save-model FILE` writes it")
        return cls([Access(Principal(**a["principal"]), Reach.from_json(a["reach"]), Gate.of(a.get("gate") or {}),
                           tuple(a.get("via") or ())) for a in data["access"]])


def _access_order(a: Access) -> tuple[Any, ...]:
    return (a.principal.sort_key(), json.dumps(a.reach.to_json(), sort_keys=True), a.via)


@dataclass(frozen=True)
class _Grant:
    principal: Principal
    reach: Reach
    gate: Gate
    via: str
    deny: bool
    rank: float  # priority within an ordered profile (0 first); inf: unordered, or not listed


def _members(policy: DeclaredPolicy) -> list[tuple[str, dict[str, Any] | str]]:
    members = policy.get("members", {})
    if members == UNKNOWN or not isinstance(members, Mapping):
        return [(kind, UNKNOWN) for kind in PRINCIPAL_KINDS.values()] if members == UNKNOWN else []
    out: list[tuple[str, dict[str, Any] | str]] = []
    for key, kind in PRINCIPAL_KINDS.items():
        listed = members.get(key)
        if listed == UNKNOWN:
            out.append((kind, UNKNOWN))
        for m in listed if isinstance(listed, list) else ():
            out.append((kind, m if isinstance(m, Mapping) else UNKNOWN))  # type: ignore[arg-type]
    return out


def _is_access_policy(policy: DeclaredPolicy) -> bool:
    spec = SPECS.get(policy.kind)
    return spec is not None and spec.grants_access


def _orders(policies: Iterable[DeclaredPolicy]) -> dict[tuple[str, str], tuple[str, list[set[str]]]]:
    """(connection, profile) -> (the ProfilePolicyOrder's name, the policies it ranks first, in order: each as the
    names and ids it is known by)."""
    out: dict[tuple[str, str], tuple[str, list[set[str]]]] = {}
    for p in policies:
        if p.kind != ORDER_KIND or p.get("enabled") is False or not _known(p.get("profile_id")):
            continue
        listed = p.get("policies") if isinstance(p.get("policies"), list) else []
        ids = p.get("policy_ids") if isinstance(p.get("policy_ids"), list) else []
        names = p.get("policy_names") if isinstance(p.get("policy_names"), list) else []
        out[(str(p.get("connection") or ""), str(p.get("profile_id")))] = (p.name, [
            {str(v) for v in (item, *(x[i] for x in (ids, names) if len(x) == len(listed))) if _known(v)}
            for i, item in enumerate(listed)])
    return out


def build(policies: Iterable[DeclaredPolicy]) -> AccessModel:
    """The access model of these declared policies (and policy orders)."""
    policies = list(policies)
    orders = _orders(policies)
    access_policies = [p for p in policies if _is_access_policy(p)]
    names: dict[tuple[str, str, str], str] = {}  # (connection, kind, id) -> name, from any record giving both
    for p in access_policies:
        for kind, m in _members(p):
            if isinstance(m, Mapping) and _known(m.get("id")) and _known(m.get("name")):
                names[(str(p.get("connection") or ""), kind, str(m["id"]))] = str(m["name"])
    grants: dict[Principal, list[_Grant]] = defaultdict(list)
    for p in access_policies:
        if p.get("is_active", True) is False or p.get("is_draft", False) is True:
            continue
        connection = str(p.get("connection") or "")
        reach, steps = _reach(p.props), gate_steps(p.props)
        deny = p.get("access_type") == "Deny"
        rank = math.inf
        ranked = orders.get((connection, str(p.get("profile_id")))) if reach.profile is not None else None
        if ranked is not None:
            order = ranked[1]
            known_as = {str(v) for v in (p.get("name"), p.get("policy_id")) if _known(v)}
            rank = next((float(i) for i, names in enumerate(order) if names & known_as), math.inf)
        for kind, m in _members(p):
            if m == UNKNOWN:
                name = KNOWN_AFTER_APPLY
            else:
                assert isinstance(m, Mapping)
                ident, given = m.get("id"), m.get("name")
                name = str(given) if _known(given) else names.get((connection, kind, str(ident)), str(ident)) \
                    if _known(ident) else KNOWN_AFTER_APPLY
            principal = Principal(kind, name, connection)
            grants[principal].append(_Grant(principal, reach, Gate.of(steps), p.name, deny, rank))
    model = AccessModel(orders={key: name for key, (name, _) in orders.items()})
    for principal, held in grants.items():
        _evaluate(principal, held, model, ordered={k[1] for k in orders if k[0] == principal.connection})
    return model


def _evaluate(principal: Principal, held: list[_Grant], model: AccessModel, ordered: set[str]) -> None:
    allows = [g for g in held if not g.deny]
    denies = [g for g in held if g.deny]
    model.denies += [Deny(principal, d.reach, d.via, bool(d.gate.steps)) for d in denies]
    paths: dict[tuple[Reach, Gate], list[str]] = {}
    for a in allows:
        in_order = a.reach.profile in ordered
        if in_order and any(o.rank < a.rank and o.reach.covers(a.reach) for o in allows):
            continue  # a higher-priority Allow of this reach decides: this one is never reached
        reach, gate, blocked = a.reach, a.gate, False
        for d in denies:
            if (in_order and not d.rank < a.rank) or not d.reach.overlaps(reach):
                continue
            if d.gate.steps:
                gate = gate.with_denial({"via": d.via, "when": d.gate.text()})
            elif d.reach.covers(reach):
                blocked = True
                break
            else:
                reach = Reach(reach.profile, reach.selector, reach.access_level, reach.consumer,
                              tuple(sorted({*reach.excepts, d.reach.selector})))
        if not blocked:
            paths.setdefault((reach, gate), []).append(a.via)
    model.accesses += [Access(principal, reach, gate, tuple(sorted(set(via)))) for (reach, gate), via in paths.items()]

