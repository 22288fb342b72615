"""The access changes as Markdown (a pull-request comment), text and JSON (docs/access-review.md)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from .compare import CHANGES, Change, new_access
from .gate import Gate
from .model import Principal, Unseen

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


def _unseen_lines(unseen: Sequence[Unseen]) -> list[str]:
    """Each value the review could not see and how it read it (docs/access-review.md lists every reading)."""
    if not unseen:
        return []
    lines = ["", "**Not seen**, so read as the widest access (unknown until apply, a secret, or not modelled):"]
    seen: set[tuple[str, str, str]] = set()
    for u in unseen:
        if (u.policy, u.field, u.reading) not in seen:
            seen.add((u.policy, u.field, u.reading))
            lines.append(f"- `{u.policy}` {u.field}: read as {u.reading}")
    return lines


def render_markdown(changes: list[Change], title: str = "### Access changes", unseen: Sequence[Unseen] = ()) -> str:
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
    lines += _unseen_lines(unseen)
    return "\n".join(lines) + "\n"


def _gates_text(c: Change) -> str:
    def show(gates: list[Gate]) -> str:
        return " | ".join(g.text() for g in gates) or "no access"
    if c.change == "gains":
        return show(c.after)
    if c.change == "loses":
        return f"was {show(c.before)}"
    return f"{show(c.before)} -> {show(c.after)}"


def render_text(changes: list[Change], unseen: Sequence[Unseen] = ()) -> str:
    text = render_markdown(changes, title="Access changes:", unseen=unseen)
    return text.replace("**", "").replace("`", "")


def render_json(changes: list[Change], unseen: Sequence[Unseen] = ()) -> str:
    counts = {c: sum(x.change == c for x in changes) for c in CHANGES}
    unique = list({json.dumps(u.to_json(), sort_keys=True): u.to_json() for u in unseen}.values())
    return json.dumps({"version": 1, "new_access": new_access(changes), "summary": counts,
                       "changes": [c.to_json() for c in changes], "unseen": unique}, indent=2) + "\n"

