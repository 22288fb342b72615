"""The exception tree of the wire clients. Every message is whole: call, status, server's words, what to do.

    PolicyAPIError
    ├── APIConnectionError          no response (refused, reset, dropped, timed out)
    │   └── TLSError                the server's certificate was refused (never retried: name a CA bundle)
    ├── APIResponseError            a response we cannot use (not JSON, wrong shape, no id)
    └── APIStatusError              an HTTP error status; carries method, url, status, body
        ├── BadRequestError         400, 422
        ├── AuthenticationError     401, 403
        ├── NotFoundError           404
        ├── ConflictError           409 (and 400s that say "already exists")
        ├── RateLimitError          429
        ├── MaintenanceError        503 with errorCode MAINT0001: the tenant is in maintenance (never retried)
        └── ServerError             5xx

Secrets are redacted by the client before an exception is built (see ``redact``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import PulumiPoliciesError

if TYPE_CHECKING:
    import httpx


class PolicyAPIError(PulumiPoliciesError):
    """Base of every error the wire clients raise."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url


class APIConnectionError(PolicyAPIError):
    """No HTTP response arrived. `sent`: whether the request may have reached the server (False only when
    the connection itself was refused: then the server certainly did nothing)."""

    def __init__(self, message: str, *, method: str = "", url: str = "", sent: bool = True) -> None:
        super().__init__(message, method=method, url=url)
        self.sent = sent


class TLSError(APIConnectionError):
    """The connection failed TLS verification: nothing was sent, and retrying does not help."""


class APIResponseError(PolicyAPIError):
    """A response arrived but cannot be used."""


class APIStatusError(PolicyAPIError):
    """The server answered with an error status."""

    hint = ""

    def __init__(self, message: str, *, method: str, url: str, status: int, body: Any, server_message: str,
                 retry_after: str | None = None) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.body = body
        self.server_message = server_message
        self.retry_after = retry_after  # the Retry-After header, as sent


class BadRequestError(APIStatusError):
    hint = "Fix the value the server names and run again."


class AuthenticationError(APIStatusError):
    hint = "Check the credentials of this connection."  # the connection's own hint replaces it (APIClient auth_hint)


class NotFoundError(APIStatusError):
    hint = "The object does not exist (any more); `pulumi refresh` drops objects deleted by hand."
    # A create's 404: what is missing is the collection, not the object.
    create_hint = ("Nothing to create in at that address: check the endpoint URL and the scope the object is "
                   "made in (a profile_id that exists on this server).")


class ConflictError(APIStatusError):
    hint = "An object with the same name already exists; adopt it with import_id=\"<its id>\" or rename yours."


class RateLimitError(APIStatusError):
    hint = ("The server kept rate-limiting after every retry; send fewer requests at once (pulumi up --parallel N, "
            "pulumi-policies:maxConcurrency for policy sets) or raise the retry budget (pulumi-policies:maxRetries, "
            "retryWaitMax).")


class MaintenanceError(APIStatusError):
    """Britive's answer while a tenant is in maintenance: 503 with ``{"errorCode": "MAINT0001", "message": ...}``.
    Britive's SDK stops at once rather than back off (britive 4.7.0: ``helpers/utils.py``
    ``tenant_is_under_maintenance``, ``britive.py``, raising ``TenantUnderMaintenance``): retrying for minutes only
    hides the reason."""

    hint = ("The tenant is in maintenance (MAINT0001): the request was refused, not applied. Run again once the "
            "maintenance is over; nothing is lost, the state records what was applied.")


MAINTENANCE_CODE = "MAINT0001"


def is_maintenance(status: int, body: Any) -> bool:
    return status == 503 and isinstance(body, dict) and body.get("errorCode") == MAINTENANCE_CODE


class ServerError(APIStatusError):
    hint = "The server failed after every retry; run again later (nothing is lost: state records what was applied)."


# How servers that answer a taken name with a 400 say so: our emulator's sentence, and Django REST framework's
# UniqueTogetherValidator ("The fields policyid, organization must make a unique set.").
CONFLICT_WORDS = ("already exist", "must make a unique set")

_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError, 422: BadRequestError, 401: AuthenticationError, 403: AuthenticationError,
    404: NotFoundError, 409: ConflictError, 429: RateLimitError,
}


def server_message(body: Any, text: str) -> str:
    """The server's own words, from any of the error shapes these APIs use."""
    if isinstance(body, dict):
        for key in ("error", "detail", "message", "errorMessage"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        # DRF field errors: {"policyid": ["Ensure this field has no more than 25 characters."]}
        parts = [f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in body.items()]
        if parts:
            return "; ".join(parts)
    if isinstance(body, list) and body:
        return "; ".join(map(str, body))
    text = " ".join(text.split())
    if text.lower().startswith(("<!doctype", "<html")):
        return f"an HTML page ({len(text)} characters), not an API response"
    return text[:300] or "no message"


def parse_body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def make_status_error(response: httpx.Response, redact: Any, *, auth_hint: str | None = None) -> APIStatusError:
    """Map an error response to its exception class, with a message that says what to do (`auth_hint`: the
    connection's own words for a 401/403)."""
    status = response.status_code
    body = parse_body(response)
    said = redact(server_message(body, response.text))
    cls = _STATUS_CLASSES.get(status) or (MaintenanceError if is_maintenance(status, body) else
                                          ServerError if status >= 500 else APIStatusError)
    if cls is BadRequestError and any(words in said.lower() for words in CONFLICT_WORDS):
        cls = ConflictError
    method, url = response.request.method, redact(str(response.request.url))
    message = f"{method} {url} answered HTTP {status}: {said.rstrip('.')}."
    hint = NotFoundError.create_hint if cls is NotFoundError and method == "POST" else \
        (auth_hint or cls.hint) if cls is AuthenticationError else cls.hint
    if hint:
        message += f" {hint}"
    return cls(message, method=method, url=url, status=status, body=body, server_message=said,
               retry_after=response.headers.get("retry-after"))
