"""The registry of resources: everything that differs between them, as data, in one ``ResourceSpec`` each.

It sits below ``providers/`` and imports nothing of ``pulumi``: the provider engine and the resource classes
read it, and so do ``export``, the review report, the access model, the policy pack and the CLI's choices,
without loading the dynamic-provider SDK (a test keeps it so). None of them names a resource. Adding one is a
spec (``register``), its model pair in ``models/``, its resource class in ``resources/`` and its tests
(docs/DESIGN.md, "Adding a resource").

- ``spec.py``: ``ResourceSpec``, ``SPECS``, ``register``, the type token, and how policy sets are named;
- ``remotes.py``: the ``Remote`` of each API family (one set of verbs over a collection) and the import keys;
- ``listing.py``: reads served from one listing of a collection;
- ``builtin.py``: the built-in kinds, registered on import.
"""

from ..engine_state import UNKNOWN, contains_unknown
from . import builtin as _builtin  # noqa: F401 - registers the built-in kinds
from .spec import (
    CONNECTION,
    IDS,
    IMPORT_ID,
    ITEMS,
    SET_SUFFIX,
    SPECS,
    TYPE_MODULE,
    TYPE_PREFIX,
    Remote,
    ResourceSpec,
    item_key,
    item_label,
    item_spec,
    items_of,
    register,
    set_kinds,
)

__all__ = [
    "CONNECTION", "IDS", "IMPORT_ID", "ITEMS", "SET_SUFFIX", "SPECS", "TYPE_MODULE", "TYPE_PREFIX", "UNKNOWN", "Remote",
    "ResourceSpec", "contains_unknown", "item_key", "item_label", "item_spec", "items_of", "register", "set_kinds",
]
