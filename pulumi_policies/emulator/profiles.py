"""Server profiles: each a coherent set of behaviours that one kind of real deployment shows.

Every behaviour cites its evidence (the emulator README has the table). ``documented`` is the
default: the two documents in ``shared/api`` taken literally.
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_args, get_type_hints

from .state import Behaviour

PROFILES: dict[str, dict[str, Any]] = {
    # The documents, literally: NCCM takes the bare key ("Authorization: YOUR_API_KEY"); lists are bare
    # arrays; condition is an object ("condition": {}); policies are addressed by policyId.
    "documented": {},
    # Britive's tenants, as Britive's own clients show them (britive 4.7.0 on PyPI; terraform-provider-britive
    # at 79a8937): condition is a JSON string in answers (Go `Condition string`, models.go 513-527) and writes
    # take an object (SDK create), a string (Terraform) or null (SDK update, policies.py 140-154); members may
    # be [] (SDK default) and come in five kinds (client.go 413-435); lists page with {count, page, size, data}
    # from page 0 (SDK britive.py 277-281; Terraform's pager defaults to size 10, client.go 146-201); a policy
    # is read and patched by name (GET .../policies/{name}?compactResponse=true); names need only not be
    # blank (validation.StringIsNotWhiteSpace); members given by name are read back with an id, and every
    # kind is returned, [] when empty (MembersEqual compares entries whole, ids included).
    # The condition is validated and stored, not echoed (condition_store=britive): the Go client's equality
    # functions exist because reads differ from what was sent (client.go ApproversBlockEqual 603-661 and
    # TeamsAppChannelsBlockEqual 934-1013: approver lists and channels in any order; DaysScheduleBlockEqual
    # 790-850: days in any order; ApprovalBlockEqual 507-601: notificationMedium lists in any order (65cbd40) and
    # a managerApproval that is not required comes back absent (536-540, 843a101/2eb97b0); IPAddressBlockEqual
    # 852-882: items trimmed and reordered (948ae33, 81123e5, d4153e5)); the values are checked as Britive
    # documents them (docs/resources/resource_manager_profile_policy.md 53-84, 109-122). Settings include IM
    # (setting_types=britive; models.go 384-398 Setting, resource_advanced_settings.go 470-611). A profile's
    # policies are prioritised (prioritization; resource_manager_profile.go 74-200: PATCH profiles/{id}
    # {"policyOrderingEnabled"}, POST .../policies/order, `order` on each policy; britive 4.7.0
    # access_broker/profiles/policy_prioritization.py 1-46).
    "britive": {"rm_list": "paged", "condition_as": "string", "condition_in": "any", "members_in": "object-or-list",
                "member_kinds": "britive", "empty_kinds": "list", "fill_member_ids": True, "get_by_name": True,
                "rm_name_max": None, "condition_store": "britive", "setting_types": "britive",
                "prioritization": True},
    # Infraon's NCCM, a Django REST framework + mongoengine service ("Serializer for Documents" in the
    # document): API keys as "Authorization: ApiKey <key>" (Infraon API guide, Authorization page; 401
    # {"error": "Invalid API key."} on its Responses page); DRF page-number paging answers a page past the last
    # with 404 {"detail": "Invalid page."} (rest_framework/pagination.py, invalid_page_message); a unique
    # index on policyid + organization is DRF's UniqueTogetherValidator, {"non_field_errors": ["The fields
    # policyid, organization must make a unique set."]} (rest_framework/validators.py); unset fields are
    # serialized as null (Serializer.to_representation).
    "infraon": {"nccm_auth": "apikey", "nccm_past_last_page": "404", "nccm_unset": "null",
                "nccm_unique_error": "drf"},
}


def _choices() -> dict[str, tuple[Any, ...] | type]:
    hints = get_type_hints(Behaviour)
    out: dict[str, tuple[Any, ...] | type] = {}
    for f in dataclasses.fields(Behaviour):
        if f.name == "profile":
            continue
        args = get_args(hints[f.name])
        out[f.name] = args if args and all(isinstance(a, str) for a in args) else hints[f.name]
    return out


def behaviour(profile: str = "documented", **overrides: Any) -> Behaviour:
    """The behaviours of `profile`, with single switches overridden."""
    if profile not in PROFILES:
        raise ValueError(f"unknown server profile {profile!r}; choices: {', '.join(PROFILES)}")
    result = Behaviour(profile=profile, **PROFILES[profile])
    return change(result, **overrides)


def change(current: Behaviour, **switches: Any) -> Behaviour:
    """`current` with `switches` changed (a ``profile`` key starts from that profile); checks every value."""
    if "profile" in switches:
        current = behaviour(str(switches.pop("profile")))
    choices = _choices()
    for key, value in switches.items():
        allowed = choices.get(key)
        if allowed is None:
            raise ValueError(f"unknown switch {key!r}; switches: {', '.join(choices)}")
        if isinstance(allowed, tuple) and value not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(map(str, allowed))} (got {value!r})")
        if key == "rm_name_max" and value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"rm_name_max must be a positive integer or null (got {value!r})")
        if allowed is bool and not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false (got {value!r})")
    return dataclasses.replace(current, **switches)
