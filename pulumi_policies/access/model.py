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
from ..preview import SECRET
from ..registry import SPECS, UNKNOWN
from .gate import Gate, _known, _seen, gate_steps

ORDER_KIND = "ProfilePolicyOrder"
KNOWN_AFTER_APPLY = "(known after apply)"
NOT_SHOWN = "(secret)"  # a member the preview shows as "[secret]"
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
    name: str         # the member's id where one is given (or learned for its name), else its name
    connection: str = ""  # the named connection ("" the default one)
    given: str = field(default="", compare=False)  # the name the program gave with an id ("" none, or the same)

    def to_json(self) -> dict[str, str]:
        out = {"kind": self.kind, "name": self.name}
        if self.given and self.given != self.name:
            out["given_name"] = self.given
        if self.connection:
            out["connection"] = self.connection
        return out

    def sort_key(self) -> tuple[int, str, str]:
        kinds = list(PRINCIPAL_KINDS.values())
        return (kinds.index(self.kind) if self.kind in kinds else len(kinds), self.connection, self.name)

    def text(self) -> str:
        on = f" on connection `{self.connection}`" if self.connection else ""
        named = f" (given as `{self.given}`)" if self.given and self.given != self.name else ""
        return f"{self.kind.replace('_', ' ')} `{self.name}`{named}{on}"


Selector = tuple[tuple[str, frozenset[str]], ...]  # sorted by key: every key must match one of its values


def _selects_within(inner: Selector, outer: Selector) -> bool:
    """Does every resource `inner` selects match `outer`?"""
    constrained = dict(inner)
    return all(key in constrained and constrained[key] <= values for key, values in outer)


def _disjoint(a: Selector, b: Selector) -> bool:
    """Can no resource match both? (Some key both constrain, with no value in common.)"""
    other = dict(b)
    return any(key in other and not (values & other[key]) for key, values in a)


def _same_consumer(a: str | None, b: str | None) -> bool:
    """``consumer`` is the server's (a COMPUTED field, "resourcemanager" on every documented server): compared only
    when both sides declare it, as the provider's diff compares it, so that a refresh writing it into the recorded
    inputs changes no reach."""
    return a is None or b is None or a == b


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
                and _same_consumer(self.consumer, other.consumer) and _selects_within(other.selector, self.selector)
                and all(e in other.excepts or _disjoint(other.selector, e) for e in self.excepts))

    def overlaps(self, other: Reach) -> bool:
        return (self.profile == other.profile and self.access_level == other.access_level
                and _same_consumer(self.consumer, other.consumer) and not _disjoint(self.selector, other.selector))

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


def _reach(props: Mapping[str, Any], deny: bool, unseen: list[tuple[str, str]]) -> Reach | None:
    """The reach of a policy. For an Allow, a value not seen (unknown, secret) is the widest it could be; for a Deny,
    one not seen makes the Deny take nothing (None). An empty list of values for a label key matches any value
    for an Allow (the API and the server take it; nothing documents it as matching nothing) and nothing for a Deny."""
    selector: dict[str, frozenset[str]] = {}
    labels = props.get("resource_labels")
    if labels is not None and not isinstance(labels, Mapping):
        unseen.append(("resource_labels", "no Deny" if deny else "every resource"))
        if deny:
            return None
    for key, values in (labels.items() if isinstance(labels, Mapping) else ()):
        if not isinstance(values, list) or not _seen(values) or not _seen(key):
            unseen.append((f"resource_labels.{key if _seen(key) else '?'}", "no Deny" if deny else "any value"))
            if deny:
                return None
        elif not values:
            unseen.append((f"resource_labels.{key}", "[]: matches nothing, no Deny" if deny else "[]: any value"))
            if deny:
                return None
        else:
            selector[str(key)] = frozenset(str(v) for v in values)
    resource = props.get("resource")
    if resource is not None and not _seen(resource):
        unseen.append(("resource", "no Deny" if deny else "any resource"))
        if deny:
            return None
    elif isinstance(resource, str):
        selector[RESOURCE] = frozenset([resource])
    parts: dict[str, str | None] = {}
    for key in ("profile_id", "access_level", "consumer"):
        value = props.get(key)
        if value is not None and not _seen(value):
            unseen.append((key, "no Deny" if deny else f"{KNOWN_AFTER_APPLY}: a reach not held before"
                           if key != "consumer" else "the server's"))
            if deny:
                return None
            value = None if key == "consumer" else KNOWN_AFTER_APPLY
        parts[key] = str(value) if value is not None else None
    return Reach(parts["profile_id"], tuple(sorted(selector.items())), parts["access_level"], parts["consumer"])


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
    unseen: list[Unseen] = field(default_factory=list)  # the values not seen, and how they were read

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
        def principal(p: Mapping[str, Any]) -> Principal:
            return Principal(p["kind"], p["name"], p.get("connection", ""), p.get("given_name", ""))
        return cls([Access(principal(a["principal"]), Reach.from_json(a["reach"]), Gate.of(a.get("gate") or {}),
                           tuple(a.get("via") or ())) for a in data["access"]])


def _access_order(a: Access) -> tuple[Any, ...]:
    return (a.principal.sort_key(), json.dumps(a.reach.to_json(), sort_keys=True), a.via)


@dataclass(frozen=True)
class Unseen:
    """A value the review could not see (unknown until apply, a secret, not modelled) and how it read it."""

    policy: str   # the Pulumi resource name (``<set>[<key>]`` for an item of a set)
    field: str
    reading: str

    def to_json(self) -> dict[str, str]:
        return {"policy": self.policy, "field": self.field, "read_as": self.reading}


Rank = tuple[float, float]  # the first and last position a policy may hold in its profile's order (0 first)
UNORDERED: Rank = (math.inf, math.inf)


@dataclass(frozen=True)
class _Grant:
    principal: Principal
    reach: Reach
    gate: Gate
    via: str
    deny: bool
    rank: Rank  # within an ordered profile; (inf, inf): unordered


def _members(policy: DeclaredPolicy) -> list[tuple[str, Mapping[str, Any] | str]]:
    """(principal kind, member) of a policy; a member or list not seen is UNKNOWN, or SECRET for a secret."""
    members = policy.get("members", {})
    if not isinstance(members, Mapping):
        return [(kind, members) for kind in PRINCIPAL_KINDS.values()] if not _seen(members) else []
    out: list[tuple[str, Mapping[str, Any] | str]] = []
    for key, kind in PRINCIPAL_KINDS.items():
        listed = members.get(key)
        if listed is not None and not isinstance(listed, list):
            out.append((kind, SECRET if listed == SECRET else UNKNOWN))
        for m in listed if isinstance(listed, list) else ():
            out.append((kind, m if isinstance(m, Mapping) else SECRET if m == SECRET else UNKNOWN))
    return out


def _is_access_policy(policy: DeclaredPolicy) -> bool:
    spec = SPECS.get(policy.kind)
    return spec is not None and spec.grants_access


@dataclass
class _Order:
    name: str
    positions: list[set[str]]  # each position as the names and ids it is known by (empty: not seen)
    unseen_from: float         # the first position not seen (inf: every one seen)

    def rank(self, known_as: set[str], identified: bool = True, claimed: frozenset[int] = frozenset()) -> Rank:
        """Where a policy known by `known_as` ranks: (earliest, latest). A policy whose id is not known (`identified`
        False) may also be any position that no policy of its profile is known by (`claimed` are those that one is):
        the order may list it by the id nobody here can read yet."""
        at = next((float(i) for i, names in enumerate(self.positions) if names & known_as), None)
        if at is not None:
            return (at, at)
        earliest = min(self.unseen_from, float(len(self.positions)))  # not listed, or at a position not seen
        if not identified:
            earliest = min([earliest, *(float(i) for i in range(len(self.positions)) if i not in claimed)])
        return (earliest, math.inf)

    def claimed(self, known: list[frozenset[str]]) -> frozenset[int]:
        """The positions some policy of its profile is known by (`known`: each policy's names and id)."""
        return frozenset(i for i, names in enumerate(self.positions) if any(names & k for k in known))


ANY_PROFILE = "*"  # an order whose profile is not seen: it may order any profile


def _orders(policies: Iterable[DeclaredPolicy], unseen: list[Unseen]) -> dict[tuple[str, str], _Order]:
    """(connection, profile) -> its ProfilePolicyOrder. A position not seen (an id known only after apply) is never
    filled from another list: the policies that could hold it may rank anywhere from there on."""
    out: dict[tuple[str, str], _Order] = {}
    for p in policies:
        if p.kind != ORDER_KIND or p.get("enabled") is False:
            continue
        profile = p.get("profile_id")
        if not _seen(profile):
            unseen.append(Unseen(p.name, "profile_id", "may order any profile, its positions not seen"))
        if not _seen(p.get("enabled")):
            unseen.append(Unseen(p.name, "enabled", "on, its positions as seen"))
        listed = p.get("policies")
        if not isinstance(listed, list):
            unseen.append(Unseen(p.name, "policies", "every position not seen"))
            listed = []
            first_unseen = 0.0
        else:
            first_unseen = next((float(i) for i, v in enumerate(listed) if not _seen(v)), math.inf)
            if first_unseen != math.inf:
                unseen.append(Unseen(p.name, f"policies[{int(first_unseen)}]",
                                     f"not seen: the policies it could be rank anywhere from position "
                                     f"{int(first_unseen)} on"))
        ids = p.get("policy_ids") if isinstance(p.get("policy_ids"), list) else []
        names = p.get("policy_names") if isinstance(p.get("policy_names"), list) else []
        positions = [{str(v) for v in (item, *(x[i] for x in (ids, names) if len(x) == len(listed))) if _known(v)}
                     if _seen(item) else set() for i, item in enumerate(listed)]
        if not _seen(profile):
            positions, first_unseen = [], 0.0
        key = (_connection(p), str(profile) if _seen(profile) else ANY_PROFILE)
        out[key] = _Order(p.name, positions, first_unseen)
    return out


_MEMBERS = "members ({})"  # the field of an Unseen for a policy's members of one kind


def members_not_seen(unseen: Iterable[Unseen]) -> set[tuple[str, str]]:
    """(policy, principal kind) of each policy whose members of that kind were not seen."""
    prefix, suffix = _MEMBERS.split("{}")
    return {(u.policy, u.field[len(prefix):-len(suffix)]) for u in unseen
            if u.field.startswith(prefix) and u.field.endswith(suffix)}


def _connection(p: DeclaredPolicy) -> str:
    """The named connection a policy is on ("" the default); one not seen is a placeholder that names no tenant."""
    value = p.get("connection")
    if value is None or _known(value):
        return str(value or "")
    return NOT_SHOWN if value == SECRET else KNOWN_AFTER_APPLY


def _ids_of(policies: Iterable[DeclaredPolicy]) -> dict[tuple[str, str, str], set[str]]:
    """(connection, principal kind, name) -> the ids records give that name with."""
    out: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for p in policies:
        if _is_access_policy(p):
            connection = _connection(p)
            for kind, m in _members(p):
                name, ident = (m.get("name"), m.get("id")) if isinstance(m, Mapping) else (UNKNOWN, None)
                if not _known(name) and (name is not None or ident is not None and not _known(ident)):
                    # a member not seen may be any name with any id: no name of this kind names one id for certain
                    out[(connection, kind, UNKNOWN)].add(UNKNOWN)
                elif name is not None and ident is not None:  # an id not seen: the name may go with another id
                    out[(connection, kind, str(name))].add(str(ident) if _known(ident) else UNKNOWN)
    return out


def member_ids(*sides: Iterable[DeclaredPolicy]) -> dict[tuple[str, str, str], set[str]]:
    """The ids members are given with, by name, across models (so that a member named in one and given with its id
    in the other is one principal): pass it to ``build`` for each."""
    out: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for side in sides:
        for key, ids in _ids_of(side).items():
            out[key] |= ids
    return out


def _principal(kind: str, m: Mapping[str, Any] | str, connection: str,
               ids: Mapping[tuple[str, str, str], set[str]]) -> Principal:
    """A member given with an id is that id's member, whatever name comes with it; one given by name alone is the
    member of the one id its name is given with elsewhere, if there is exactly one."""
    if not isinstance(m, Mapping):
        return Principal(kind, NOT_SHOWN if m == SECRET else KNOWN_AFTER_APPLY, connection)
    ident, given = m.get("id"), m.get("name")
    if ident is not None and not _seen(ident) or ident is None and not _seen(given):
        return Principal(kind, NOT_SHOWN if SECRET in (ident, given) else KNOWN_AFTER_APPLY, connection)
    if ident is not None:
        return Principal(kind, str(ident), connection, str(given) if _seen(given) and given is not None else "")
    learned = ids.get((connection, kind, str(given)), set()) | ids.get((connection, kind, UNKNOWN), set())
    if len(learned) == 1 and UNKNOWN not in learned:
        return Principal(kind, next(iter(learned)), connection, str(given))
    return Principal(kind, str(given), connection)


def principals(policy: DeclaredPolicy, ids: Mapping[tuple[str, str, str], set[str]]) -> set[Principal]:
    """The principals a policy names (as ``build`` names them; none for a policy that grants nothing)."""
    if not _is_access_policy(policy):
        return set()
    return {_principal(kind, m, _connection(policy), ids) for kind, m in _members(policy)}


@dataclass(frozen=True)
class _Read:
    """What one access policy gives, before any order ranks it."""

    unseen: tuple[Unseen, ...]
    reach: Reach | None                          # None: it grants and denies nothing
    gate: Gate
    deny: bool
    connection: str
    known_as: frozenset[str]                     # its name and id, as an order lists it
    principals: tuple[Principal, ...]
    identified: bool = True                      # its id is known (else an order may list it by an id not read)


def _read(p: DeclaredPolicy, ids: Mapping[tuple[str, str, str], set[str]]) -> _Read:
    notes: list[tuple[str, str]] = []
    access_type = p.get("access_type")
    if not _seen(access_type):
        notes.append(("access_type", "Allow"))
    deny = access_type == "Deny"
    live = True
    for key, off in (("is_active", False), ("is_draft", True)):
        value = p.get(key)
        if value is not None and not _seen(value):
            notes.append((key, "no Deny" if deny else ("active" if key == "is_active" else "not a draft")))
            live = live and not deny
        elif value is off:
            live = False
    connection = _connection(p)
    if connection in (KNOWN_AFTER_APPLY, NOT_SHOWN):
        notes.append(("connection", "no Deny" if deny else f"`{connection}`: any connection"))
        live = live and not deny
    reach = _reach(p.props, deny, notes) if live else None
    gate_notes: list[tuple[str, str]] = []
    steps = gate_steps(p.props, gate_notes)
    if deny and gate_notes:
        notes += [(f, "no Deny") for f, _ in gate_notes]
        reach = None
    else:
        notes += gate_notes
    unseen = [Unseen(p.name, f, r) for f, r in notes]
    held: list[Principal] = []
    if reach is not None:
        for kind, m in _members(p):
            principal = _principal(kind, m, connection, ids)
            if principal.name in (KNOWN_AFTER_APPLY, NOT_SHOWN):
                unseen.append(Unseen(p.name, _MEMBERS.format(kind), "no Deny" if deny else
                                     f"a principal `{principal.name}` who gains it"))
                if deny:
                    continue  # denies no one: not even the placeholder an Allow's unseen member is read as
            held.append(principal)
    if not _seen(p.get("name")):
        unseen.append(Unseen(p.name, "name", "may be any position of its profile's order"))
    return _Read(tuple(unseen), reach, Gate.of(steps), deny, connection,
                 frozenset(str(v) for v in (p.get("name"), p.get("policy_id")) if _known(v)), tuple(held),
                 _known(p.get("policy_id")))


Memo = dict[int, tuple[DeclaredPolicy, "_Read | None"]]  # id(policy) -> (the policy, what it gives): repeated builds


def build(policies: Iterable[DeclaredPolicy], ids: Mapping[tuple[str, str, str], set[str]] | None = None,
          memo: Memo | None = None, only: Principal | None = None) -> AccessModel:
    """The access model of these declared policies (and policy orders). Every value not seen is read as the widest
    access for an Allow and as no Deny, no gate step, or no place in an order (``AccessModel.unseen`` lists them).
    `memo` keeps what each policy gives across builds of the same policy objects (with the same `ids`); `only`
    evaluates one principal."""
    policies = list(policies)
    unseen: list[Unseen] = []
    orders = _orders(policies, unseen)
    ids = ids if ids is not None else _ids_of(policies)
    memo = memo if memo is not None else {}
    grants: dict[Principal, list[_Grant]] = defaultdict(list)
    for p in policies:
        if id(p) not in memo:
            memo[id(p)] = (p, _read(p, ids) if _is_access_policy(p) else None)
    claimed = {key: order.claimed(_known_in(key, policies, memo)) for key, order in orders.items()}
    for p in policies:
        read = memo[id(p)][1]
        if read is None:
            continue
        unseen += read.unseen
        if read.reach is None:
            continue
        rank = UNORDERED
        key = (read.connection, str(read.reach.profile))
        key = key if key in orders else (read.connection, ANY_PROFILE)
        order = orders.get(key) if read.reach.profile is not None else None
        if order is not None:
            rank = order.rank(set(read.known_as), read.identified, claimed[key])
        for principal in read.principals:
            if only is None or principal == only:
                grants[principal].append(_Grant(principal, read.reach, read.gate, p.name, read.deny, rank))
    model = AccessModel(orders={key: o.name for key, o in orders.items()}, unseen=unseen)
    for principal, held in grants.items():
        _evaluate(principal, held, model)
    return model


def _known_in(key: tuple[str, str], policies: list[DeclaredPolicy], memo: Memo) -> list[frozenset[str]]:
    """The names and ids of the access policies of an order's (connection, profile)."""
    connection, profile = key
    return [read.known_as for p in policies if (read := memo[id(p)][1]) is not None and _connection(p) == connection
            and (profile == ANY_PROFILE or str(p.get("profile_id")) == profile)]


def _evaluate(principal: Principal, held: list[_Grant], model: AccessModel) -> None:
    allows = [g for g in held if not g.deny]
    denies = [g for g in held if g.deny]
    model.denies += [Deny(principal, d.reach, d.via, bool(d.gate.steps)) for d in denies]
    paths: dict[tuple[Reach, Gate], list[str]] = {}
    for a in allows:
        in_order = a.rank != UNORDERED
        if in_order and any(o.rank[1] < a.rank[0] and o.reach.covers(a.reach) for o in allows):
            continue  # an Allow of this reach certainly ahead of it decides: this one is never reached
        reach, gate, blocked = a.reach, a.gate, False
        for d in denies:
            if (in_order and not d.rank[1] < a.rank[0]) or not d.reach.overlaps(reach):
                continue  # in an order, only a Deny certainly ahead takes anything
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
