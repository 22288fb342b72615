"""Guardrails for policies as code: a pulumi-policy pack for the three resource types.

``rules`` holds the rules as plain functions; ``pack`` turns them into pulumi-policy policies. ``pack`` is loaded
on first use (PEP 562): pulumi-policy imports the Pulumi SDK, which the rules themselves do not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..declared import DeclaredPolicy, normalise
from .rules import RULES, Rule

if TYPE_CHECKING:
    from .pack import PACK_NAME, guardrails_pack, policies

_FROM_PACK = ("PACK_NAME", "guardrails_pack", "policies")


def __getattr__(name: str) -> Any:
    if name not in _FROM_PACK:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import pack
    return getattr(pack, name)


__all__ = ["PACK_NAME", "RULES", "DeclaredPolicy", "Rule", "guardrails_pack", "normalise", "policies"]
