"""The rules as pulumi-policy objects, and a ready pack.

In a policy pack's ``__main__.py``::

    from pulumi_policies.policypack import guardrails_pack
    guardrails_pack()                       # every rule, default enforcement

or compose the rules into your own pack::

    from pulumi_policy import PolicyPack
    from pulumi_policies.policypack import policies
    PolicyPack("my-pack", policies=[*policies(exclude={"naming-convention"}), my_own_policy])

Enforcement per rule and each rule's settings come from ``pulumi preview --policy-pack-config``
(``{"<rule>": {"enforcementLevel": "advisory", "<setting>": ...}}``); defaults are in ``rules.RULES``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..declared import policies_of
from ..registry import TYPE_PREFIX
from .rules import RULES, Rule

PACK_NAME = "pulumi-policies-guardrails"


def _config(rule: Rule, args: Any) -> dict[str, Any]:
    given: Mapping[str, Any] = args.get_config() or {}
    return {**rule.defaults(), **{k: v for k, v in given.items() if k != "enforcementLevel"}}


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for policy in policies_of(args.resource_type, args.name, args.props):
            if policy.kind in rule.kinds():
                for message in rule.check(policy, _config(rule, args)):
                    report_violation(message, args.urn)

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                    enforcement_level=_level(rule), config_schema=_schema(rule))


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ours = [p for r in args.resources if r.resource_type.startswith(TYPE_PREFIX)
                for p in policies_of(r.resource_type, r.name, r.props)]
        for message in rule.check(ours, _config(rule, args)):
            report_violation(message, None)  # no urn: a violation of the stack

    return StackValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                 enforcement_level=_level(rule), config_schema=_schema(rule))


def _level(rule: Rule) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if rule.mandatory else EnforcementLevel.ADVISORY


def _schema(rule: Rule) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=rule.config) if rule.config else None


def policies(exclude: Collection[str] = ()) -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Every rule as a pulumi-policy policy, to use in a pack of your own."""
    unknown = set(exclude) - {r.name for r in RULES}
    if unknown:
        raise ValueError(f"no such rule(s): {sorted(unknown)}; rules: {[r.name for r in RULES]}")
    return [_resource_policy(r) if r.applies else _stack_policy(r) for r in RULES if r.name not in exclude]


def guardrails_pack(name: str = PACK_NAME, exclude: Collection[str] = ()) -> PolicyPack:
    """Serve the pack (only call this from a policy pack's program: it starts the analyzer)."""
    pack_policies: list[Policy] = [*policies(exclude)]
    return PolicyPack(name=name, policies=pack_policies)
