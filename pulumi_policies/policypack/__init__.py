"""Guardrails for policies as code: a pulumi-policy pack for the three resource types.

``rules`` holds the rules as plain functions; ``pack`` turns them into pulumi-policy policies.
"""

from ..declared import DeclaredPolicy, normalise
from .pack import PACK_NAME, guardrails_pack, policies
from .rules import RULES, Rule

__all__ = ["PACK_NAME", "RULES", "DeclaredPolicy", "Rule", "guardrails_pack", "normalise", "policies"]
