"""Payloads of the resource-manager policy API (profile policies and resource policies).

Python names are snake_case; the wire's camelCase names are the aliases (``isActive``...).
Both resources share :class:`PolicyFields`; a profile policy adds its ``profile_id`` (path only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ._base import (
    CARRY_UNKNOWN,
    COMPUTED,
    GRANTS,
    ITEMIZED,
    READ_ONLY,
    REFERENCE,
    REPLACE,
    UNORDERED,
    LenientModel,
    StrictModel,
    _parse_json_object,
    lenient,
    marked,
    server_default,
)
from .condition import Condition


class Member(StrictModel):
    """A tag, user or service identity granted by the policy: an ``id``, a ``name``, or both.

    A REFERENCE: one given by name only is the same member as a server's record of it with an id
    (Britive's servers fill the id in), and the same holds the other way round.
    """

    model_config = ConfigDict(json_schema_extra=REFERENCE)

    id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _id_or_name(self) -> Member:
        if not (self.id or self.name):
            raise ValueError("a member needs an 'id' or a 'name'")
        return self


class Members(StrictModel):
    """Who the policy applies to, by kind. Order carries no meaning. ``tokens`` (API tokens) and
    ``ai_identities`` are the kinds Britive's clients add to the document's three (britive-client-go/client.go
    ``MembersEqual``; the Terraform provider's docs/resources/resource_manager_profile_policy.md)."""

    users: list[Member] = Field(default_factory=list, json_schema_extra=UNORDERED)
    tags: list[Member] = Field(default_factory=list, json_schema_extra=UNORDERED)
    service_identities: list[Member] = Field(default_factory=list, alias="serviceIdentities",
                                             json_schema_extra=UNORDERED)
    tokens: list[Member] = Field(default_factory=list, json_schema_extra=UNORDERED)
    ai_identities: list[Member] = Field(default_factory=list, alias="aiIdentities", json_schema_extra=UNORDERED)


class ItsmFilterCriterion(StrictModel):
    """Which tickets of the ITSM system qualify: a ticket type and the system's own query (kept verbatim)."""

    supported_ticket_type: str = Field(alias="supportedTicketType", min_length=1)
    filter: dict[str, Any] = Field(default_factory=dict)


class SettingFields(StrictModel):
    """What every setting of a policy has, whatever its type."""

    # Set by the server on the settings it stores; never sent, never compared.
    id: str | None = Field(None, json_schema_extra=READ_ONLY)
    entity_id: str | None = Field(None, alias="entityId", json_schema_extra=READ_ONLY)
    entity_type: str | None = Field(None, alias="entityType", json_schema_extra=READ_ONLY)
    is_inherited: bool = Field(False, alias="isInherited")


class ItsmSetting(SettingFields):
    """Requests must carry a ticket of an ITSM connection (e.g. a ServiceNow change request)."""

    settings_type: Literal["ITSM"] = Field(alias="settingsType")
    connection_id: str = Field(alias="connectionId", min_length=1)
    connection_type: str = Field(alias="connectionType", min_length=1)
    is_comment_required: bool = Field(False, alias="isCommentRequired")
    is_itsm_enabled: bool = Field(True, alias="isITSMEnabled")
    itsm_filter_criteria: list[ItsmFilterCriterion] = Field(default_factory=list, alias="itsmFilterCriteria",
                                                            json_schema_extra=UNORDERED)

    @staticmethod
    def summary(value: Mapping[str, Any]) -> str:
        """How a review names this setting: which ITSM connection it requires."""
        return f"ITSM via {value.get('connection_type', '?')} connection {value.get('connection_id', '?')}"


class JustificationSetting(SettingFields):
    """Requests must carry a justification, optionally matching ``justification_regex``."""

    settings_type: Literal["JUSTIFICATION"] = Field(alias="settingsType")
    is_justification_required: bool = Field(True, alias="isJustificationRequired")
    justification_regex: str | None = Field(None, alias="justificationRegex")

    @staticmethod
    def summary(value: Mapping[str, Any]) -> str:
        """How a review names this setting: the pattern a justification must match, if any."""
        regex = value.get("justification_regex")
        return f"JUSTIFICATION{f' matching {regex}' if regex else ''}"

    @field_validator("justification_regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression: {exc}") from None
        return value


class ImSetting(SettingFields):
    """Requests are routed through an incident-management connection (e.g. PagerDuty) and its escalation
    policies (britive-client-go/models.go ``Setting``; britive/resources/resource_advanced_settings.go)."""

    settings_type: Literal["IM"] = Field(alias="settingsType")
    connection_id: str = Field(alias="connectionId", min_length=1)
    connection_type: str = Field(alias="connectionType", min_length=1)
    is_auto_approval_enabled: bool = Field(False, alias="isAutoApprovalEnabled")
    escalation_policies: list[str] = Field(default_factory=list, alias="escalationPolicies",
                                           json_schema_extra=UNORDERED)

    @staticmethod
    def summary(value: Mapping[str, Any]) -> str:
        """How a review names this setting: which IM connection, and whether it approves by itself."""
        auto = " (auto-approval)" if value.get("is_auto_approval_enabled") else ""
        return f"IM via {value.get('connection_type', '?')} connection {value.get('connection_id', '?')}{auto}"


Setting = Annotated[ItsmSetting | JustificationSetting | ImSetting, Field(discriminator="settings_type")]


class PolicyFields(StrictModel):
    """The writable fields of a resource-manager policy, as users declare them and as we send them."""

    # Any name that is not blank: what Britive's own Terraform provider checks (StringIsNotWhiteSpace); a server
    # with a stricter rule says so in its answer, which the error passes on.
    name: str = Field(min_length=1, description="Unique within its scope; a rename is in place.")
    # Not access: carried where the program leaves it out (the server's value is kept, never reset).
    description: str = Field("", json_schema_extra=COMPUTED)
    # Access: left out means the documented default, as Britive's Terraform provider declares them (is_active
    # Default true, is_draft Default false, access_type Default "Allow": britive/resources/resourcemanager/
    # resource_resource_manager_resource_policy.go 61-90 at v2.3.6), so a policy switched off by hand is drift.
    is_active: bool = Field(True, alias="isActive")
    is_draft: bool = Field(False, alias="isDraft")
    is_read_only: bool | None = Field(None, alias="isReadOnly", json_schema_extra=server_default(False))
    # A JSON string (what the Terraform provider's users hold) is read as the object it holds.
    condition: Annotated[Condition, BeforeValidator(_parse_json_object)] = Field(
        default_factory=Condition, json_schema_extra=CARRY_UNKNOWN)
    resource: str | None = None
    access_level: str | None = Field(None, alias="accessLevel")
    access_type: Literal["Allow", "Deny"] = Field("Allow", alias="accessType")
    consumer: str | None = Field(None, json_schema_extra=COMPUTED)
    # A settings type a server holds that this model does not know is kept on write, never refused when read.
    settings: list[Setting] = Field(default_factory=list, json_schema_extra=marked(UNORDERED, ITEMIZED, CARRY_UNKNOWN))
    # Member kinds a server holds that this model does not know are kept on write.
    members: Members = Field(default_factory=Members, json_schema_extra=marked(CARRY_UNKNOWN, GRANTS))
    # UNORDERED on a mapping: the order of each key's values carries no meaning.
    resource_labels: dict[str, list[str]] = Field(default_factory=dict, alias="resourceLabels",
                                                  json_schema_extra=marked(UNORDERED, ITEMIZED))

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("resource_labels")
    @classmethod
    def _label_values(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        empty = sorted(k for k, v in value.items() if not v)
        if empty:  # a server reads it as matching nothing, or as any value: which one, nobody documents
            raise ValueError(f"label {', '.join(map(repr, empty))} has no values: give at least one value, or leave "
                             "the key out to match any value")
        return value

    @field_validator("settings")
    @classmethod
    def _one_setting_per_type(cls, value: list[Any]) -> list[Any]:
        kinds = [s.settings_type for s in value]
        dupes = sorted({k for k in kinds if kinds.count(k) > 1})
        if dupes:
            raise ValueError(f"at most one setting of each type; {', '.join(dupes)} appears more than once")
        return value


class ResourcePolicyArgs(PolicyFields):
    """Inputs of a resource policy."""


class ProfilePolicyArgs(PolicyFields):
    """Inputs of a profile policy: the policy fields plus the profile it belongs to."""

    profile_id: str = Field(alias="profileId", min_length=1, json_schema_extra=marked(REPLACE))


class ProfilePolicyOrderArgs(StrictModel):
    """Inputs of a profile's policy order (Britive's policy prioritisation): one declaration per profile.

    Its provider (providers/ordering.py) checks these fields with messages of its own (each bad item named); the
    model declares them once for the generated argument types and the field reference."""

    profile_id: str = Field(alias="profileId", min_length=1, json_schema_extra=REPLACE,
                            description="The profile whose policies are ordered")
    policies: list[str] = Field(min_length=1, description="Policy ids (Outputs) or names of the profile, highest "
                                "priority first, each once; the profile's other policies follow.")


# A policy as a server returns it: every field optional, unknown fields kept; condition as an object or a JSON
# string, members with or without ids (or ``[]``), camelCase or snake_case, settings of types nobody here knows.
RmPolicyRecord = lenient(PolicyFields, name="RmPolicyRecord",
                       extra={"id": (str, Field(json_schema_extra=READ_ONLY))})


class Profile(LenientModel):
    """A profile (the emulator's minimal version of the real API's profiles)."""

    id: str | None = None
    name: str = Field(min_length=1)
    description: str = ""
