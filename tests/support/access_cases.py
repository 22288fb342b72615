"""Stacks of access policies and changes to them, as hypothesis strategies: the generator shared by the soundness
property on synthetic documents (tests/unit/test_access_soundness.py) and its run on the real engine
(tests/support/engine_soundness.py).

A stack is {resource name: (kind, props)} with props in the resources' Python argument names: resource and profile
policies with members of every kind (by name, or by name and id), labels (empty lists included), levels, Allow and
Deny, activation and draft, conditions and settings, and a profile's ``ProfilePolicyOrder`` whose ``policies`` are
``id-<resource name>`` (the policy's id). A change edits, adds, deletes and reorders."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from pulumi_policies import access
from pulumi_policies.preview import check_pair, read_preview, read_state

KINDS = ("users", "tags", "service_identities", "tokens", "ai_identities")
NAMES = ("alice", "bob", "carol")


member = st.one_of(st.builds(lambda n: {"name": n}, st.sampled_from(NAMES)),
                   st.builds(lambda n: {"name": n, "id": f"u-{n}"}, st.sampled_from(NAMES)))
members = st.dictionaries(st.sampled_from(KINDS), st.lists(member, max_size=2), max_size=2)
labels = st.dictionaries(st.sampled_from(("env", "team")), st.lists(st.sampled_from(("prod", "dev")), max_size=2,
                                                                     unique=True), max_size=2)
approval = st.fixed_dictionaries({"approvers": st.fixed_dictionaries({"tags": st.lists(st.sampled_from(("l1", "l2")),
                                                                                        min_size=1, unique=True)})},
                                 optional={"valid_for": st.sampled_from((30, 60)),
                                           "manager_approval": st.fixed_dictionaries(
                                               {"required": st.booleans(), "condition": st.sampled_from(("All", "Any"))})})
condition = st.one_of(st.none(), st.fixed_dictionaries({}, optional={"approval": approval, "ip_address": st.sampled_from(
    ("10.0.0.0/8", "10.1.0.0/16"))}))
setting = st.one_of(
    st.fixed_dictionaries({"settings_type": st.just("JUSTIFICATION")},
                          optional={"justification_regex": st.sampled_from(("^CHG[0-9]{7}$", ".*"))}),
    st.fixed_dictionaries({"settings_type": st.just("ITSM"), "connection_id": st.sampled_from(("snow-prod", "snow-sb")),
                           "connection_type": st.just("servicenow")},
                          optional={"itsm_filter_criteria": st.just([{"supported_ticket_type": "change",
                                                                      "filter": {"state": "ok"}}])}),
    st.fixed_dictionaries({"settings_type": st.just("IM"), "connection_id": st.just("pd"),
                           "connection_type": st.just("pagerduty"), "is_auto_approval_enabled": st.booleans()}))


@st.composite
def policy(draw: st.DrawFn, name: str) -> tuple[str, dict]:
    kind = draw(st.sampled_from(("ResourcePolicy", "ProfilePolicy")))
    props: dict = {"name": name, "members": draw(members)}
    if kind == "ProfilePolicy":
        props["profile_id"] = "prof-eng"
    else:
        props.update(resource_labels=draw(labels), access_level=draw(st.sampled_from(("read", "write"))))
    for key, values in (("access_type", ("Allow", "Deny")), ("is_active", (True, False)), ("is_draft", (False, True))):
        if draw(st.booleans()):
            props[key] = draw(st.sampled_from(values))
    if (c := draw(condition)) is not None:
        props["condition"] = c
    if draw(st.booleans()):
        props["settings"] = draw(st.lists(setting, max_size=2, unique_by=lambda s: s["settings_type"]))
    return kind, props


@st.composite
def stack(draw: st.DrawFn, fewest: int = 1, most: int = 5) -> dict[str, tuple[str, dict]]:
    out = {f"p{i}": draw(policy(f"p{i}")) for i in range(draw(st.integers(fewest, most)))}
    profiled = [f"id-{n}" for n, (k, _) in out.items() if k == "ProfilePolicy"]
    if profiled and draw(st.booleans()):
        out["order"] = ("ProfilePolicyOrder", {"profile_id": "prof-eng", "policies": draw(st.permutations(profiled))})
    return out


FIELDS = ("members", "resource_labels", "access_level", "access_type", "is_active", "is_draft", "condition", "settings")


@st.composite
def change(draw: st.DrawFn, before: dict[str, tuple[str, dict]], added: str = "new") -> dict[str, tuple[str, dict]]:
    """`before` changed; a policy added is named `added`."""
    after = copy.deepcopy(before)
    for name in list(after):
        kind, props = after[name]
        if kind == "ProfilePolicyOrder":
            if draw(st.booleans()):
                props["policies"] = draw(st.permutations(props["policies"]))
            continue
        action = draw(st.sampled_from(("keep", "keep", "edit", "delete")))
        if action == "delete":
            del after[name]
        elif action == "edit":
            field = draw(st.sampled_from(FIELDS))
            replacement = draw(policy(name))[1]
            if field in replacement and (field != "resource_labels" or kind == "ResourcePolicy"):
                props[field] = replacement[field]
            else:
                props.pop(field, None)
    if draw(st.booleans()):
        after[added] = draw(policy(added))
    if "order" in after:  # an order lists only policies that exist, at least one
        existing = {f"id-{n}" for n, (k, _) in after.items() if k == "ProfilePolicy"}
        after["order"][1]["policies"] = [p for p in after["order"][1]["policies"] if p in existing]
        if not after["order"][1]["policies"]:
            del after["order"]
    return after


def verdicts(before: dict, preview: dict, after: dict) -> tuple[list, Any]:
    """(the access changes known after apply, the review at preview) of one change: `before` and `after` are the
    stack's states (``pulumi stack export --show-secrets``) around the ``pulumi preview --json`` `preview`. Both read
    as ``pulumi-policies access --state`` reads them: checked, and checked to be of one stack."""
    was_state, now_state = read_state(before), read_state(after)
    seen = read_preview(preview)
    check_pair(seen, was_state)
    was = access.declared(access.resources_of_state(was_state))
    now = access.declared(access.resources_of_state(now_state))
    ids = access.member_ids(was, now)
    known = access.compare(access.build(was, ids), access.build(now, ids), access.changed(was, now))
    return known, access.review(seen, access.resources_of_state(was_state))


def counterexample(known: list, review: Any) -> str | None:
    """Why the preview's verdict is unsound, or None: the known outcome is new access and the preview's is not."""
    if access.new_access(known) and not review.new_access:
        return (f"known after apply: {[(c.principal.text(), c.change, c.via) for c in known]}; at preview: "
                f"{[(c.principal.text(), c.change, c.via) for c in review.changes]}")
    return None
