"""Payloads of the NCCM configuration-policy API (``/ux/nccm/configuration_policies/``).

The wire is snake_case already, so Python names are the wire names. ``policyid`` and
``organization`` are required (max 25 characters) and together form the natural key.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from ._base import READ_ONLY, REPLACE, RUN_STATE, UNORDERED, StrictModel, Timestamp, lenient, server_default

_MAX_KEY = 25


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Key = Annotated[str, AfterValidator(_not_blank)]


class ConfigurationPolicyArgs(StrictModel):
    """The writable fields of a configuration policy, as users declare them and as we send them."""

    policyid: Key = Field(min_length=1, max_length=_MAX_KEY, json_schema_extra=REPLACE)
    organization: Key = Field(min_length=1, max_length=_MAX_KEY, json_schema_extra=REPLACE)
    name: str = ""
    description: str = ""
    processid: int | None = Field(None, json_schema_extra=server_default(1))
    associate_users: str = ""
    associate_groups: str = ""
    associated_rules: str = ""
    associated_rule_groups: list[Any] = Field(default_factory=list, json_schema_extra=UNORDERED)
    policy_schedule: dict[str, Any] = Field(default_factory=dict)
    assigned_users: list[Any] = Field(default_factory=list, json_schema_extra=UNORDERED)
    assigned_group: list[Any] = Field(default_factory=list, json_schema_extra=UNORDERED)
    # Documented as writable, but run state the server keeps: compared only when declared.
    lastupdatetime: Timestamp | None = Field(None, json_schema_extra=RUN_STATE)
    activated_by: str | None = Field(None, json_schema_extra=RUN_STATE)
    activation_time: Timestamp | None = Field(None, json_schema_extra=RUN_STATE)
    activation_remarks: str | None = Field(None, json_schema_extra=RUN_STATE)
    lastaction: Timestamp | None = Field(None, json_schema_extra=RUN_STATE)
    nextaction: Timestamp | None = Field(None, json_schema_extra=RUN_STATE)
    progress: int | None = Field(None, json_schema_extra=RUN_STATE)
    starttime: int | None = Field(None, json_schema_extra=RUN_STATE)
    endtime: int | None = Field(None, json_schema_extra=RUN_STATE)
    created_by: str | None = Field(None, json_schema_extra=RUN_STATE)
    modified_by: str | None = Field(None, json_schema_extra=RUN_STATE)
    is_deleted: bool | None = Field(None, json_schema_extra=server_default(False))


# Read-only fields of the document: ignored when sent, always returned.
NCCM_READ_ONLY = ("id", "status", "creationtime", "last_update_time", "next_action_time", "last_action_time",
                  "is_private", "rule_description", "schedule_descr", "visibility")

# A configuration policy as the server returns it: the writable fields and the read-only ones, unknown kept.
ConfigurationPolicyRecord = lenient(ConfigurationPolicyArgs, name="ConfigurationPolicyRecord", extra={
    "id": (str, Field(json_schema_extra=READ_ONLY)),
    **{f: (str | None, Field(None, json_schema_extra=READ_ONLY)) for f in NCCM_READ_ONLY if f != "id"}})
