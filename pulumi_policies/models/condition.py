"""The ``condition`` of a resource-manager policy: approval, IP window and time of access.

What a Britive tenant holds (Britive's Terraform provider: docs/resources/resource_manager_profile_policy.md,
the example and argument reference; britive-client-go/client.go, the equality functions ``ConditionEqual``,
``ApprovalBlockEqual``, ``ApproversBlockEqual``, ``ManagerApprovalBlockEqual``, ``TimeOfAccessBlockEqual``,
``DaysScheduleBlockEqual``, ``IPAddressBlockEqual``). On the wire it is camelCase (``timeToApprove``) and, on
Britive's servers, a JSON string; Python names are snake_case, and both are accepted everywhere.

Servers do not echo a condition verbatim, and the markers below say what is no change
(``models.canonical`` reads them): approver lists, channels and days in any order (UNORDERED), an IP list
split on commas, trimmed and in any order (COMMA_SET), an absent ``manager_approval`` equal to one that is
not required (ABSENT_UNLESS). Keys a server returns that these models do not know are sent back as they are
(the ``condition`` field is CARRY_UNKNOWN), never dropped.
"""

from __future__ import annotations

import ipaddress
import zoneinfo
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_serializer, model_validator

from ._base import UNORDERED, Marker, StrictModel, absent_unless, marked

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
DATE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # "2025-02-13 00:00:00", as the provider's docs and tests write it
TIME_FORMAT = "%H:%M:%S"               # "16:30:00"


class _Sparse(StrictModel):
    """A part of a condition: only what is set is sent (a server reads an explicit null as something else)."""

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: Any) -> Any:
        return {k: v for k, v in handler(self).items() if v is not None}


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not a time zone of the tz database, e.g. 'Europe/Berlin' or 'UTC'") from None
    return value


def _format(pattern: str, example: str) -> Any:
    def check(value: str) -> str:
        try:
            datetime.strptime(value, pattern)
        except ValueError:
            raise ValueError(f"must be {example}") from None
        return value
    return AfterValidator(check)


def _ip_list(value: Any) -> Any:
    """One comma-separated string of addresses and CIDR blocks; a list of them is joined."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)
    if isinstance(value, str):
        for item in value.split(","):
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item.strip()!r} is not an IP address or CIDR block (e.g. 10.0.0.0/8)") from None
    return value


def _upper_days(value: Any) -> Any:
    return [d.upper() if isinstance(d, str) else d for d in value] if isinstance(value, list) else value


Timezone = Annotated[str, AfterValidator(_timezone)]
DateTimeText = Annotated[str, _format(DATE_TIME_FORMAT, "a date and time 'YYYY-MM-DD HH:MM:SS'")]
TimeText = Annotated[str, _format(TIME_FORMAT, "a time of day 'HH:MM:SS' (00:00:00 to 23:59:59)")]


class TeamsAppChannel(_Sparse):
    """A Microsoft Teams team and the channels of it that are told of a request."""

    team: str = Field(min_length=1)
    channels: list[str] = Field(default_factory=list, json_schema_extra=UNORDERED)


class Approvers(_Sparse):
    """Who may approve a request: tags, users (by username), notification channels."""

    tags: list[str] | None = Field(None, json_schema_extra=UNORDERED)
    user_ids: list[str] | None = Field(None, alias="userIds", json_schema_extra=UNORDERED)
    channel_ids: list[str] | None = Field(None, alias="channelIds", json_schema_extra=UNORDERED)
    slack_app_channels: list[str] | None = Field(None, alias="slackAppChannels", json_schema_extra=UNORDERED)
    teams_app_channels: list[TeamsAppChannel] | None = Field(None, alias="teamsAppChannels",
                                                             json_schema_extra=UNORDERED)


class ManagerApproval(_Sparse):
    """The requester's manager approves: ``All`` / ``Any`` of the approvers with the manager, or the ``Manager``
    alone (case-sensitive, as the provider's docs say)."""

    condition: Literal["All", "Any", "Manager"] | None = None
    required: bool = False


class Approval(_Sparse):
    """A request must be approved before access is granted."""

    approvers: Approvers | None = None
    notification_medium: list[str] | str | None = Field(None, alias="notificationMedium",
                                                        json_schema_extra=UNORDERED)
    manager_approval: ManagerApproval | None = Field(None, alias="managerApproval",
                                                     json_schema_extra=absent_unless("required"))
    time_to_approve: int | None = Field(None, alias="timeToApprove", ge=1, description="minutes")
    valid_for: int | None = Field(None, alias="validFor", ge=1,
                                  description="how long an approval holds: days if is_valid_for_in_days, else minutes")
    is_valid_for_in_days: bool | None = Field(None, alias="isValidForInDays")


class DateSchedule(_Sparse):
    """Access only between two instants."""

    from_date: DateTimeText = Field(alias="fromDate")
    to_date: DateTimeText = Field(alias="toDate")
    timezone: Timezone

    @model_validator(mode="after")
    def _in_order(self) -> DateSchedule:
        if self.from_date > self.to_date:  # the fixed-width format sorts as it reads
            raise ValueError(f"from_date {self.from_date!r} is after to_date {self.to_date!r}")
        return self


class DaysSchedule(_Sparse):
    """Access only on these days, between these times of day."""

    from_time: TimeText = Field(alias="fromTime")
    to_time: TimeText = Field(alias="toTime")
    timezone: Timezone
    days: Annotated[list[Literal[DAYS]], BeforeValidator(_upper_days)] = Field(  # type: ignore[valid-type]
        min_length=1, json_schema_extra=UNORDERED)


class TimeOfAccess(_Sparse):
    """When access may be used: between two dates, and/or on some days between two times of day."""

    date_schedule: DateSchedule | None = Field(None, alias="dateSchedule")
    days_schedule: DaysSchedule | None = Field(None, alias="daysSchedule")


IpList = Annotated[str, BeforeValidator(_ip_list)]


class Condition(_Sparse):
    """When a policy's access applies: after an approval, from these addresses, at these times."""

    approval: Approval | None = None
    ip_address: IpList | None = Field(None, alias="ipAddress", json_schema_extra=marked(Marker.COMMA_SET))
    time_of_access: TimeOfAccess | None = Field(None, alias="timeOfAccess")
