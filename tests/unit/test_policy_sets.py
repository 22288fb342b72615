"""Policy sets' check, diff, review report and policy-pack view, called directly (no engine, no server)."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import CreateResult
from pulumi_policy.proxy import unknown_checking_proxy

from pulumi_policies import connections
from pulumi_policies.declared import policies_of
from pulumi_policies.engine_state import UNKNOWN
from pulumi_policies.export import Found, render
from pulumi_policies.providers import SET_PROVIDERS, SPECS, PolicyProviderError, partial
from pulumi_policies.providers.sets import IDS, ITEMS
from pulumi_policies.report import build_report

RPS, PPS, CPS = (SET_PROVIDERS[k]() for k in ("ResourcePolicySet", "ProfilePolicySet", "ConfigurationPolicySet"))


def reasons(provider: Any, news: dict[str, Any]) -> list[str]:
    return [f.reason for f in provider.check({}, news).failures]


def test_items_are_checked_by_their_kind_and_keyed_by_natural_key():
    result = PPS.check({}, {ITEMS: [{"profile_id": "p1", "name": "a", "resourceLabels": {"env": ["b", "a"]}},
                                    {"profile_id": "p2", "name": "a"}]})
    assert result.failures == []
    assert result.inputs == {ITEMS: {"p1/a": {"profile_id": "p1", "name": "a", "resource_labels": {"env": ["a", "b"]}},
                                     "p2/a": {"profile_id": "p2", "name": "a"}}}
    cps = CPS.check({}, {ITEMS: [{"policyid": "x", "organization": "acme"}]}).inputs[ITEMS]
    assert list(cps) == ["x/acme"]
    # the keyed form a state records (what a rollback re-declares) checks to the same
    assert PPS.check({}, result.inputs).inputs == result.inputs


def test_failures_name_the_set_the_item_and_the_field():
    found = reasons(RPS, {ITEMS: [{"name": "ok"}, {"name": "bad", "access_type": "Sometimes"}, {"name": "ok"},
                                  {"name": "c", "connection": "prod"}, "nonsense"], "colour": "red"})
    assert any(r.startswith("ResourcePolicySet.policies['bad'].access_type:") for r in found), found
    assert "ResourcePolicySet.policies[0] and [2] are both ResourcePolicy (name 'ok'): a set holds each policy once" in found
    assert any("policies[3].connection: the items of a set live on the set's connection" in r for r in found)
    assert any("policies[4] must be the arguments of a ResourcePolicy (got str)" in r for r in found)
    assert any("unknown argument 'colour'" in r for r in found)
    assert reasons(RPS, {ITEMS: "all of them"}) == ["ResourcePolicySet.policies must be a list of ResourcePolicy "
                                                    "arguments (got str)"]


def test_unknown_values_wait_for_apply():
    assert RPS.check({}, {ITEMS: UNKNOWN}).inputs == {ITEMS: UNKNOWN}
    result = RPS.check({}, {ITEMS: [{"name": UNKNOWN, "description": "d"}, {"name": "b", "description": UNKNOWN}]})
    assert result.failures == []
    assert set(result.inputs[ITEMS]) == {"#0", "b"}
    assert RPS.diff("id", {ITEMS: {}, IDS: {}}, result.inputs).changes is not False


def outputs(items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A set's outputs as a server would have made them (server defaults filled in)."""
    defaults = {"is_active": True, "is_draft": False, "is_read_only": False, "access_type": "Allow",
                "consumer": "resourcemanager"}
    return {ITEMS: {k: {**defaults, **v, "policy_id": f"id-{k}"} for k, v in items.items()},
            IDS: {k: f"id-{k}" for k in items}}


def test_diff_is_per_item_and_never_perpetual():
    news = RPS.check({}, {ITEMS: [{"name": "a", "description": "x"}, {"name": "b"}]}).inputs
    olds = outputs({"a": {"name": "a", "description": "x"}, "b": {"name": "b"}})
    assert RPS.diff("id", olds, news).changes is False  # server defaults are no change
    edited = RPS.check({}, {ITEMS: [{"name": "a", "description": "y"}, {"name": "b"}]}).inputs
    changed = RPS.diff("id", olds, edited)
    # "unknown": the engine then shows its own detailed diff of the inputs, per item and field
    assert changed.changes is None and changed.replaces == []
    fewer = RPS.check({}, {ITEMS: [{"name": "a", "description": "x"}]}).inputs
    assert RPS.diff("id", olds, fewer).changes is None
    moved = RPS.diff("id", {**olds, "connection": "prod"}, news)
    assert moved.changes is True and moved.replaces == ["connection"]


def test_the_review_report_shows_one_change_per_policy():
    urn = "urn:pulumi:dev::p::pulumi-python:dynamic/pulumi_policies:ResourcePolicySet::estate"
    old = {ITEMS: {"a": {"name": "a", "description": "x"}, "b": {"name": "b"}, "c": {"name": "c"}}}
    new = {ITEMS: {"a": {"name": "a", "description": "y"}, "b": {"name": "b"}, "d": {"name": "d"}}}
    preview = {"steps": [{"op": "update", "urn": urn, "oldState": {"inputs": old}, "newState": {"inputs": new}}]}
    changes = {(c.op, c.kind, c.resource, c.title): c for c in build_report(preview)}
    assert set(changes) == {("update", "ResourcePolicy", "estate[a]", "a"), ("create", "ResourcePolicy", "estate[d]", "d"),
                            ("delete", "ResourcePolicy", "estate[c]", "c")}
    assert changes[("update", "ResourcePolicy", "estate[a]", "a")].fields == [("description", "x", "y")]
    # items known only after apply: one change for the set, not "every policy deleted"
    later = {"steps": [{"op": "update", "urn": urn, "oldState": {"inputs": old}, "newState": {"inputs": {ITEMS: UNKNOWN}}}]}
    [change] = build_report(later)
    assert (change.op, change.resource, change.fields) == ("update", "estate", [(ITEMS, None, UNKNOWN)])


def test_the_policy_pack_sees_each_policy_of_a_set():
    listed = policies_of("pulumi-python:dynamic/pulumi_policies:ProfilePolicySet", "team",
                         {ITEMS: [{"profile_id": "p", "name": "a"}, {"profileId": "p", "name": "b"}]})
    assert [(p.kind, p.name, p.get("profile_id")) for p in listed] == [("ProfilePolicy", "team[p/a]", "p"),
                                                                       ("ProfilePolicy", "team[p/b]", "p")]
    keyed = policies_of("ResourcePolicySet", "estate", {ITEMS: {"a": {"name": "a"}}})
    assert [(p.label, p.get("name")) for p in keyed] == [("ResourcePolicy 'estate[a]'", "a")]
    assert [p.label for p in policies_of("ResourcePolicy", "one", {"name": "one"})] == ["ResourcePolicy 'one'"]
    # as the analyzer hands them over: inside pulumi-policy's read-only proxies (a Mapping, a Sequence)
    for given in ({ITEMS: {"a": {"name": "a"}}}, {ITEMS: [{"name": "a"}]}):
        proxied = policies_of("ResourcePolicySet", "estate", unknown_checking_proxy(given))
        assert [(p.label, p.get("name")) for p in proxied] == [("ResourcePolicy 'estate[a]'", "a")]


def test_keys_keep_policies_apart_whatever_their_names():
    keyed = CPS.check({}, {ITEMS: [{"policyid": "a/b", "organization": "c"}, {"policyid": "a", "organization": "b/c"},
                                   {"policyid": "#1", "organization": "o"}, {"policyid": "%2F", "organization": "o"}]})
    assert keyed.failures == []
    assert list(keyed.inputs[ITEMS]) == ["a%2Fb/c", "a/b%2Fc", "%231/o", "%252F/o"]


def test_a_bad_concurrency_setting_is_said_with_the_set_and_where_to_fix_it():
    connections.configure({"pulumi-policies:maxConcurrency": "0", "pulumi-policies:resourceManagerUrl": "http://x",
                           "pulumi-policies:resourceManagerToken": "t"})
    try:
        with pytest.raises(PolicyProviderError, match=r"ResourcePolicySet: pulumi-policies:maxConcurrency .* must be 1 or more"):
            RPS.create({ITEMS: {"a": {"name": "a"}}})
    finally:
        connections.configure({})


def test_export_as_sets_declares_policies_sharing_a_name_one_by_one():
    found = [Found(SPECS["ResourcePolicy"], "id1", {"name": "twin"}), Found(SPECS["ResourcePolicy"], "id2", {"name": "twin"}),
             Found(SPECS["ResourcePolicy"], "id3", {"name": "solo"})]
    program = render(found, as_sets=True)
    assert "from pulumi_policies import ResourcePolicy, ResourcePolicySet" in program
    assert program.count("= ResourcePolicySet(") == 1 and '{"import_id": "id3", "name": "solo"}' in program
    assert program.count("= ResourcePolicy(") == 2  # a set could not tell them apart


def test_outside_a_provider_call_a_partial_failure_falls_back_to_a_plain_error_naming_what_was_made():
    assert partial.fail("id", {ITEMS: {}}, "provider", ["why"]) is None  # no gRPC call to answer here
    with pytest.raises(PolicyProviderError) as raised:
        RPS._partly_done("create", "set-1", None, {"a": CreateResult("id-a", {"name": "a"})}, set(),
                         {"b": RuntimeError("HTTP 400: quota exceeded")}, 2, "provider")
    text = str(raised.value)
    assert "ResourcePolicySet.policies['b']: HTTP 400: quota exceeded" in text
    assert "Not recorded in the state" in text and "a (id id-a)" in text


def test_the_pack_names_an_item_whose_key_is_not_known_yet_by_its_place():
    listed = policies_of("ResourcePolicySet", "estate", unknown_checking_proxy({ITEMS: [{"name": UNKNOWN}]}))
    assert [p.label for p in listed] == ["ResourcePolicy 'estate[#0]'"]


def test_after_a_step_that_failed_half_way_the_report_compares_with_what_was_done():
    urn = "urn:pulumi:dev::p::pulumi-python:dynamic/pulumi_policies:ResourcePolicySet::estate"
    declared = {ITEMS: {"a": {"name": "a", "description": "v2"}, "b": {"name": "b"}}}
    done = outputs({"a": {"name": "a", "description": "v2"}})  # b's create was refused; a's update landed
    step = {"op": "update", "urn": urn, "newState": {"inputs": declared},
            "oldState": {"inputs": declared, "outputs": done, "initErrors": ["update failed for 1 of 2 policies"]}}
    assert {(c.op, c.resource) for c in build_report({"steps": [step]})} == {("create", "estate[b]")}
