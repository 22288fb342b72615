"""httpx wire clients of the two policy APIs: HTTP, retries, timeouts and error mapping, nothing of Pulumi."""

from ._base import APIClient, Redactor, checked_record, pages, segment
from ._retry import RetryPolicy, retry_after, transient
from .errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    MaintenanceError,
    NotFoundError,
    PolicyAPIError,
    RateLimitError,
    ServerError,
    TLSError,
)
from .nccm import ConfigurationPolicies
from .resource_manager import Profiles, RmPolicyCollection

__all__ = [
    "APIClient", "APIConnectionError", "APIResponseError", "APIStatusError", "AuthenticationError",
    "BadRequestError", "ConfigurationPolicies", "ConflictError", "MaintenanceError", "NotFoundError", "PolicyAPIError",
    "RmPolicyCollection", "Profiles", "RateLimitError", "Redactor", "RetryPolicy", "ServerError", "TLSError", "checked_record",
    "pages", "retry_after", "segment", "transient",
]
