"""declared.py, the one conversion of a policy's inputs to Python names, for the access model and the guardrails."""

from __future__ import annotations

from pulumi_policy.proxy import unknown_checking_proxy

from pulumi_policies.declared import known, policies_of
from pulumi_policies.registry import UNKNOWN


def test_known_reads_every_value_once_in_python_names_an_unknown_spoiling_only_itself() -> None:
    """At preview pulumi-policy hands the pack a proxy that raises on a value not known yet; the access model reads
    every value, so ``known`` reads each part on its own: an unknown is UNKNOWN alone, the rest under Python names
    at every level (camelCase aliases too, inside proxies as in plain data)."""
    props = {"name": "r", "description": UNKNOWN, "resourceLabels": {"env": ["prod", UNKNOWN]},
             "members": {"users": [{"name": "a"}, {"name": UNKNOWN}], "serviceIdentities": UNKNOWN},
             "condition": {"approval": {"managerApproval": {"condition": "Manager", "required": True}},
                           "ipAddress": UNKNOWN},
             "settings": [{"settingsType": "JUSTIFICATION", "isJustificationRequired": True}]}
    expected = {"name": "r", "resource_labels": {"env": ["prod", UNKNOWN]},
                "members": {"users": [{"name": "a"}, {"name": UNKNOWN}], "service_identities": UNKNOWN},
                "condition": {"approval": {"manager_approval": {"condition": "Manager", "required": True}},
                              "ip_address": UNKNOWN},
                "settings": [{"settings_type": "JUSTIFICATION", "is_justification_required": True}]}
    for given in (props, unknown_checking_proxy(props)):
        [policy] = policies_of("ResourcePolicy", "r", given)
        read = known(policy, ["name", "resource_labels", "members", "condition", "settings", "is_active"])
        assert dict(read.props) == expected
        assert dict(known(policy).props) == {**expected, "description": UNKNOWN}
    # a policy of a set: the same reading, named by its set and key
    [item] = policies_of("ResourcePolicySet", "estate", unknown_checking_proxy(
        {"policies": {"a": {"name": "a", "members": {"tags": [{"name": UNKNOWN}]}}}}))
    assert item.name == "estate[a]" and known(item, ["members"]).props == {"members": {"tags": [{"name": UNKNOWN}]}}
