"""The one retry rule, for every loop that sends a request again: a pure predicate over the error tree
(``transient``), a backoff function that honours ``Retry-After`` (``RetryPolicy.wait``), and a budget.

Two loops use it, and only these two: the client's (``APIClient.request``: idempotent calls only) and the
provider's create loop (``providers.adoption``: a POST, sent again only once it has ruled out that the lost attempt
landed). Neither holds a rule of its own; the constants are here.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from .errors import APIConnectionError, APIStatusError, PolicyAPIError, RateLimitError, ServerError, TLSError

BACKOFF_BASE = 0.25  # seconds: the first retry's jitter range when retry_wait_min is 0
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})  # safe for the client to resend


def retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds a ``Retry-After`` header asks for: delta-seconds or an HTTP date (RFC 9110 10.2.3).

    None when absent or unreadable (the caller then backs off on its own); never negative.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:  # "-0000": a date in UTC with no zone said (RFC 5322 3.3)
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def transient(error: PolicyAPIError) -> bool:
    """Might the same request succeed if sent again later? A 429, a 5xx (not a tenant in maintenance:
    ``MaintenanceError`` is said at once), or no response at all (not a TLS failure: a certificate does not get
    better by retrying)."""
    if isinstance(error, APIConnectionError):
        return not isinstance(error, TLSError)
    return isinstance(error, (RateLimitError, ServerError))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try again: Britive's Terraform provider offers the same three knobs
    (max_retries, retry_wait_min, retry_wait_max). Waits are full-jitter exponential between the two
    bounds, or what the server's Retry-After asks for (capped at ``wait_max``)."""

    max_retries: int = 5
    wait_min: float = 0.0   # seconds
    wait_max: float = 30.0  # seconds: the longest wait, Retry-After included

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.wait_min < 0 or self.wait_max < self.wait_min:
            raise ValueError(f"invalid retry budget: max_retries {self.max_retries} (>= 0), retry_wait_min "
                             f"{self.wait_min} and retry_wait_max {self.wait_max} (0 <= min <= max)")

    def should_retry(self, attempt: int, error: PolicyAPIError, *, resend_safe: bool) -> bool:
        """Send again after attempt number `attempt` (0-based) failed with `error`? Within the budget, for a
        transient failure, and only where the caller knows resending is safe: the client for idempotent methods,
        the create loop once it has looked for what a lost attempt may have made."""
        return resend_safe and attempt < self.max_retries and transient(error)

    def wait(self, attempt: int, error: PolicyAPIError) -> float:
        """Seconds to wait before sending again after `error`: what its Retry-After asks, else backoff."""
        return self.delay(attempt, retry_after(error.retry_after) if isinstance(error, APIStatusError) else None)

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """Seconds to wait before retry number `attempt + 1` (0-based): Retry-After if asked, else jittered."""
        if asked is not None:
            return min(max(asked, self.wait_min), self.wait_max)
        cap = min(self.wait_max, max(self.wait_min, BACKOFF_BASE) * 2.0 ** min(attempt, 64))
        return random.uniform(self.wait_min, max(cap, self.wait_min))
