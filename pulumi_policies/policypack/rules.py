"""Guardrails for access and configuration policies, as plain functions.

Each rule takes a policy (its kind, name and inputs, snake_case) and its configuration, and yields
one message per violation. The functions know nothing of Pulumi: ``pack.py`` wraps them into
pulumi-policy ``ResourceValidationPolicy``/``StackValidationPolicy`` objects, and tests call them directly.

To add a rule: write a function ``(policy, config) -> Iterator[str]`` (or ``(policies, config)`` for
a stack rule), give it a ``Rule`` entry in ``RULES`` with its kinds, default enforcement and config
schema (every property with a ``default``), and add pass/fail cases to ``tests/policypack``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..access import ACCESS_FIELDS, Reach, build
from ..declared import DeclaredPolicy, known
from ..models.canonical import canonical
from ..registry import SPECS, ResourceSpec

# Justifications a regex must refuse at least one of; a regex accepting all of them accepts anything.
PROBES = ("x", "because", "n/a", "1234", "fix it", "-")


def is_production(policy: DeclaredPolicy, config: Mapping[str, Any]) -> bool:
    if policy.get("profile_id") is not None and policy.get("profile_id") in (config.get("productionProfiles") or []):
        return True
    labels = policy.get("resource_labels", {})
    return any(set(labels.get(key) or []) & set(values) for key, values in
               (config.get("productionLabels") or {}).items())


# -- resource rules ---------------------------------------------------------------------------------
def active_policy_needs_members(policy: DeclaredPolicy, config: Mapping[str, Any]) -> Iterator[str]:
    if policy.get("is_active", True) is not False and not policy.members():
        yield (f"{policy.label} is active but grants nobody: add members (users, tags or service_identities) "
               "or set is_active=False.")


APPROVAL_HINT = ("add a condition.approval naming approvers (or requiring manager approval), a JUSTIFICATION setting "
                 "(is_justification_required=True) or an enabled ITSM setting")


def reaches_production(reach: Reach, config: Mapping[str, Any]) -> bool:
    """Does a reach include production: a production profile, or resources a production label may carry? A
    selector that does not constrain a production label's key reaches every value of it (keys combine with AND)."""
    if reach.profile is not None and reach.profile in (config.get("productionProfiles") or []):
        return True
    selector = dict(reach.selector)
    if reach.profile is not None and not selector:
        return False  # a profile's policy without labels: production only by its profile
    return any(key not in selector or selector[key] & set(values)
               for key, values in (config.get("productionLabels") or {}).items())


def production_access_needs_approval(policies: Iterable[DeclaredPolicy], config: Mapping[str, Any]) -> Iterator[str]:
    """Access to production, as the access model computes it for the whole stack (Deny, order and liveness applied,
    so a Deny removed or a label widened counts as surely as a member added), is approved."""
    policies = [known(p, ACCESS_FIELDS) for p in policies]  # every value read; one not known yet is the widest
    labels = {p.name: p.label for p in policies}
    for held in build(policies).accesses:
        if not held.gate.approved and reaches_production(held.reach, config):
            via = ", ".join(labels.get(v, v) for v in held.via)
            yield (f"{via} allows {held.principal.text().replace('`', '')} access to production ({held.reach.text()}"
                   f") without approval: {APPROVAL_HINT}.").replace("`", "'")


def justification_regex_must_constrain(policy: DeclaredPolicy, config: Mapping[str, Any]) -> Iterator[str]:
    justification = policy.setting("JUSTIFICATION")
    pattern = justification.get("justification_regex") if justification else None
    if not pattern:
        return
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        yield f"{policy.label}: justification_regex {pattern!r} does not compile ({exc})."
        return
    if all(compiled.search(p) for p in PROBES):
        yield (f"{policy.label}: justification_regex {pattern!r} accepts any justification (it matches "
               f"{', '.join(repr(p) for p in PROBES[:3])}...): anchor it to what a real one looks like, "
               "e.g. '^CHG[0-9]{7}$'.")


def resource_policy_needs_scope(policy: DeclaredPolicy, config: Mapping[str, Any]) -> Iterator[str]:
    if policy.kind == "ResourcePolicy" and policy.grants() and not (
            policy.get("resource") or policy.get("resource_labels")):
        yield (f"{policy.label} names no resource and no resource_labels, so it reaches every resource: "
               "set resource=... or resource_labels={...}.")


def prefer_tags_over_users(policy: DeclaredPolicy, config: Mapping[str, Any]) -> Iterator[str]:
    limit = int(config.get("maxDirectUsers", 1))
    users = [m for kind, m in policy.members() if kind == "users"]
    if len(users) > limit:
        yield (f"{policy.label} grants {len(users)} users directly (at most {limit}): grant a tag they belong to "
               "instead, so that joiners and leavers are handled in one place.")


def naming_convention(policy: DeclaredPolicy, config: Mapping[str, Any]) -> Iterator[str]:
    if policy.spec is None:
        return
    pattern = str(config.get("pattern") or r"^[a-z0-9][a-z0-9-]*$")
    field_name = policy.spec.natural_key[0]  # what names it uniquely: name, or policyid
    value = policy.get(field_name)
    if isinstance(value, str) and not re.search(pattern, value):
        yield f"{policy.label}: {field_name} {value!r} does not follow the naming pattern {pattern!r}."


def configuration_policy_schedule_and_organization(policy: DeclaredPolicy, config: Mapping[str, Any]) -> Iterator[str]:
    if not policy.get("policy_schedule"):
        yield f"{policy.label} has no policy_schedule: say when it runs, e.g. {{'frequency': 'daily', 'time': '02:00'}}."
    allowed = config.get("allowedOrganizations") or []
    organization = policy.get("organization")
    if allowed and organization not in allowed:
        yield (f"{policy.label}: organization {organization!r} is not one of the allowed organizations "
               f"{sorted(allowed)}.")


def no_drafts_in_production(policy: DeclaredPolicy, config: Mapping[str, Any]) -> Iterator[str]:
    if policy.get("is_draft") is True and is_production(policy, config):
        yield f"{policy.label} is a draft on production resources: finish it (is_draft=False) or move it elsewhere."


# -- stack rules ------------------------------------------------------------------------------------
def no_duplicate_grants(policies: Iterable[DeclaredPolicy], config: Mapping[str, Any]) -> Iterator[str]:
    """No two policies grant the same member the same access: same profile, resource or labels, access level,
    condition and settings (the same member with another access level or condition is another grant)."""
    seen: dict[tuple[Any, ...], str] = {}
    for policy in policies:
        if policy.spec is None or not policy.spec.grants_access or not policy.grants():
            continue
        access = canonical(policy.spec.args_model, policy.props, only=("access_level", "condition", "settings"))
        target = (policy.kind, policy.get("profile_id"), policy.get("resource"),
                  tuple(sorted((k, tuple(sorted(v))) for k, v in policy.get("resource_labels", {}).items())),
                  json.dumps(access, sort_keys=True, default=str))
        for member in policy.members():
            key = (*target, *member)
            if key in seen and seen[key] != policy.label:
                yield (f"{policy.label} and {seen[key]} both grant {member[0][:-1].replace('_', ' ')} "
                       f"{member[1]!r} the same access: keep one of them.")
            seen.setdefault(key, policy.label)


def grants_access(spec: ResourceSpec) -> bool:
    """Resources that grant access to members (a GRANTS field): every one registered, now or later."""
    return spec.grants_access


def any_kind(spec: ResourceSpec) -> bool:
    return True


def kind(name: str) -> Callable[[ResourceSpec], bool]:
    """A rule about one resource's own fields."""
    return lambda spec: spec.kind == name


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[..., Iterator[str]]
    applies: Callable[[ResourceSpec], bool] | None   # which registered resources it checks; None: a stack rule
    mandatory: bool
    config: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON schema properties, with defaults

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config.items()}

    def kinds(self) -> list[str]:
        """The registered kinds it checks, as of now."""
        return [k for k, spec in SPECS.items() if self.applies is not None and self.applies(spec)]


PRODUCTION = {
    "productionLabels": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                         "default": {"env": ["prod", "production"]},
                         "description": "resource labels that mark production: {label: [values]}"},
    "productionProfiles": {"type": "array", "items": {"type": "string"}, "default": [],
                           "description": "profile ids whose policies are production"},
}

RULES: tuple[Rule, ...] = (
    Rule("active-policy-needs-members", "An active access policy grants at least one member.",
         active_policy_needs_members, grants_access, mandatory=True),
    Rule("production-access-needs-approval",
         "Whoever the stack gives production access is approved first: an approval condition, a JUSTIFICATION or an "
         "ITSM setting.", production_access_needs_approval, None, mandatory=True, config=PRODUCTION),
    Rule("justification-regex-must-constrain", "A justification regex compiles and does not accept everything.",
         justification_regex_must_constrain, grants_access, mandatory=True),
    Rule("resource-policy-needs-scope", "A resource policy names its resource or resource labels.",
         resource_policy_needs_scope, kind("ResourcePolicy"), mandatory=True),
    Rule("prefer-tags-over-users", "Access goes to tags (groups) rather than to many individual users.",
         prefer_tags_over_users, grants_access, mandatory=False,
         config={"maxDirectUsers": {"type": "integer", "minimum": 0, "default": 1,
                                    "description": "users a policy may name directly"}}),
    Rule("naming-convention", "DeclaredPolicy names (policyid for configuration policies) follow the naming pattern.",
         naming_convention, any_kind, mandatory=False,
         config={"pattern": {"type": "string", "default": r"^[a-z0-9][a-z0-9-]*$",
                             "description": "regular expression names must match"}}),
    Rule("configuration-policy-schedule-and-organization",
         "A configuration policy has a schedule and belongs to an allowed organization.",
         configuration_policy_schedule_and_organization, kind("ConfigurationPolicy"), mandatory=True,
         config={"allowedOrganizations": {"type": "array", "items": {"type": "string"}, "default": [],
                                          "description": "organizations allowed (empty: any)"}}),
    Rule("no-drafts-in-production", "No draft policy applies to production resources.",
         no_drafts_in_production, grants_access, mandatory=True, config=PRODUCTION),
    Rule("no-duplicate-grants", "No two policies grant the same member the same access.",
         no_duplicate_grants, None, mandatory=False),
)
