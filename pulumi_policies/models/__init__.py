"""Pydantic models of the documented payloads: the single source of truth for field names and rules."""

from ._base import camel_to_snake, field_flag, field_marker, fields_with, model_flag, python_names
from .nccm import NCCM_READ_ONLY, ConfigurationPolicyArgs, ConfigurationPolicyRecord
from .resource_manager import (
    ItsmFilterCriterion,
    ItsmSetting,
    JustificationSetting,
    Member,
    Members,
    PolicyFields,
    PolicyRecord,
    Profile,
    ProfilePolicyArgs,
    ResourcePolicyArgs,
)

__all__ = [
    "NCCM_READ_ONLY", "ConfigurationPolicyArgs", "ConfigurationPolicyRecord", "ItsmFilterCriterion", "ItsmSetting",
    "JustificationSetting", "Member", "Members", "PolicyFields", "PolicyRecord", "Profile", "ProfilePolicyArgs",
    "ResourcePolicyArgs", "camel_to_snake", "field_flag", "field_marker", "fields_with", "model_flag", "python_names",
]
