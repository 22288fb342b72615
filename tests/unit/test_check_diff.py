"""check and diff of the provider engine, called directly (no engine, no server): validation and normalisation."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_policies.engine_state import UNKNOWN
from pulumi_policies.providers import PROVIDERS

RP, PP, CP = (PROVIDERS[k]() for k in ("ResourcePolicy", "ProfilePolicy", "ConfigurationPolicy"))


def failures(provider, news):
    """Each failure by the top-level field its reason names ("ResourcePolicy.condition.approval...: why")."""
    out = {}
    for f in provider.check({}, news).failures:
        assert f.property == "", f  # the engine would print the property's whole value beside the reason
        path = f.reason.split(":", 1)[0].split(" ", 1)[0]
        out[path.split(".", 1)[1].split("[", 1)[0].split(".", 1)[0] if "." in path else path] = f.reason
    return out


def test_valid_inputs_pass_and_come_back_snake_case_and_canonical():
    result = RP.check({}, {"name": "db", "isActive": True, "members": {"users": [{"name": "bob"}, {"name": "al"}],
                                                                        "serviceIdentities": [{"id": "s1"}]},
                           "resourceLabels": {"env": ["prod", "dev"]}, "condition": '{"ipAddress": "10.0.0.0/8"}'})
    assert result.failures == []
    # is_active True is its default: absent and default are one value, left out of the inputs
    assert result.inputs == {"name": "db", "condition": {"ip_address": "10.0.0.0/8"},
                             "members": {"users": [{"name": "al"}, {"name": "bob"}], "service_identities": [{"id": "s1"}]},
                             "resource_labels": {"env": ["dev", "prod"]}}


def test_failures_name_the_field_and_the_rule():
    f = failures(CP, {"policyid": "x" * 26, "organization": "org"})
    assert "policyid" in f and "at most 25 characters" in f["policyid"] and "ConfigurationPolicy.policyid" in f["policyid"]
    f = failures(CP, {"policyid": "p"})
    assert "organization" in f and "required" in f["organization"].lower()
    f = failures(PP, {"name": "n", "profile_id": "p", "settings": [{"settings_type": "JUSTIFICATION",
                                                                     "justification_regex": "(["}]})
    assert "settings[0].justification_regex" in f["settings"] and "not a valid regular expression" in f["settings"]
    f = failures(RP, {"name": "n", "settings": [{"settings_type": "EMAIL"}]})
    assert "settings" in f and "ITSM" in f["settings"] and "JUSTIFICATION" in f["settings"]
    f = failures(RP, {"name": "n", "members": {"users": [{}]}})
    assert "members.users[0]" in f["members"] and "'id' or a 'name'" in f["members"]
    f = failures(RP, {"name": "n", "is_actve": True})
    assert "is_actve" in f and "Extra inputs are not permitted" in f["is_actve"]
    f = failures(RP, {"name": "n", "access_type": "Maybe"})
    assert "'Allow' or 'Deny'" in f["access_type"]
    f = failures(RP, {"name": "n", "condition": "{not json"})
    assert "JSON" in f["condition"]
    f = failures(RP, {"name": "n", "import_id": ""})
    assert "import_id" in f


def test_unknown_values_are_not_judged_at_preview():
    result = PP.check({}, {"name": "n", "profile_id": UNKNOWN, "is_active": UNKNOWN})
    assert result.failures == []
    assert result.inputs["profile_id"] == UNKNOWN


def stored(provider, inputs, **server_fields):
    """Outputs as create would record them for these inputs (server defaults added)."""
    outs = dict(provider.check({}, inputs).inputs)
    outs.update(server_fields)
    return outs


def test_no_diff_after_apply_even_with_server_defaults_and_order():
    news = RP.check({}, {"name": "db", "members": {"users": [{"name": "b"}, {"name": "a"}]}}).inputs
    olds = {"name": "db", "description": "", "is_active": True, "is_draft": False, "condition": {}, "consumer": "x",
            "members": {"tags": [], "users": [{"name": "a"}, {"name": "b"}], "service_identities": []},
            "settings": [], "resource_labels": {}, "policy_id": "id-1"}
    assert RP.diff("id-1", olds, news).changes is False


def test_condition_as_json_string_equals_object():
    condition = {"ipAddress": "10.0.0.0/8", "approval": {"timeToApprove": 30, "approvers": {"tags": ["sre"]}}}
    news = RP.check({}, {"name": "db", "condition": condition}).inputs
    olds = {"name": "db", "condition": json.dumps(condition)}
    assert RP.diff("id", olds, news).changes is False


def test_settings_server_ids_are_not_changes():
    setting = {"settings_type": "JUSTIFICATION", "justification_regex": "^JIRA-[0-9]+$"}
    news = PP.check({}, {"name": "n", "profile_id": "p", "settings": [setting]}).inputs
    olds = {"name": "n", "profile_id": "p", "settings": [dict(setting, id="s-1", entity_id="pol", entity_type="POLICY",
                                                              is_inherited=False, is_justification_required=True)]}
    assert PP.diff("p/pol", olds, news).changes is False


def test_changes_and_replacements():
    olds = {"name": "n", "profile_id": "p1", "description": "a"}
    news = PP.check({}, {"name": "renamed", "profile_id": "p1", "description": "a"}).inputs
    d = PP.diff("p1/x", olds, news)
    assert d.changes is True and d.replaces == []  # a rename is in place
    news = PP.check({}, {"name": "n", "profile_id": "p2", "description": "a"}).inputs
    assert PP.diff("p1/x", olds, news).replaces == ["profile_id"]
    olds = {"policyid": "p", "organization": "o", "processid": 1}
    news = CP.check({}, {"policyid": "p", "organization": "o2"}).inputs
    assert CP.diff("x", olds, news).replaces == ["organization"]


def test_access_fields_left_out_mean_their_default_and_other_fields_are_carried():
    news = RP.check({}, {"name": "n"}).inputs
    # access: left out means the documented default, so a hand edit of it is drift (Britive's Terraform provider)
    for edited in ({"is_active": False}, {"is_draft": True}, {"access_type": "Deny"}, {"access_level": "admin"},
                   {"members": {"users": [{"name": "mallory"}]}}, {"resource_labels": {"env": ["prod"]}},
                   {"condition": {"ip_address": "0.0.0.0/0"}}, {"settings": [{"settings_type": "JUSTIFICATION"}]}):
        assert RP.diff("x", {"name": "n", **edited}, news).changes is True, edited
    # the defaults as a server echoes them are no change
    assert RP.diff("x", {"name": "n", "is_active": True, "is_draft": False, "access_type": "Allow"}, news).changes is False
    # not access: carried (a description, the consumer, read-only flag), compared only when declared
    assert RP.diff("x", {"name": "n", "description": "was here", "consumer": "c", "is_read_only": True},
                   news).changes is False
    assert RP.diff("x", {"name": "n", "description": "was here"},
                   RP.check({}, {"name": "n", "description": ""}).inputs).changes is True


def test_timestamps_compare_by_instant():
    news = CP.check({}, {"policyid": "p", "organization": "o", "lastaction": "2025-08-31T16:02:16.736Z"}).inputs
    olds = {"policyid": "p", "organization": "o", "lastaction": "2025-08-31T18:02:16.736000+02:00"}
    assert CP.diff("x", olds, news).changes is False


names = st.text(alphabet="abcdefghij", min_size=1, max_size=6)


@settings(max_examples=100, deadline=None)
@given(users=st.lists(names, min_size=0, max_size=6, unique=True), labels=st.lists(names, max_size=5, unique=True),
       data=st.data())
def test_order_never_matters(users, labels, data):
    members = {"users": [{"name": u} for u in users]}
    shuffled = {"users": data.draw(st.permutations(members["users"]))}
    label_values = data.draw(st.permutations(labels))
    news = RP.check({}, {"name": "n", "members": shuffled, "resource_labels": {"k": list(label_values)}}).inputs
    olds = {"name": "n", "members": members, "resource_labels": {"k": labels}}
    assert RP.diff("x", olds, news).changes is False
    # and a real change in membership is always seen
    if users:
        fewer = {"users": [{"name": u} for u in users[1:]]}
        news = RP.check({}, {"name": "n", "members": fewer, "resource_labels": {"k": labels}}).inputs
        assert RP.diff("x", olds, news).changes is True


@settings(max_examples=100, deadline=None)
@given(inputs=st.fixed_dictionaries({"name": names}, optional={
    "description": st.text(max_size=20), "is_active": st.booleans(),
    "members": st.fixed_dictionaries({}, optional={"tags": st.lists(st.fixed_dictionaries({"id": names}), max_size=3)}),
    "condition": st.fixed_dictionaries({}, optional={
        "ip_address": st.lists(st.ip_addresses().map(str), min_size=1, max_size=3).map(", ".join),
        "approval": st.fixed_dictionaries({}, optional={
            "time_to_approve": st.integers(1, 10_000),
            "approvers": st.fixed_dictionaries({"tags": st.lists(names, max_size=3)})})})}))
def test_check_is_idempotent_and_its_output_diffs_clean_against_itself(inputs):
    once = RP.check({}, inputs).inputs
    assert RP.check({}, once).inputs == once
    assert RP.diff("x", once, once).changes is False


def test_a_label_key_without_values_is_refused_at_preview():
    f = failures(RP, {"name": "n", "resource_labels": {"team": [], "env": ["prod"]}})
    assert "label 'team' has no values" in f["resource_labels"], f


def test_a_member_whose_name_disagrees_with_its_id_is_refused_naming_both():
    olds = {"name": "n", "members": {"users": [{"id": "u-1", "name": "mallory"}, {"id": "u-2", "name": "bob"}]}}
    news = RP.check({}, {"name": "n", "members": {"users": [{"id": "u-1", "name": "bob"}]}}).inputs
    with pytest.raises(Exception, match=r"id 'u-1' is named 'mallory' on the server, but the program names it 'bob'"):
        RP.diff("x", olds, news)
    agreeing = RP.check({}, {"name": "n", "members": {"users": [{"id": "u-1", "name": "mallory"}]}}).inputs
    assert RP.diff("x", olds, agreeing).changes is True  # bob removed: a change, not a refusal
