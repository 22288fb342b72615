"""Soundness of the access gate (issue 31): whenever the access model computed with every value known (after apply)
shows a gain or a weaker approval, the verdict on the preview, where values are unknown or secret, is "new access".

Stacks and changes are generated (hypothesis): resource and profile policies with members of every kind (by name or
id), labels (empty lists included), levels, Allow and Deny, activation and draft, conditions and settings, a
profile's policy order; a change edits, adds, deletes and reorders, and hides values the way the engine does at
preview (``UNKNOWN`` for an Output of a resource being updated, ``"[secret]"`` for a secret), the touched order's
positions included. The documents are in the shapes the engine writes (``pulumi stack export``: ``version`` and
``deployment.resources`` with ``urn``, ``type``, ``inputs``, ``outputs``; ``pulumi preview --json``: ``steps`` with
``op``, ``urn``, ``oldState``, ``newState``, the stack's own step), read by the same reader the CLI uses.

The seed is printed; set ACCESS_SOUNDNESS_SEED to replay one, ACCESS_SOUNDNESS_EXAMPLES for more examples (the
suite runs 300; ``ACCESS_SOUNDNESS_EXAMPLES=5000 python -m pytest tests/unit/test_access_soundness.py`` runs
5,000 in about a minute, as docs/access-review.md says).
"""

from __future__ import annotations

import copy
import os
import random

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from pulumi_policies import access
from pulumi_policies.preview import SECRET, read_preview, read_state
from pulumi_policies.registry import TYPE_PREFIX, UNKNOWN

SEED = int(os.environ.get("ACCESS_SOUNDNESS_SEED") or random.randrange(2**32))
EXAMPLES = int(os.environ.get("ACCESS_SOUNDNESS_EXAMPLES") or 300)
print(f"access soundness: seed {SEED}, {EXAMPLES} examples (ACCESS_SOUNDNESS_SEED={SEED} to replay)")

STACK, PROJECT = "prod", "gate"
STACK_URN = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
KINDS = ("users", "tags", "service_identities", "tokens", "ai_identities")
NAMES = ("alice", "bob", "carol")


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{TYPE_PREFIX}{kind}::{name}"


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
def stack(draw: st.DrawFn) -> dict[str, tuple[str, dict]]:
    out = {f"p{i}": draw(policy(f"p{i}")) for i in range(draw(st.integers(1, 5)))}
    profiled = [f"id-{n}" for n, (k, _) in out.items() if k == "ProfilePolicy"]
    if profiled and draw(st.booleans()):
        out["order"] = ("ProfilePolicyOrder", {"profile_id": "prof-eng", "policies": draw(st.permutations(profiled))})
    return out


FIELDS = ("members", "resource_labels", "access_level", "access_type", "is_active", "is_draft", "condition", "settings")


@st.composite
def change(draw: st.DrawFn, before: dict[str, tuple[str, dict]]) -> dict[str, tuple[str, dict]]:
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
        after["new"] = draw(policy("new"))
    if "order" in after:  # an order lists only policies that exist
        existing = {f"id-{n}" for n, (k, _) in after.items() if k == "ProfilePolicy"}
        after["order"][1]["policies"] = [p for p in after["order"][1]["policies"] if p in existing]
    return after


def hide(draw: st.DrawFn, props: dict) -> dict:
    """Props with some values as the preview shows them: unknown until apply, or a secret."""
    props = copy.deepcopy(props)
    for _ in range(draw(st.integers(0, 2))):
        mark = draw(st.sampled_from((UNKNOWN, SECRET)))
        key = draw(st.sampled_from(sorted(props)))
        value = props[key]
        if key in ("name", "profile_id"):
            continue  # the program's own names, never an Output in these stacks
        if isinstance(value, list) and value and draw(st.booleans()):
            value[draw(st.integers(0, len(value) - 1))] = mark  # one position of a list
        elif isinstance(value, dict) and value and draw(st.booleans()):
            inner = draw(st.sampled_from(sorted(value)))
            value[inner] = mark if not isinstance(value[inner], list) or not value[inner] else \
                [mark if i == 0 else v for i, v in enumerate(value[inner])]
        else:
            props[key] = mark
    return props


def state_document(resources: dict[str, tuple[str, dict]]) -> dict:
    out = [{"urn": STACK_URN, "type": "pulumi:pulumi:Stack", "inputs": {}, "outputs": {}}]
    for name, (kind, props) in resources.items():
        outputs = {**props, "policy_id": f"id-{name}"} if kind != "ProfilePolicyOrder" else \
            {**props, "policy_ids": list(props["policies"]), "enabled": True}
        out.append({"urn": urn(kind, name), "type": TYPE_PREFIX + kind, "custom": True, "id": f"id-{name}",
                    "inputs": props, "outputs": outputs})
    return {"version": 3, "deployment": {"manifest": {"version": "v3.259.0"}, "resources": out}}


@st.composite
def preview_document(draw: st.DrawFn, before: dict, after: dict) -> dict:
    steps = [{"op": "same", "urn": STACK_URN, "oldState": {"urn": STACK_URN, "type": "pulumi:pulumi:Stack"},
              "newState": {"urn": STACK_URN, "type": "pulumi:pulumi:Stack"}}]
    old = {r["urn"]: r for r in state_document(before)["deployment"]["resources"]}
    for name in sorted({*before, *after}):
        kind = (after.get(name) or before[name])[0]
        u = urn(kind, name)
        if name not in after:
            steps.append({"op": "delete", "urn": u, "oldState": old[u]})
            continue
        touched = name not in before or after[name] != before[name] or draw(st.booleans())
        if not touched:
            continue
        new = {"urn": u, "type": TYPE_PREFIX + kind, "inputs": hide(draw, after[name][1]), "outputs": {}}
        steps.append({"op": "create" if name not in before else "update", "urn": u, "oldState": old.get(u),
                      "newState": new})
    return {"config": {}, "steps": steps, "diagnostics": [], "changeSummary": {"update": len(steps)}}


def model(resources: dict[str, tuple[str, dict]], ids: dict | None = None) -> access.AccessModel:
    declared = access.declared(access.resources_of_state(read_state(state_document(resources))))
    return access.build(declared, ids)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    before = draw(stack())
    after = draw(change(before))
    return before, after, draw(preview_document(before, after))


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])
@given(scenario())
def test_the_preview_verdict_is_new_access_whenever_the_known_outcome_is(case: tuple[dict, dict, dict]) -> None:
    before, after, preview = case
    was = access.declared(access.resources_of_state(read_state(state_document(before))))
    now = access.declared(access.resources_of_state(read_state(state_document(after))))
    ids = access.member_ids(was, now)
    known = access.compare(access.build(was, ids), access.build(now, ids), access.changed(was, now))
    at_preview = access.review(read_preview(preview), access.resources_of_state(read_state(state_document(before))))
    if access.new_access(known):
        assert at_preview.new_access, (
            f"known after apply: {[(c.principal.text(), c.change, c.via) for c in known]}; at preview: "
            f"{[(c.principal.text(), c.change, c.via) for c in at_preview.changes]}")


def test_the_generator_makes_both_verdicts_and_hides_values() -> None:
    """The property is not vacuous: across a fixed sample, some changes are new access and some are not, and some
    previews hide values (so the fail-closed readings are exercised)."""
    outcomes, hidden = set(), 0
    for case in _sample(200):
        before, after, preview = case
        review = access.review(read_preview(preview), access.resources_of_state(read_state(state_document(before))))
        outcomes.add(review.new_access)
        hidden += bool(review.unseen)
    assert outcomes == {True, False} and hidden > 20


def _sample(n: int) -> list[tuple[dict, dict, dict]]:
    out: list[tuple[dict, dict, dict]] = []

    @seed(1)
    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(scenario())
    def collect(case: tuple[dict, dict, dict]) -> None:
        out.append(case)

    collect()
    return out
