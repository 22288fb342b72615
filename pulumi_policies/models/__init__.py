"""Pydantic models of the documented payloads: the single source of truth for field names and rules."""

from ._base import Marker, camel_to_snake, field_flag, field_marker, fields_with, lenient, model_flag, python_names
from .condition import Approval, Approvers, Condition, DateSchedule, DaysSchedule, ManagerApproval, TimeOfAccess
from .nccm import NCCM_READ_ONLY, ConfigurationPolicyArgs, ConfigurationPolicyRecord
from .resource_manager import (
    ImSetting,
    ItsmFilterCriterion,
    ItsmSetting,
    JustificationSetting,
    Member,
    Members,
    PolicyFields,
    Profile,
    ProfilePolicyArgs,
    ResourcePolicyArgs,
    RmPolicyRecord,
)

__all__ = [
    "NCCM_READ_ONLY", "Approval", "Approvers", "Condition", "ConfigurationPolicyArgs", "ConfigurationPolicyRecord",
    "DateSchedule", "DaysSchedule", "ImSetting", "ItsmFilterCriterion", "ItsmSetting", "JustificationSetting",
    "ManagerApproval", "Marker", "Member", "Members", "PolicyFields", "RmPolicyRecord", "Profile", "ProfilePolicyArgs",
    "ResourcePolicyArgs", "TimeOfAccess", "camel_to_snake", "field_flag", "field_marker", "fields_with", "lenient",
    "model_flag", "python_names",
]
