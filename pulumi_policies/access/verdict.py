"""What the gate fails on: ``--fail-on KIND`` (which changes), ``--only SELECTOR`` (where), and ``--exceptions``
(what a person accepted). Every change is still reported; these decide only which ones fail the gate (exit 3).

Kinds (``--fail-on``, repeatable; any listed fails):
- ``new-access``: a principal gains reach or loses an approval step (``gains``, ``weaker-approval``), or holds
  access through a policy no stack manages (``unmanaged``, in ``--drift``);
- ``gains``: a reach not held before (``gains``, ``unmanaged``);
- ``weaker-approval``: a reach kept behind a gate that is not at least as strong;
- ``unconstrained``: new access (as above) whose reach selects every resource (no label, no resource: a profile
  absent), or to a profile with no gate at all (no approval, condition or setting).

Selectors (``--only``, repeatable; a change fails only when one matches): ``label:KEY=VALUE`` (the reach may
select a resource with that label: its selector leaves KEY open or lists VALUE), ``profile:ID`` (a profile policy
of that profile; a profile not seen matches any), ``connection:NAME`` (a principal on that named connection;
``connection:`` alone is the default one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .compare import Change
from .exceptions import Entry, Exceptions
from .model import KNOWN_AFTER_APPLY, NOT_SHOWN, RESOURCE, Unseen

FAIL_ON = ("new-access", "gains", "weaker-approval", "unconstrained")
SELECTORS = ("label", "profile", "connection")
UNMANAGED = "unmanaged"  # the change kind of a policy on the tenant that no resource of the stack manages


def kinds(change: Change) -> set[str]:
    """The ``--fail-on`` kinds a change falls under."""
    out: set[str] = set()
    if change.change in ("gains", UNMANAGED):
        out |= {"new-access", "gains"}
    elif change.change == "weaker-approval":
        out |= {"new-access", "weaker-approval"}
    if out and unconstrained(change):
        out.add("unconstrained")
    return out


def unconstrained(change: Change) -> bool:
    """Does this new access select every resource, or open a profile with no gate at all?"""
    reach = change.reach
    if reach.profile is None:  # every resource, newly, or newly with no gate at all
        return not reach.selector and (change.change != "weaker-approval" or any(not g.steps for g in change.after))
    return any(not gate.steps for gate in change.after)


@dataclass(frozen=True)
class Selector:
    kind: str    # label | profile | connection
    key: str     # the label key (label:), else ""
    value: str

    @classmethod
    def parse(cls, text: str) -> Selector:
        kind, sep, rest = text.partition(":")
        if not sep or kind not in SELECTORS:
            raise ValueError(f"--only {text!r}: a selector is label:KEY=VALUE, profile:ID or connection:NAME")
        if kind == "label":
            key, eq, value = rest.partition("=")
            if not eq or not key or not value:
                raise ValueError(f"--only {text!r}: a label selector is label:KEY=VALUE (e.g. label:env=prod)")
            return cls(kind, key, value)
        if kind == "profile" and not rest:
            raise ValueError(f"--only {text!r}: name the profile, profile:ID")
        return cls(kind, "", rest)

    def text(self) -> str:
        return f"label:{self.key}={self.value}" if self.kind == "label" else f"{self.kind}:{self.value}"

    def matches(self, change: Change) -> bool:
        reach = change.reach
        if self.kind == "connection":  # a connection not seen may be this one
            return change.principal.connection in (self.value, KNOWN_AFTER_APPLY, NOT_SHOWN)
        if self.kind == "profile":
            return reach.profile in (self.value, KNOWN_AFTER_APPLY)
        selector = dict(reach.selector)
        if self.key == RESOURCE:  # not a label
            return False
        return self.key not in selector or self.value in selector[self.key]


@dataclass
class Judged:
    """A change and what the gate made of it."""

    change: Change
    gated: bool                  # a kind of --fail-on, inside --only: it fails unless accepted
    accepted: Entry | None       # the unexpired exception that accepts it
    expired: list[Entry] = field(default_factory=list)  # expired exceptions matching it (they accept nothing)

    @property
    def fails(self) -> bool:
        return self.gated and self.accepted is None

    @property
    def status(self) -> str:
        return "fails" if self.fails else "accepted" if self.accepted else "passes"


@dataclass
class Verdict:
    judged: list[Judged]
    fail_on: tuple[str, ...] = ()
    only: tuple[Selector, ...] = ()
    unused: list[Entry] = field(default_factory=list)  # exceptions that matched no change

    @property
    def failed(self) -> bool:
        return any(j.fails for j in self.judged)

    def of(self, change: Change) -> Judged:
        return next(j for j in self.judged if j.change is change)


def judge(changes: Iterable[Change], fail_on: Sequence[str] = (), only: Sequence[Selector] = (),
          exceptions: Exceptions | None = None, on: date | None = None, unseen: Iterable[Unseen] = ()) -> Verdict:
    """Each change judged: whether it fails the gate, which exception accepts it; and the exceptions left unused.
    No exception accepts a change caused by a policy with a value the review could not see (`unseen`): what it
    accepted may not be what the change is."""
    from .exceptions import today

    on = on or today()
    entries = exceptions.entries if exceptions else []
    hidden = {u.policy for u in unseen}
    used: set[int] = set()
    judged = []
    for change in changes:
        gated = bool(kinds(change) & set(fail_on)) and (not only or any(s.matches(change) for s in only))
        matching = [e for e in entries if e.matches(change)] if hidden.isdisjoint(change.via) else []
        used |= {e.number for e in matching}
        live = [e for e in matching if not e.expired(on)]
        judged.append(Judged(change, gated, live[0] if live else None,
                             [e for e in matching if e.expired(on)] if not live else []))
    return Verdict(judged, tuple(fail_on), tuple(only), [e for e in entries if e.number not in used])
