"""Every guardrail called directly, both ways, through the pulumi-policy objects the pack serves (no engine)."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from pulumi_policies.policypack import RULES, policies
from pulumi_policies.providers import TYPE_PREFIX

BY_NAME = {p.name: p for p in policies()}
JUSTIFIED = [{"settings_type": "JUSTIFICATION", "is_justification_required": True, "justification_regex": "^CHG[0-9]+$"}]
GOOD_ACCESS = {"name": "db-read", "members": {"tags": [{"name": "sre"}]}, "resource": "db",
               "resource_labels": {"env": ["dev"]}}
GOOD_CONFIG = {"policyid": "nightly", "organization": "acme", "policy_schedule": {"frequency": "daily"}}


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=None, aliases=[],
                                 custom_timeouts=None, additional_secret_outputs=[])


def violations(rule: str, kind: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(TYPE_PREFIX + kind, props, f"urn:pulumi:s::p::{TYPE_PREFIX}{kind}::r", "r",
                                  _opts(), None, config or {})
    BY_NAME[rule].validate(args, lambda message, urn=None: found.append(message))
    return found


def stack_violations(rule: str, resources: list[tuple[str, str, Any]], config: dict[str, Any] | None = None
                     ) -> list[str]:
    found: list[str] = []
    policy_resources = [PolicyResource(TYPE_PREFIX + kind, props, f"urn::{name}", name, _opts(), None, None, [], {})
                        for kind, name, props in resources]
    BY_NAME[rule].validate(StackValidationArgs(policy_resources, config or {}),
                           lambda message, urn=None: found.append(message))
    return found


# (rule, kind, passing inputs, failing inputs, config, phrase the failure must contain)
CASES = [
    ("active-policy-needs-members", "ResourcePolicy", GOOD_ACCESS, {**GOOD_ACCESS, "members": {}}, None,
     "grants nobody"),
    ("active-policy-needs-members", "ProfilePolicy", {**GOOD_ACCESS, "members": {}, "is_active": False},
     {**GOOD_ACCESS, "members": {"users": []}}, None, "add members"),
    ("justification-regex-must-constrain", "ProfilePolicy", {**GOOD_ACCESS, "settings": JUSTIFIED},
     {**GOOD_ACCESS, "settings": [{"settings_type": "JUSTIFICATION", "justification_regex": ".*"}]}, None,
     "accepts any justification"),
    ("justification-regex-must-constrain", "ResourcePolicy", GOOD_ACCESS,
     {**GOOD_ACCESS, "settings": [{"settingsType": "JUSTIFICATION", "justificationRegex": "(open"}]}, None,
     "does not compile"),
    ("resource-policy-needs-scope", "ResourcePolicy", {**GOOD_ACCESS, "resource_labels": {}},
     {**GOOD_ACCESS, "resource": None, "resource_labels": {}}, None, "reaches every resource"),
    ("prefer-tags-over-users", "ResourcePolicy", {**GOOD_ACCESS, "members": {"users": [{"name": "a"}]}},
     {**GOOD_ACCESS, "members": {"users": [{"name": "a"}, {"name": "b"}]}}, None, "grants 2 users directly"),
    ("prefer-tags-over-users", "ProfilePolicy", {**GOOD_ACCESS, "members": {"users": [{"name": "a"}, {"name": "b"}]}},
     {**GOOD_ACCESS, "members": {"users": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}, {"maxDirectUsers": 2},
     "at most 2"),
    ("naming-convention", "ResourcePolicy", GOOD_ACCESS, {**GOOD_ACCESS, "name": "DB Read"}, None, "'DB Read'"),
    ("naming-convention", "ConfigurationPolicy", {**GOOD_CONFIG, "policyid": "team_x"},
     {**GOOD_CONFIG, "policyid": "nightly"}, {"pattern": "^team_"}, "policyid 'nightly'"),
    ("configuration-policy-schedule-and-organization", "ConfigurationPolicy", GOOD_CONFIG,
     {**GOOD_CONFIG, "policy_schedule": {}}, None, "no policy_schedule"),
    ("configuration-policy-schedule-and-organization", "ConfigurationPolicy", GOOD_CONFIG,
     {**GOOD_CONFIG, "organization": "evil"}, {"allowedOrganizations": ["acme"]}, "not one of the allowed"),
    ("no-drafts-in-production", "ResourcePolicy", {**GOOD_ACCESS, "is_draft": True},
     {**GOOD_ACCESS, "is_draft": True, "resource_labels": {"tier": ["critical"]}},
     {"productionLabels": {"tier": ["critical"]}}, "is a draft on production"),
]


@pytest.mark.parametrize("rule,kind,good,bad,config,phrase", CASES,
                         ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_rule_passes_and_fails(rule, kind, good, bad, config, phrase):
    assert violations(rule, kind, good, config) == []
    found = violations(rule, kind, bad, config)
    assert len(found) == 1 and phrase in found[0] and f"{kind} 'r'" in found[0]


def test_rules_ignore_other_resource_types():
    assert violations("active-policy-needs-members", "ConfigurationPolicy", {"members": {}}) == []
    found: list[str] = []
    args = ResourceValidationArgs("aws:s3/bucket:Bucket", {"members": {}}, "urn", "b", _opts(), None, {})
    BY_NAME["active-policy-needs-members"].validate(args, lambda m, urn=None: found.append(m))
    assert found == []


def test_duplicate_grants_across_the_stack():
    same = {"resource": "db", "members": {"users": [{"name": "alice"}, {"name": "bob"}]}}
    ok = stack_violations("no-duplicate-grants", [("ResourcePolicy", "a", same),
                                                  ("ResourcePolicy", "b", {**same, "resource": "other"}),
                                                  ("ResourcePolicy", "c", {**same, "access_type": "Deny"}),
                                                  ("ResourcePolicy", "d", {**same, "access_level": "admin"}),
                                                  ("ResourcePolicy", "e", {**same, "condition": {"ip_address": "10.0.0.0/8"}})])
    assert ok == []  # another access level or condition is another grant
    found = stack_violations("no-duplicate-grants", [("ResourcePolicy", "a", same),
                                                     ("ResourcePolicy", "b", {**same, "members": {"users": [{"name": "bob"}]}})])
    assert found == ["ResourcePolicy 'b' and ResourcePolicy 'a' both grant user 'bob' the same access: keep one of them."]


def test_config_schema_defaults_and_enforcement():
    rules = {r.name: r for r in RULES}
    assert len(RULES) >= 6 and len(BY_NAME) == len(RULES)
    for rule in RULES:
        policy = BY_NAME[rule.name]
        assert policy.enforcement_level == (EnforcementLevel.MANDATORY if rule.mandatory else EnforcementLevel.ADVISORY)
        if rule.config:
            assert set(policy.config_schema.properties) == set(rule.config)
            assert all("default" in p and "type" in p for p in policy.config_schema.properties.values())
    assert rules["production-access-needs-approval"].defaults()["productionLabels"] == {"env": ["prod", "production"]}
    # configured values replace the defaults; enforcementLevel is the engine's, never a rule setting
    strict = violations("prefer-tags-over-users", "ResourcePolicy",
                        {**GOOD_ACCESS, "members": {"users": [{"name": "a"}]}},
                        {"maxDirectUsers": 0, "enforcementLevel": "mandatory"})
    assert strict and "at most 0" in strict[0]


def test_unknown_rule_excluded_is_an_error():
    with pytest.raises(ValueError, match="no such rule"):
        policies(exclude={"no-such-rule"})
    assert "naming-convention" not in {p.name for p in policies(exclude={"naming-convention"})}


def test_an_unknown_value_stops_only_the_rules_that_read_it():
    """At preview, pulumi-policy hands rules a proxy that raises on values not known yet."""
    from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

    from pulumi_policies.engine_state import UNKNOWN

    prod = {"name": "prod-admins", "access_type": "Allow", "resource_labels": {"env": ["prod"]},
            "description": UNKNOWN, "members": {}}
    held = {**prod, "members": {"tags": [{"name": "sre"}]}}
    found = stack_violations("production-access-needs-approval", [("ResourcePolicy", "r", unknown_checking_proxy(held))])
    assert found and "JUSTIFICATION" in found[0]  # the unknown description does not silence the gate
    # members not known yet: someone gets production access, and nobody approves it
    later = {**held, "members": {"tags": [{"name": UNKNOWN}]}}
    found = stack_violations("production-access-needs-approval", [("ResourcePolicy", "r", unknown_checking_proxy(later))])
    assert found and "tag (known after apply)" in found[0]
    assert violations("active-policy-needs-members", "ResourcePolicy", unknown_checking_proxy(prod))
    with pytest.raises(UnknownValueError):  # a rule that reads the unknown value is reported as not run
        violations("active-policy-needs-members", "ResourcePolicy",
                   unknown_checking_proxy({**prod, "members": UNKNOWN}))


def test_production_access_needs_approval_reads_the_access_model_of_the_stack():
    def check(*resources, config=None):
        return stack_violations("production-access-needs-approval", list(resources), config)

    prod = {"name": "prod", "members": {"tags": [{"name": "sre"}]}, "resource_labels": {"env": ["prod"]}}
    assert check(("ResourcePolicy", "r", prod)) == [
        "ResourcePolicy 'r' allows tag sre access to production (resources env in [prod]) without approval: add a "
        "condition.approval naming approvers (or requiring manager approval), a JUSTIFICATION setting "
        "(is_justification_required=True) or an enabled ITSM setting."]
    # approved by a condition naming approvers, or requiring the manager; by a JUSTIFICATION; by an enabled ITSM
    approvers = {"approval": {"approvers": {"user_ids": ["lead"]}}}
    manager = {"approval": {"managerApproval": {"condition": "Manager", "required": True}}}
    assert check(("ResourcePolicy", "r", {**prod, "condition": approvers})) == []
    assert check(("ResourcePolicy", "r", {**prod, "condition": manager})) == []
    assert check(("ResourcePolicy", "r", {**prod, "settings": JUSTIFIED})) == []
    not_required = {"approval": {"manager_approval": {"condition": "All", "required": False}}}
    assert check(("ResourcePolicy", "r", {**prod, "condition": not_required}))
    # a Deny that takes the access away: nothing to approve; removing it is caught as surely as a member added
    deny = {**prod, "name": "no-sre", "access_type": "Deny"}
    assert check(("ResourcePolicy", "r", prod), ("ResourcePolicy", "d", deny)) == []
    # labels widened from staging, or not constrained by env at all (keys combine with AND): production too
    staging = {**prod, "resource_labels": {"env": ["staging"]}}
    assert check(("ResourcePolicy", "r", staging)) == []
    assert check(("ResourcePolicy", "r", {**prod, "resource_labels": {"env": ["staging", "prod"]}}))
    assert check(("ResourcePolicy", "r", {**prod, "resource_labels": {"team": ["db"]}}))
    # switched off or a draft: nobody's access; a production profile's policy; ITSM switched off is no approval
    assert check(("ResourcePolicy", "r", {**prod, "is_active": False})) == []
    pp = {"name": "admins", "profile_id": "p-prod", "members": {"users": [{"name": "alice"}]},
          "settings": [{"settings_type": "ITSM", "is_itsm_enabled": False, "connection_id": "c", "connection_type": "t"}]}
    found = check(("ProfilePolicy", "admins", pp), config={"productionProfiles": ["p-prod"]})
    assert found and found[0].startswith("ProfilePolicy 'admins' allows user alice access to production (profile 'p-prod')")
    assert check(("ProfilePolicy", "admins", pp)) == []  # not a production profile
    # a policy set's policy, named by its set and key
    estate = {"policies": {"prod": prod}}
    assert check(("ResourcePolicySet", "estate", estate))[0].startswith("ResourcePolicy 'estate[prod]' allows")
