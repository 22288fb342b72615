"""The readers of the registry learn what a kind is without loading the dynamic-provider SDK: the registry sits
below ``providers/``, and importing any part of ``pulumi`` imports ``pulumi.dynamic`` (``pulumi/__init__.py``).

Each module is imported in a fresh interpreter, so that what other tests loaded does not hide an import."""

from __future__ import annotations

import subprocess
import sys

import pytest

READERS = [
    "pulumi_policies.registry",
    "pulumi_policies.access",
    "pulumi_policies.report",
    "pulumi_policies.declared",
    "pulumi_policies.export",
    "pulumi_policies.policypack",
    "pulumi_policies.policypack.rules",
    "pulumi_policies.engine_state",
]


@pytest.mark.parametrize("module", READERS)
def test_a_reader_of_the_registry_does_not_import_pulumi_dynamic(module):
    probe = f"import sys, {module}; print(sorted(m for m in sys.modules if m == 'pulumi' or m.startswith('pulumi.')))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", f"importing {module} loads the Pulumi SDK: {result.stdout.strip()}"


def test_the_unknown_placeholder_is_the_sdks():
    from pulumi.runtime.rpc import UNKNOWN as SDK_UNKNOWN

    from pulumi_policies.registry import UNKNOWN
    assert UNKNOWN == SDK_UNKNOWN


def test_every_kind_has_a_set_kind_whose_items_are_it():
    from pulumi_policies.providers import SET_PROVIDERS
    from pulumi_policies.registry import SPECS, item_spec, set_kinds
    assert set(SET_PROVIDERS) <= set_kinds()
    for kind, provider in SET_PROVIDERS.items():
        assert item_spec(kind) is provider.item.spec
    assert all(item_spec(kind) is None for kind in SPECS)
