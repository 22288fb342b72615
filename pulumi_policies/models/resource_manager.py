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
    ITEMS,
    READ_ONLY,
    REFERENCE,
    REPLACE,
    UNORDERED,
    JsonObject,
    LenientModel,
    StrictModel,
    marked,
    server_default,
)


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
    """Who the policy applies to. Order carries no meaning."""

    users: list[Member] = Field(default_factory=list, json_schema_extra=UNORDERED)
    tags: list[Member] = Field(default_factory=list, json_schema_extra=UNORDERED)
    service_identities: list[Member] = Field(default_factory=list, alias="serviceIdentities",
                                             json_schema_extra=UNORDERED)


class ItsmFilterCriterion(StrictModel):
    supported_ticket_type: str = Field(alias="supportedTicketType", min_length=1)
    filter: dict[str, Any] = Field(default_factory=dict)


class _SettingBase(StrictModel):
    # Set by the server on the settings it stores; never sent, never compared.
    id: str | None = Field(None, json_schema_extra=READ_ONLY)
    entity_id: str | None = Field(None, alias="entityId", json_schema_extra=READ_ONLY)
    entity_type: str | None = Field(None, alias="entityType", json_schema_extra=READ_ONLY)
    is_inherited: bool = Field(False, alias="isInherited")


class ItsmSetting(_SettingBase):
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


class JustificationSetting(_SettingBase):
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


Setting = Annotated[ItsmSetting | JustificationSetting, Field(discriminator="settings_type")]


class PolicyFields(StrictModel):
    """The writable fields of a resource-manager policy, as users declare them and as we send them."""

    # Any name that is not blank: what Britive's own Terraform provider checks (StringIsNotWhiteSpace); a server
    # with a stricter rule says so in its answer, which the error passes on.
    name: str = Field(min_length=1, description="Unique within its scope; a rename is in place.")
    description: str = ""
    is_active: bool | None = Field(None, alias="isActive", json_schema_extra=server_default(True))
    is_draft: bool | None = Field(None, alias="isDraft", json_schema_extra=server_default(False))
    is_read_only: bool | None = Field(None, alias="isReadOnly", json_schema_extra=server_default(False))
    condition: JsonObject = Field(default_factory=dict)
    resource: str | None = None
    access_level: str | None = Field(None, alias="accessLevel")
    access_type: Literal["Allow", "Deny"] | None = Field(None, alias="accessType",
                                                        json_schema_extra=server_default("Allow"))
    consumer: str | None = Field(None, json_schema_extra=COMPUTED)
    settings: list[Setting] = Field(default_factory=list, json_schema_extra=marked(UNORDERED, ITEMS))
    # Kinds a server holds that this model does not know (tokens, aiIdentities, ...) are kept on write.
    members: Members = Field(default_factory=Members, json_schema_extra=marked(CARRY_UNKNOWN, GRANTS))
    # UNORDERED on a mapping: the order of each key's values carries no meaning.
    resource_labels: dict[str, list[str]] = Field(default_factory=dict, alias="resourceLabels",
                                                  json_schema_extra=marked(UNORDERED, ITEMS))

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
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


def _no_member_list(value: Any) -> Any:
    """Britive's SDK sends ``members: []`` for none; a server may echo it: no members."""
    return None if value == [] else value


class MemberRecord(LenientModel):
    id: str | None = None
    name: str | None = None


class MembersRecord(LenientModel):
    """Members as a server returns them: the known kinds by Python name, any other kind under its wire name."""

    tags: list[MemberRecord] | None = None
    users: list[MemberRecord] | None = None
    service_identities: list[MemberRecord] | None = Field(None, alias="serviceIdentities")


class FilterCriterionRecord(LenientModel):
    supported_ticket_type: str | None = Field(None, alias="supportedTicketType")
    filter: dict[str, Any] | None = None  # the ITSM system's own query: kept verbatim


class SettingRecord(LenientModel):
    settings_type: str | None = Field(None, alias="settingsType")
    id: str | None = None
    entity_id: str | None = Field(None, alias="entityId")
    entity_type: str | None = Field(None, alias="entityType")
    is_inherited: bool | None = Field(None, alias="isInherited")
    connection_id: str | None = Field(None, alias="connectionId")
    connection_type: str | None = Field(None, alias="connectionType")
    is_comment_required: bool | None = Field(None, alias="isCommentRequired")
    is_itsm_enabled: bool | None = Field(None, alias="isITSMEnabled")
    itsm_filter_criteria: list[FilterCriterionRecord] | None = Field(None, alias="itsmFilterCriteria")
    is_justification_required: bool | None = Field(None, alias="isJustificationRequired")
    justification_regex: str | None = Field(None, alias="justificationRegex")


class PolicyRecord(LenientModel):
    """A policy as a server returns it: every field optional, unknown fields kept; condition as an object
    or a JSON string, members with or without ids (or ``[]``), camelCase or snake_case."""

    id: str = Field(json_schema_extra=READ_ONLY)
    name: str | None = None
    description: str | None = None
    is_active: bool | None = Field(None, alias="isActive")
    is_draft: bool | None = Field(None, alias="isDraft")
    is_read_only: bool | None = Field(None, alias="isReadOnly")
    condition: JsonObject | None = None
    resource: str | None = None
    access_level: str | None = Field(None, alias="accessLevel")
    access_type: str | None = Field(None, alias="accessType")
    consumer: str | None = None
    settings: list[SettingRecord] | None = None
    members: Annotated[MembersRecord | None, BeforeValidator(_no_member_list)] = None
    resource_labels: dict[str, list[str]] | None = Field(None, alias="resourceLabels")


class Profile(LenientModel):
    """A profile (the emulator's minimal version of the real API's profiles)."""

    id: str | None = None
    name: str = Field(min_length=1)
    description: str = ""
