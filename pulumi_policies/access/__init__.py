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

from .compare import CHANGES, NEW_ACCESS, Change, attributed, changed, compare, new_access
from .documents import Resources, declared, resources_of_preview, resources_of_state
from .gate import Gate, at_least, gate_steps
from .model import (
    ACCESS_FIELDS,
    KNOWN_AFTER_APPLY,
    NOT_SHOWN,
    ORDER_KIND,
    PRINCIPAL_KINDS,
    RESOURCE,
    Access,
    AccessModel,
    Deny,
    Principal,
    Reach,
    Unseen,
    build,
    member_ids,
    principals,
)
from .render import render_json, render_markdown, render_text, summary
from .review import Review, review

__all__ = ["ACCESS_FIELDS", "CHANGES", "KNOWN_AFTER_APPLY", "NEW_ACCESS", "NOT_SHOWN", "ORDER_KIND", "PRINCIPAL_KINDS",
           "RESOURCE", "Access", "AccessModel", "Change", "Deny", "Gate", "Principal", "Reach", "Resources", "Review", "Unseen",
           "at_least", "attributed", "build", "changed", "compare", "declared", "gate_steps", "member_ids", "new_access",
           "principals", "render_json", "render_markdown", "render_text", "resources_of_preview", "resources_of_state",
           "review", "summary"]
