"""Pulumi dynamic providers: one generic engine (engine.py), one spec per resource (specs.py).

Each registered spec gets its provider classes here, ``<Kind>Provider`` and ``<Kind>SetProvider`` (its policy
sets, sets.py): module attributes, so that the provider object Pulumi pickles into the state is found again by
reference (the names are the ones earlier releases wrote into existing states).
"""

from pulumi.runtime.rpc import UNKNOWN  # the engine's placeholder for values known after apply

from .engine import PolicyProvider, PolicyProviderError
from .sets import SET_SUFFIX, PolicySetProvider
from .specs import CONNECTION, SPECS, TYPE_MODULE, TYPE_PREFIX, ResourceSpec, register

PROVIDERS: dict[str, type[PolicyProvider]] = {}
SET_PROVIDERS: dict[str, type[PolicySetProvider]] = {}  # by the set's kind: <Kind>Set


def provider_class(spec: ResourceSpec) -> type[PolicyProvider]:
    """The provider class of a registered spec, made once."""
    if SPECS.get(spec.kind) is not spec:
        raise ValueError(f"{spec.kind!r} is not a registered resource: register(spec) first")
    cls = PROVIDERS.get(spec.kind)
    if cls is None:
        name = f"{spec.kind}Provider"
        cls = type(name, (PolicyProvider,), {"spec": spec, "__module__": __name__, "__qualname__": name})
        PROVIDERS[spec.kind] = globals()[name] = cls
    return cls


def set_provider_class(spec: ResourceSpec) -> type[PolicySetProvider]:
    """The provider class of a registered spec's sets, made once."""
    kind = spec.kind + SET_SUFFIX
    cls = SET_PROVIDERS.get(kind)
    if cls is None:
        name = f"{kind}Provider"
        cls = type(name, (PolicySetProvider,), {"item": provider_class(spec), "__module__": __name__,
                                                "__qualname__": name})
        SET_PROVIDERS[kind] = globals()[name] = cls
    return cls


for _spec in list(SPECS.values()):
    provider_class(_spec)
    set_provider_class(_spec)

__all__ = [
    "CONNECTION", "PROVIDERS", "SET_PROVIDERS", "SET_SUFFIX", "SPECS", "TYPE_MODULE", "TYPE_PREFIX", "UNKNOWN",
    "PolicyProvider", "PolicyProviderError", "PolicySetProvider", "ResourceSpec", "provider_class",
    "register", "set_provider_class",
]
