"""Pulumi dynamic providers: one provider (policy.py, on base.py) over the registry's specs (pulumi_policies.registry).

Each registered spec gets its provider classes here, ``<Kind>Provider`` and ``<Kind>SetProvider`` (its policy
sets, sets.py): module attributes, so that the provider object Pulumi pickles into the state is found again by
reference (the names are the ones earlier releases wrote into existing states).
"""

from typing import Any, TypeVar

from ..registry import CONNECTION, SET_SUFFIX, SPECS, TYPE_MODULE, TYPE_PREFIX, UNKNOWN, ResourceSpec, register
from .base import PolicyProviderError
from .policy import PolicyProvider
from .sets import PolicySetProvider

PROVIDERS: dict[str, type[PolicyProvider]] = {}
SET_PROVIDERS: dict[str, type[PolicySetProvider]] = {}  # by the set's kind: <Kind>Set
T = TypeVar("T")


def _class_once(registry: dict[str, type[T]], kind: str, base: type[T], attributes: dict[str, Any]) -> type[T]:
    """`registry[kind]`, made the first time as ``<kind>Provider``, a subclass of `base`, and a module attribute."""
    cls = registry.get(kind)
    if cls is None:
        name = f"{kind}Provider"
        cls = type(name, (base,), {**attributes, "__module__": __name__, "__qualname__": name})
        registry[kind] = globals()[name] = cls
    return cls


def provider_class(spec: ResourceSpec) -> type[PolicyProvider]:
    """The provider class of a registered spec, made once."""
    if SPECS.get(spec.kind) is not spec:
        raise ValueError(f"{spec.kind!r} is not a registered resource: register(spec) first")
    return _class_once(PROVIDERS, spec.kind, PolicyProvider, {"spec": spec})


def set_provider_class(spec: ResourceSpec) -> type[PolicySetProvider]:
    """The provider class of a registered spec's sets, made once."""
    return _class_once(SET_PROVIDERS, spec.kind + SET_SUFFIX, PolicySetProvider, {"item": provider_class(spec)})


for _spec in list(SPECS.values()):
    provider_class(_spec)
    set_provider_class(_spec)

__all__ = [
    "CONNECTION", "PROVIDERS", "SET_PROVIDERS", "SET_SUFFIX", "SPECS", "TYPE_MODULE", "TYPE_PREFIX", "UNKNOWN",
    "PolicyProvider", "PolicyProviderError", "PolicySetProvider", "ResourceSpec", "provider_class",
    "register", "set_provider_class",
]
