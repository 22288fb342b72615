"""The two documents as the emulator reads them: its own description of every payload it accepts.

Written from ``shared/api/*.txt`` (and, where a server profile says so, from the vendors' own clients),
and deliberately sharing nothing with the provider's ``models/``: a mistake in the provider's models
must show up as a refused request or a different answer here, never be agreed with.

Field names are the wire's own (camelCase for the resource manager, snake_case for NCCM). Unknown
fields, and Python-style names the resource-manager wire does not have (``is_active``), are ignored
at every level, as Jackson/Spring and DRF do by default. What a profile changes (condition as a
string, a list for ``members``, more member kinds) is decided in the API modules, before and after
these models.
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = ["BRITIVE_SETTING_TYPES", "DOCUMENTED_SETTING_TYPES", "DRF_MESSAGES", "MEMBER_KINDS", "BritiveCondition",
           "NccmPolicy", "RmPolicy", "ValidationError", "drf_datetime", "problems"]

# Member kinds of the resource-manager document; the Britive clients add two more (see profiles.py).
MEMBER_KINDS = ("tags", "users", "serviceIdentities")
EXTRA_MEMBER_KINDS = ("tokens", "aiIdentities")


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=False)


# -- resource manager (resource-manager-policies.txt) ----------------------------------------------
class RmMember(_Wire):
    id: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _id_or_name(self) -> RmMember:
        if not (self.id or self.name):
            raise ValueError("a member needs an 'id' or a 'name'")
        return self


class RmMembers(_Wire):
    tags: list[RmMember] | None = None
    users: list[RmMember] | None = None
    serviceIdentities: list[RmMember] | None = None
    tokens: list[RmMember] | None = None
    aiIdentities: list[RmMember] | None = None


class RmFilterCriterion(_Wire):
    supportedTicketType: str = Field(min_length=1)
    filter: dict[str, Any] = Field(default_factory=dict)


class RmItsmSetting(_Wire):
    settingsType: Literal["ITSM"]
    isInherited: bool = False
    connectionId: str = Field(min_length=1)
    connectionType: str = Field(min_length=1)
    isCommentRequired: bool = False
    isITSMEnabled: bool = True
    itsmFilterCriteria: list[RmFilterCriterion] = Field(default_factory=list)


class RmJustificationSetting(_Wire):
    settingsType: Literal["JUSTIFICATION"]
    isInherited: bool = False
    isJustificationRequired: bool = True
    justificationRegex: str | None = None

    @field_validator("justificationRegex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"is not a valid regular expression: {exc}") from None
        return value


class RmImSetting(_Wire):
    """Britive's IM setting (approvals through an on-call / chat connection), not in the document:
    britive-client-go models.go 384-398 (``Setting``: connectionId, connectionType, isAutoApprovalEnabled,
    escalationPolicies) and resource_advanced_settings.go 470-611 (how the Terraform provider builds one)."""

    settingsType: Literal["IM"]
    isInherited: bool = False
    connectionId: str = Field(min_length=1)
    connectionType: str = Field(min_length=1)
    isAutoApprovalEnabled: bool = False
    escalationPolicies: list[str] = Field(default_factory=list)


# The settings types a server takes (state.Behaviour.setting_types): the document's, and Britive's.
DOCUMENTED_SETTING_TYPES = ("ITSM", "JUSTIFICATION")
BRITIVE_SETTING_TYPES = ("ITSM", "JUSTIFICATION", "IM")

RmSetting = Annotated[RmItsmSetting | RmJustificationSetting | RmImSetting, Field(discriminator="settingsType")]


class RmPolicy(_Wire):
    """A profile or resource policy as written: every field of the document's request example."""

    name: str = Field(min_length=1)
    description: str | None = None
    isActive: bool | None = None
    isDraft: bool | None = None
    isReadOnly: bool | None = None
    condition: dict[str, Any] | None = None  # a profile may also take a JSON string: parsed before this
    resource: str | None = None
    accessLevel: str | None = None
    accessType: Literal["Allow", "Deny"] | None = None
    consumer: str | None = None
    settings: list[RmSetting] | None = None
    members: RmMembers | None = None
    resourceLabels: dict[str, list[str]] | None = None

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("settings")
    @classmethod
    def _one_per_type(cls, value: list[Any] | None) -> list[Any] | None:
        kinds = [s.settingsType for s in value or []]
        twice = sorted({k for k in kinds if kinds.count(k) > 1})
        if twice:
            raise ValueError(f"at most one setting of each type; {', '.join(twice)} appears more than once")
        return value


# -- Britive's condition (condition_store=britive) ------------------------------------------------------
# The shape Britive documents (terraform-provider-britive docs/resources/resource_manager_profile_policy.md
# 53-84 and 109-122, profile_policy.md 57-124): every key optional, null where the docs allow it, types exact
# (the server stores the condition as text, so "30" would stay a string: refused). Keys not named here are
# kept as sent: only these are checked.
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}:\d{2}")


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class _Condition(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


def _timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError(f"{value!r} is not a time zone of the tz database (e.g. 'Asia/Calcutta', 'UTC')")
    return value


def _formatted(value: str, pattern: re.Pattern[str], strptime: str, example: str) -> str:
    problem = ValueError(f"must be {example} (got {value!r})")
    if not pattern.fullmatch(value):
        raise problem
    try:
        datetime.strptime(value, strptime)  # a real date and time of day: no month 13, no 25:00:00
    except ValueError:
        raise problem from None
    return value


class BritiveTeamsChannel(_Condition):
    team: str = Field(min_length=1)
    channels: list[str] | None = None


class BritiveApprovers(_Condition):
    tags: list[str] | None = None
    userIds: list[str] | None = None
    channelIds: list[str] | None = None
    slackAppChannels: list[str] | None = None
    teamsAppChannels: list[BritiveTeamsChannel] | None = None


class BritiveManagerApproval(_Condition):
    condition: Literal["All", "Any", "Manager"] | None = None  # "case sensitive" (the docs, line 117)
    required: bool | None = None


class BritiveApproval(_Condition):
    approvers: BritiveApprovers | None = None
    notificationMedium: Any = None  # a string or a list of strings (docs: ["Teams", "Email"]; tests: "Email")
    managerApproval: BritiveManagerApproval | None = None
    timeToApprove: int | None = None  # minutes
    validFor: int | None = None
    isValidForInDays: bool | None = None

    @field_validator("notificationMedium")
    @classmethod
    def _medium(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise ValueError("must be a string or a list of strings")


class BritiveDateSchedule(_Condition):
    fromDate: str
    toDate: str
    timezone: str

    @field_validator("fromDate", "toDate")
    @classmethod
    def _date_time(cls, value: str) -> str:
        return _formatted(value, _DATE_TIME, "%Y-%m-%d %H:%M:%S", "'YYYY-MM-DD HH:MM:SS'")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _timezone(value)


class BritiveDaysSchedule(_Condition):
    fromTime: str
    toTime: str
    timezone: str
    days: list[Literal[DAYS]]  # type: ignore[valid-type]  # upper-case English day names, as every example

    @field_validator("fromTime", "toTime")
    @classmethod
    def _time(cls, value: str) -> str:
        return _formatted(value, _TIME, "%H:%M:%S", "'HH:MM:SS'")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _timezone(value)


class BritiveTimeOfAccess(_Condition):
    dateSchedule: BritiveDateSchedule | None = None
    daysSchedule: BritiveDaysSchedule | None = None


class BritiveCondition(_Condition):
    approval: BritiveApproval | None = None
    ipAddress: str | None = None  # ONE comma-separated string of addresses and CIDR blocks
    timeOfAccess: BritiveTimeOfAccess | None = None

    @field_validator("ipAddress")
    @classmethod
    def _addresses(cls, value: str | None) -> str | None:
        for item in value.split(",") if value is not None else []:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError("must be IP addresses or CIDR blocks separated by commas "
                                 f"(e.g. '10.0.0.0/8, 192.168.1.5'); {item.strip()!r} is not one") from None
        return value


# -- NCCM (configuration-policies.txt: the PUT body's field table) ----------------------------------
def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value


def drf_datetime(value: Any) -> str:
    """A date-time as Django REST framework renders it (ISO 8601, microseconds, 'Z' for UTC)."""
    if not isinstance(value, str):
        raise ValueError("datetime")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("datetime") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class NccmPolicy(_Wire):
    policyid: str = Field(min_length=1, max_length=25)
    organization: str = Field(min_length=1, max_length=25)
    name: str | None = None
    description: str | None = None
    processid: int | None = None
    associate_users: str | None = None
    associate_groups: str | None = None
    associated_rules: str | None = None
    associated_rule_groups: list[Any] | None = None
    lastupdatetime: str | None = None
    activated_by: str | None = None
    activation_time: str | None = None
    activation_remarks: str | None = None
    policy_schedule: dict[str, Any] | None = None
    lastaction: str | None = None
    nextaction: str | None = None
    progress: int | None = None
    starttime: int | None = None
    endtime: int | None = None
    created_by: str | None = None
    modified_by: str | None = None
    assigned_users: list[Any] | None = None
    assigned_group: list[Any] | None = None
    is_deleted: bool | None = None

    @field_validator("policyid", "organization")
    @classmethod
    def _keys_not_blank(cls, value: str) -> str:
        return _not_blank(value)

    @field_validator("lastupdatetime", "activation_time", "lastaction", "nextaction")
    @classmethod
    def _datetimes(cls, value: Any) -> Any:
        return None if value is None else drf_datetime(value)


# The document's read-only fields: ignored when sent, always returned.
NCCM_READ_ONLY = ("id", "status", "creationtime", "last_update_time", "next_action_time", "last_action_time",
                  "is_private", "rule_description", "schedule_descr", "visibility")
NCCM_WRITABLE = tuple(NccmPolicy.model_fields)

# What Django REST framework says for each kind of problem (rest_framework/fields.py default_error_messages).
DRF_MESSAGES = {
    "missing": "This field is required.",
    "string_too_long": "Ensure this field has no more than {max_length} characters.",
    "string_too_short": "This field may not be blank.",
    "int_parsing": "A valid integer is required.",
    "int_type": "A valid integer is required.",
    "int_from_float": "A valid integer is required.",
    "bool_parsing": "Must be a valid boolean.",
    "bool_type": "Must be a valid boolean.",
    "string_type": "Not a valid string.",
    "list_type": 'Expected a list of items but got type "{input_type}".',
    "dict_type": 'Expected a dictionary of items but got type "{input_type}".',
}
_DRF_VALUE_ERRORS = {
    "blank": "This field may not be blank.",
    "datetime": "Datetime has wrong format. Use one of these formats instead: "
                "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
}


def problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(dotted location, message) for each error, messages as pydantic words them."""
    return [(".".join(str(p) for p in e["loc"] if p not in ("ITSM", "JUSTIFICATION")) or "body",
             e["msg"].removeprefix("Value error, ")) for e in exc.errors()]


def drf_field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A DRF 400 body: {"field": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "non_field_errors"
        if error["type"] == "value_error":
            reason = str(error.get("ctx", {}).get("error", ""))
            message = _DRF_VALUE_ERRORS.get(reason, reason)
        else:
            value = error.get("input")
            message = DRF_MESSAGES.get(error["type"], error["msg"]).format(
                max_length=(error.get("ctx") or {}).get("max_length"), input_type=type(value).__name__)
        out.setdefault(name, []).append(message)
    return out
