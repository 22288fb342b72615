"""Pulumi dynamic providers: one generic engine (engine.py), one spec per resource (specs.py).

Each registered spec gets its provider class here, ``<Kind>Provider``: a module attribute, so that the
provider object Pulumi pickles into the state is found again by reference (the names are the ones
earlier releases wrote into existing states).
"""

from pulumi.runtime.rpc import UNKNOWN  # the engine's placeholder for values known after apply

from .engine import PolicyProvider, PolicyProviderError
from .specs import CONNECTION, SPECS, TYPE_MODULE, TYPE_PREFIX, ResourceSpec, register

PROVIDERS: dict[str, type[PolicyProvider]] = {}


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


for _spec in list(SPECS.values()):
    provider_class(_spec)

__all__ = [
    "CONNECTION", "PROVIDERS", "SPECS", "TYPE_MODULE", "TYPE_PREFIX", "UNKNOWN", "PolicyProvider", "PolicyProviderError",
    "ResourceSpec", "provider_class", "register",
]
