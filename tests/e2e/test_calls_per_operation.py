"""The fewest HTTP calls per operation, counted by the embedded server's request log."""

from __future__ import annotations

import pytest

from tests.support.policies import calls_per_operation, new_policy_stack

NCCM = "/ux/nccm/configuration_policies/"
RM_ONE = "/api/resource-manager/policies"
EXPECTED = {
    "ConfigurationPolicy": {
        "create": {f"POST {NCCM}": 1, f"GET {NCCM}": 1},  # 201 without a body, then one page of the newest
        "update": {f"PUT {NCCM}{{policy_id}}/": 1},
        "refresh": {f"GET {NCCM}{{policy_id}}/": 1},
        "delete": {f"DELETE {NCCM}{{policy_id}}/": 1},
        "adopt (import_id)": {f"GET {NCCM}{{policy_id}}/": 1},
    },
    "ResourcePolicy": {
        "create": {f"POST {RM_ONE}": 1},
        "update": {f"PATCH {RM_ONE}/{{ref}}": 1},
        "refresh": {f"GET {RM_ONE}/{{ref}}": 1},
        "delete": {f"DELETE {RM_ONE}/{{ref}}": 1},
        "adopt (import_id)": {f"GET {RM_ONE}/{{ref}}": 1},
    },
    "ProfilePolicy": {
        "create": {"POST /api/resource-manager/profiles/{profile_id}/policies": 1},
        "update": {"PATCH /api/resource-manager/profiles/{profile_id}/policies/{ref}": 1},
        "refresh": {"GET /api/resource-manager/profiles/{profile_id}/policies/{ref}": 1},
        "delete": {"DELETE /api/resource-manager/profiles/{profile_id}/policies/{ref}": 1},
        "adopt (import_id)": {"GET /api/resource-manager/profiles/{profile_id}/policies/{ref}": 1},
    },
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_calls_per_operation(kind, server, make_stack, tmp_path):
    table = calls_per_operation(new_policy_stack(make_stack, server, tmp_path / "p"), server, kind)
    print(f"\n{kind}: " + "; ".join(f"{op} {sum(c.values())}" for op, c in table.items()))
    for operation in ("preview (create)", "no-op preview", "no-op up"):
        assert table[operation] == {}, (operation, table[operation])
    for operation, calls in EXPECTED[kind].items():
        assert table[operation] == calls, (operation, table[operation])
    assert sum(table["destroy"].values()) == 1 and next(iter(table["destroy"])).startswith("DELETE")
