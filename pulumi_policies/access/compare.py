"""How two access models differ: who gains, who loses, whose approval weakens or strengthens, and why."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..declared import DeclaredPolicy
from .gate import Gate, at_least
from .model import ACCESS_FIELDS, ORDER_KIND, AccessModel, Memo, Principal, Reach, build, members_not_seen, principals

CHANGES = ("gains", "weaker-approval", "loses", "stronger-approval")  # the order a report lists them in
NEW_ACCESS = ("gains", "weaker-approval")


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
    # (policy, principal kind) whose members `after` could not see: who held reach through it may hold it still
    unsure = members_not_seen(after.unseen)
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
            if not covering and all((v, principal.kind) in unsure for v in b.via):
                continue  # not a loss anyone can show: the members that gave it are not seen (listed as unseen)
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


def changed(before: list[DeclaredPolicy], after: list[DeclaredPolicy]) -> set[str]:
    """The policies (Pulumi names) added, removed, or changed in a field the model reads."""
    def fields(policies: list[DeclaredPolicy]) -> dict[str, str]:
        return {p.name: json.dumps({k: p.get(k) for k in ACCESS_FIELDS}, sort_keys=True, default=str)
                for p in policies}
    was, now = fields(before), fields(after)
    return {name for name in {*was, *now} if was.get(name) != now.get(name)}


def attributed(changes: list[Change], was: list[DeclaredPolicy], now: list[DeclaredPolicy],
               ids: Mapping[tuple[str, str, str], set[str]]) -> list[Change]:
    """`changes` (``compare`` of ``build(was)`` and ``build(now)``) with each ``via`` narrowed to the policies whose
    change causes it. A changed policy causes a change when, that policy alone changed back, the change is gone (it
    is needed), or when that policy alone changed makes it (it suffices: one of several that each would). So a
    reordered ``ProfilePolicyOrder`` is named for the reach its new order opens, not for a member added to one of
    its policies, and a policy touched in the same change is not named for what the order did. A change no single
    policy explains keeps every changed policy involved. Each principal is tried on the policies that name it (and
    the orders) alone: the model of one principal depends on nothing else."""
    ambiguous: dict[Principal, list[Change]] = defaultdict(list)
    for c in changes:
        if len(c.via) > 1:
            ambiguous[c.principal].append(c)
    if not ambiguous:
        return changes
    old, new = {p.name: p for p in was}, {p.name: p for p in now}
    named = {id(p): principals(p, ids) for p in (*was, *now)}
    memo: Memo = {}
    for principal, theirs in ambiguous.items():
        def concerns(p: DeclaredPolicy, who: Principal = principal) -> bool:
            return p.kind == ORDER_KIND or who in named[id(p)]
        before = [p for p in was if concerns(p)]
        after = [p for p in now if concerns(p)]
        start = build(before, ids, memo, principal)

        def outcome(policies: list[DeclaredPolicy], who: Principal = principal,
                    start: AccessModel = start) -> set[tuple[str, Reach]]:
            return {(c.change, c.reach) for c in compare(start, build(policies, ids, memo, who))}

        causes: dict[tuple[str, Reach], list[str]] = defaultdict(list)
        for name in sorted({v for c in theirs for v in c.via}):
            named_in = [(c.change, c.reach) for c in theirs if name in c.via]
            reverted = outcome([*(p for p in after if p.name != name), *([old[name]] if name in old else [])])
            needed = [key for key in named_in if key not in reverted]
            alone = outcome([*(p for p in before if p.name != name), *([new[name]] if name in new else [])]) \
                if len(needed) < len(named_in) else set()
            for key in named_in:
                if key in needed or key in alone:
                    causes[key].append(name)
        for c in theirs:
            c.via = causes.get((c.change, c.reach)) or c.via
    return changes
