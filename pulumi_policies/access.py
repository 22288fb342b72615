"""The access model of a stack: who can reach what, under which approval; and how two models differ.

The one place access is computed: ``pulumi-policies access`` and ``diff`` (commands.py, report.py) and the
guardrails' production rule (policypack/rules.py) read it. It reads declared policies (``declared.py``: single
resources and the items of policy sets alike) and makes no HTTP call.

**Principals** are the members of the policies, by kind (user, tag, service identity, token, AI identity), named as
the program names them (a member given by id is named by the name another record gives it, when one does), and
per connection: a tag on one tenant is not the tag of the same name on another.

**Reach** is a profile (a profile policy) and/or the resources a policy selects: ``resource_labels`` keys combined
with AND, the values of a key with OR, ``resource`` one more constraint; with its ``access_level`` and ``consumer``.
A reach covers another when every resource the other selects it selects too, at the same level and consumer.

**Gate** is what stands between a principal and its reach: the condition's approval (approvers, manager approval,
how long an approval holds), IP and time windows, and the JUSTIFICATION, ITSM and IM settings. A gate is *at least
as strong* as another when it keeps each of the other's steps at least as strict (``at_least``).

**Evaluation** (the conservative reading where Britive documents none; docs/access-review.md cites the evidence):
- only live policies count: ``is_active`` not False and ``is_draft`` not True;
- a Deny without a condition takes the reach it covers from the same principal; one with a condition, or one that
  covers only part of an Allow's reach, takes nothing for certain (the access stays, its gate records the Deny);
- a principal uses the weakest of the paths open to it: every Allow reaching it is a path with its own gate;
- where a ProfilePolicyOrder switches prioritisation on, a profile's policies are evaluated in order (Britive's SDK,
  policy_prioritization.py ``enable``: "policies will be evaluated in sequential order"): only a Deny of higher
  priority than an Allow takes its reach, and an Allow behind a higher-priority Allow of the same principal and reach
  is no path. Policies the order does not list rank after the listed ones, among themselves in no known order
  (ties: every one is a path, no Deny among them takes anything);
- a value not known until apply is the widest it could be: a member is "(known after apply)", a selector without
  that constraint, an Allow for an unknown ``access_type``.
Tag membership is not known here: a tag is a principal of its own, and a Deny for a tag takes nothing from a user.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .declared import DeclaredPolicy, policies_of
from .engine_state import parse_urn, user_props
from .models.canonical import python_keys
from .models.condition import Condition
from .providers import SET_PROVIDERS, SPECS, TYPE_PREFIX, UNKNOWN

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
CHANGES = ("gains", "weaker-approval", "loses", "stronger-approval")  # the order a report lists them in
NEW_ACCESS = ("gains", "weaker-approval")


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def _get(data: Any, name: str) -> Any:
    """`name` (snake_case) of a mapping that may use the wire's camelCase."""
    if not isinstance(data, Mapping):
        return None
    if name in data:
        return data[name]
    head, *rest = name.split("_")
    return data.get(head + "".join(p.title() for p in rest))


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


# -- gates --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gate:
    """The steps between a principal and a reach, each JSON: approval, ip, time, justification, itsm, im,
    denied_when."""

    steps: tuple[tuple[str, str], ...] = ()  # (step, its value as sorted JSON), sorted

    @classmethod
    def of(cls, steps: Mapping[str, Any]) -> Gate:
        return cls(tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in steps.items())))

    def get(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.steps}

    def with_denial(self, when: dict[str, Any]) -> Gate:
        steps = self.get()
        steps["denied_when"] = sorted([*steps.get("denied_when", []), when], key=lambda d: json.dumps(d, sort_keys=True))
        return Gate.of(steps)

    @property
    def approved(self) -> bool:
        """Does someone approve, or a request need a justification or an ITSM ticket, before access?"""
        return any(k in dict(self.steps) for k in ("approval", "justification", "itsm"))

    def text(self) -> str:
        steps = self.get()
        if not steps:
            return "no approval or condition"
        return "; ".join(_STEP_TEXT[k](v) for k, v in sorted(steps.items(), key=lambda kv: _STEP_ORDER.index(kv[0])))


def _approval_text(v: dict[str, Any]) -> str:
    who = ", ".join(v["approvers"]) or "no named approvers"
    manager = f", manager approval ({v['manager']})" if v.get("manager") else ""
    holds = f", valid for {v['valid_for_minutes']} min" if v.get("valid_for_minutes") else ""
    return f"approval by {who}{manager}{holds}"


def _time_text(v: dict[str, Any]) -> str:
    out = []
    if v.get("date"):
        d = v["date"]
        out.append(f"between {d.get('from')} and {d.get('to')} {d.get('timezone')}")
    if v.get("days"):
        d = v["days"]
        out.append(f"on {'/'.join(d.get('days') or [])} {d.get('from')}-{d.get('to')} {d.get('timezone')}")
    return "only " + " and ".join(out)


_STEP_ORDER = ("approval", "justification", "itsm", "im", "ip", "time", "denied_when")
_STEP_TEXT: dict[str, Callable[[Any], str]] = {
    "approval": _approval_text,
    "justification": lambda v: "justification" + (f" matching {v['regex']}" if v.get("regex") else ""),
    "itsm": lambda v: f"ITSM ticket ({v.get('connection') or 'connection not set'})",
    "im": lambda v: "IM" + (" (auto-approval on)" if v.get("auto_approval") else ""),
    "ip": lambda v: "only from " + ", ".join(v),
    "time": _time_text,
    "denied_when": lambda v: f"denied by {', '.join(f'`{d}`' for d in sorted({x['via'] for x in v}))} when: "
                             + "; ".join(d["when"] for d in v),
}


def _condition(props: Mapping[str, Any]) -> Any:
    """The condition under Python names; None when there is none, UNKNOWN when it is not known yet."""
    value = props.get("condition")
    if value == UNKNOWN:
        return UNKNOWN
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else None
        except json.JSONDecodeError:
            return None
    return python_keys(Condition, value) if isinstance(value, dict) else None


def _minutes(approval: Mapping[str, Any]) -> int | None:
    valid = _get(approval, "valid_for")
    if not isinstance(valid, int) or isinstance(valid, bool):
        return None
    return valid * 1440 if _get(approval, "is_valid_for_in_days") is True else valid


def _networks(text: str) -> list[str]:
    out = []
    for item in text.split(","):
        try:
            out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            out.append(item.strip())
    return sorted(set(out))


def gate_steps(props: Mapping[str, Any]) -> dict[str, Any]:
    """The gate of a policy: its condition's and its settings' steps (see ``Gate``)."""
    steps: dict[str, Any] = {}
    condition = _condition(props) or {}
    if condition == UNKNOWN:
        condition = {}  # not known yet: no step known (the widest access)
    approval = _get(condition, "approval") or {}
    approvers_of = _get(approval, "approvers") or {}
    approvers = [f"{kind} {value}" for kind, key in (("tag", "tags"), ("user", "user_ids"), ("channel", "channel_ids"),
                                                     ("slack channel", "slack_app_channels"))
                 for value in (_get(approvers_of, key) or []) if isinstance(value, str)]
    approvers += [f"teams {_get(t, 'team')}/{c}" for t in (_get(approvers_of, "teams_app_channels") or [])
                  if isinstance(t, Mapping) for c in (_get(t, "channels") or [""])]
    manager = _get(approval, "manager_approval") or {}
    required = isinstance(manager, Mapping) and _get(manager, "required") is True
    if approvers or required:
        steps["approval"] = {"approvers": sorted(set(approvers)),
                             "manager": (_get(manager, "condition") or "Any") if required else None,
                             "valid_for_minutes": _minutes(approval)}
    ip = _get(condition, "ip_address")
    if isinstance(ip, str) and ip.strip():
        steps["ip"] = _networks(ip)
    window = _get(condition, "time_of_access") or {}
    date, days = _get(window, "date_schedule"), _get(window, "days_schedule")
    time: dict[str, Any] = {}
    if isinstance(date, Mapping):
        time["date"] = {"from": _get(date, "from_date"), "to": _get(date, "to_date"), "timezone": _get(date, "timezone")}
    if isinstance(days, Mapping):
        time["days"] = {"from": _get(days, "from_time"), "to": _get(days, "to_time"),
                        "timezone": _get(days, "timezone"),
                        "days": sorted(str(d).upper() for d in (_get(days, "days") or []))}
    if time:
        steps["time"] = time
    settings = props.get("settings")
    for setting in settings if isinstance(settings, list) else ():
        if not isinstance(setting, Mapping):
            continue
        kind = _get(setting, "settings_type")
        if kind == "JUSTIFICATION" and _get(setting, "is_justification_required") is not False:
            steps["justification"] = {"regex": _get(setting, "justification_regex")}
        elif kind == "ITSM" and _get(setting, "is_itsm_enabled") is not False:
            steps["itsm"] = {"connection": _get(setting, "connection_id")}
        elif kind == "IM":
            steps["im"] = {"auto_approval": _get(setting, "is_auto_approval_enabled") is True}
    return steps


def _within(inner: list[str], outer: list[str]) -> bool:
    """Is every network of `inner` inside one of `outer`?"""
    try:
        nets = [ipaddress.ip_network(o) for o in outer]
        return all(any(n.version == o.version and n.subnet_of(o) for o in nets)  # type: ignore[arg-type]
                   for n in (ipaddress.ip_network(i) for i in inner))
    except ValueError:
        return set(inner) <= set(outer)


def _approval_at_least(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if not set(a["approvers"]) <= set(b["approvers"]):  # more people who can approve: weaker
        return False
    if b.get("manager") and a.get("manager") not in (b["manager"], "All"):
        return False
    if b.get("valid_for_minutes") is not None and (a.get("valid_for_minutes") is None
                                                   or a["valid_for_minutes"] > b["valid_for_minutes"]):
        return False
    return True


# Is step value a at least as strict as b? (Each is only called with the step on both sides.)
_STEP_AT_LEAST: dict[str, Callable[[Any, Any], bool]] = {
    "approval": _approval_at_least,
    "justification": lambda a, b: True,
    "itsm": lambda a, b: True,
    "im": lambda a, b: b["auto_approval"] or not a["auto_approval"],
    "ip": _within,
    "time": lambda a, b: a == b,  # a window that moves is not known to be narrower: not at least as strict
    "denied_when": lambda a, b: all(d in a for d in b),
}


def at_least(a: Gate, b: Gate) -> bool:
    """Is gate `a` at least as strong as gate `b`: every step of `b` kept, each at least as strict?"""
    if a == b:
        return True
    mine, theirs = a.get(), b.get()
    return all(step in mine and _STEP_AT_LEAST[step](mine[step], value) for step, value in theirs.items())


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


# -- comparing two models ---------------------------------------------------------------------------------
@dataclass
class Change:
    principal: Principal
    change: str                  # gains | loses | weaker-approval | stronger-approval
    reach: Reach
    via: list[str]
    before: list[Gate] = field(default_factory=list)
    after: list[Gate] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"principal": self.principal.to_json(), "change": self.change, "reach": self.reach.to_json(),
                "via": self.via, "approval": {"before": [g.get() for g in self.before],
                                              "after": [g.get() for g in self.after]}}


def compare(before: AccessModel, after: AccessModel, changed: set[str] | None = None) -> list[Change]:
    """Who gains, who loses, whose approval weakens or strengthens from `before` to `after`; each change with the
    policies that cause it (those of `changed` among the ones involved, when known)."""
    was, now = before.by_principal(), after.by_principal()
    denies = defaultdict(list)
    for d in [*before.denies, *after.denies]:
        denies[d.principal].append(d)
    found: dict[tuple[Principal, str, Reach], Change] = {}

    def note(principal: Principal, change: str, reach: Reach, involved: Iterable[str],
             gates_before: Iterable[Gate], gates_after: Iterable[Gate]) -> None:
        involved = {*involved, *(d.via for d in denies[principal] if d.reach.overlaps(reach)),
                    *(m.orders[key] for m in (before, after) if (key := (principal.connection, str(reach.profile)))
                      in m.orders)}
        via = sorted(involved & changed or involved) if changed is not None else sorted(involved)
        entry = found.setdefault((principal, change, reach), Change(principal, change, reach, []))
        entry.via = sorted({*entry.via, *via})
        entry.before += [g for g in gates_before if g not in entry.before]
        entry.after += [g for g in gates_after if g not in entry.after]

    for principal in sorted({*was, *now}, key=Principal.sort_key):
        olds, news = was.get(principal, []), now.get(principal, [])
        for a in news:
            covering = [b for b in olds if b.reach.covers(a.reach)]
            if not covering:
                note(principal, "gains", a.reach, a.via, [], [a.gate])
            elif not any(at_least(a.gate, b.gate) for b in covering):
                note(principal, "weaker-approval", a.reach, [*a.via, *(v for b in covering for v in b.via)],
                     [b.gate for b in covering], [a.gate])
        for b in olds:
            covering = [a for a in news if a.reach.covers(b.reach)]
            if not covering:
                note(principal, "loses", b.reach, b.via, [b.gate], [])
            elif all(at_least(a.gate, b.gate) and a.gate != b.gate for a in covering):
                note(principal, "stronger-approval", b.reach, [*b.via, *(v for a in covering for v in a.via)],
                     [b.gate], [a.gate for a in covering])
    return sorted(found.values(), key=lambda c: (c.principal.sort_key(), CHANGES.index(c.change),
                                                 json.dumps(c.reach.to_json(), sort_keys=True)))


def new_access(changes: Iterable[Change]) -> bool:
    """Does anyone gain reach or lose an approval step (what ``--fail-on new-access`` fails on)?"""
    return any(c.change in NEW_ACCESS for c in changes)


# -- reports --------------------------------------------------------------------------------------------------
_HEADINGS = {"gains": "gains", "weaker-approval": "weaker approval", "loses": "loses",
             "stronger-approval": "stronger approval"}


def summary(changes: list[Change]) -> str:
    if not changes:
        return "No change to who can reach what, or under which approval."
    counts = {c: len({x.principal for x in changes if x.change == c}) for c in CHANGES}
    verbs = {"gains": ("gains", "gain"), "loses": ("loses", "lose")}
    parts = [f"{n} principal{'s' if n != 1 else ''} {verbs[c][n != 1]} access" if c in verbs else
             f"{n} with a {c.split('-')[0]} approval" for c, n in counts.items() if n]
    head = "**New access.** " if new_access(changes) else "No new access. "
    return head + "; ".join(parts) + "."


def render_markdown(changes: list[Change], title: str = "### Access changes") -> str:
    lines = [title, "", summary(changes)]
    grouped: dict[Principal, list[Change]] = defaultdict(list)
    for c in changes:
        grouped[c.principal].append(c)
    # principals who gain first, then weaker approvals, losses, stronger approvals
    for principal in sorted(grouped, key=lambda p: (min(CHANGES.index(c.change) for c in grouped[p]), p.sort_key())):
        lines += ["", f"**{principal.text()}**"]
        for c in sorted(grouped[principal], key=lambda c: CHANGES.index(c.change)):
            lines.append(f"- **{_HEADINGS[c.change]}** {c.reach.text()}: {_gates_text(c)} "
                         f"(via {', '.join(f'`{v}`' for v in c.via)})")
    return "\n".join(lines) + "\n"


def _gates_text(c: Change) -> str:
    def show(gates: list[Gate]) -> str:
        return " | ".join(g.text() for g in gates) or "no access"
    if c.change == "gains":
        return show(c.after)
    if c.change == "loses":
        return f"was {show(c.before)}"
    return f"{show(c.before)} -> {show(c.after)}"


def render_text(changes: list[Change]) -> str:
    text = render_markdown(changes, title="Access changes:")
    return text.replace("**", "").replace("`", "")


def render_json(changes: list[Change]) -> str:
    counts = {c: sum(x.change == c for x in changes) for c in CHANGES}
    return json.dumps({"version": 1, "new_access": new_access(changes), "summary": counts,
                       "changes": [c.to_json() for c in changes]}, indent=2) + "\n"


# -- where the declared policies come from: the stack's state and a preview ------------------------------------
Resources = dict[str, tuple[str, dict[str, Any]]]  # urn -> (type, inputs with the ids the outputs add)
_FROM_OUTPUTS = ("policy_id", "policy_ids", "policy_names", "enabled")  # what a record learns at apply


def _ours(type_: str) -> bool:
    """A policy, a policy set or a policy order."""
    return type_.startswith(TYPE_PREFIX) and type_.removeprefix(TYPE_PREFIX) in {*SPECS, *SET_PROVIDERS, ORDER_KIND}


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


def changed(before: list[DeclaredPolicy], after: list[DeclaredPolicy]) -> set[str]:
    """The policies (Pulumi names) added, removed, or changed in a field the model reads."""
    def fields(policies: list[DeclaredPolicy]) -> dict[str, str]:
        return {p.name: json.dumps({k: p.get(k) for k in ACCESS_FIELDS}, sort_keys=True, default=str)
                for p in policies}
    was, now = fields(before), fields(after)
    return {name for name in {*was, *now} if was.get(name) != now.get(name)}
