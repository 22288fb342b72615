"""The HTTP layer shared by both API families: one thread-safe httpx client, timeouts, retries, redaction.

Retry rule (a pure predicate plus a backoff function; constants below):
- idempotent requests (GET, PUT, PATCH, DELETE) are retried on connection errors, timeouts,
  429 (honouring Retry-After) and 5xx;
- a POST is retried only when the server certainly did not act on it: a refused connection or a
  429. Anything else (a 5xx, a dropped connection, a read timeout) is ambiguous, and the caller
  decides, by looking the object up, whether the first attempt landed (see providers.engine).
"""

from __future__ import annotations

import email.utils
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from .errors import APIConnectionError, APIResponseError, APIStatusError, make_status_error, parse_body

MAX_RETRIES = 5
INITIAL_BACKOFF = 0.25  # seconds, doubled per attempt, with full jitter
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
REDACTED = "[REDACTED]"


def segment(value: str) -> str:
    """One path segment, escaped so that no id or name can reach another route."""
    if not value:
        raise ValueError("an empty id or name cannot address an object")
    return quote(value, safe="")


def tls_failure(error: BaseException | None) -> ssl.SSLError | None:
    """The TLS error behind a connection error (a certificate problem does not go away by retrying)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, ssl.SSLError):
            return error
        error, seen = error.__cause__ or error.__context__, seen + 1
    return None


def should_retry(method: str, response: httpx.Response | None, error: Exception | None) -> bool:
    if error is not None and tls_failure(error) is not None:
        return False
    if error is not None:
        if method in IDEMPOTENT:
            return isinstance(error, (httpx.TransportError,))
        return isinstance(error, httpx.ConnectError)  # never reached the server
    assert response is not None
    if response.status_code == 429:
        return True
    return response.status_code >= 500 and method in IDEMPOTENT


def backoff(attempt: int, response: httpx.Response | None) -> float:
    """Seconds to wait before attempt number `attempt + 1` (0-based): Retry-After, else jittered exponential."""
    if response is not None:
        after = response.headers.get("retry-after")
        if after:
            try:
                return min(max(float(after), 0.0), MAX_RETRY_AFTER)
            except ValueError:
                when = email.utils.parsedate_to_datetime(after)
                if when is not None:
                    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)
    return random.uniform(0, min(MAX_BACKOFF, INITIAL_BACKOFF * 2**attempt))


class Redactor:
    """Replaces every configured secret in a text."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def _tls(verify: bool | str) -> bool | ssl.SSLContext:
    if not isinstance(verify, str):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"the CA bundle {verify!r} cannot be used: {exc}") from None


class APIClient:
    """A base URL, an Authorization header, and the retry rule. Safe to share across threads."""

    def __init__(self, base_url: str, authorization: str, *, secret: str, timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 verify: bool | str = True, max_retries: int = MAX_RETRIES,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        """`verify`: True (the system's CAs), False (no TLS checks), or the path of a PEM CA bundle."""
        if not base_url:
            raise ValueError("no endpoint URL configured")
        self.redact = Redactor([secret, authorization])
        self._max_retries = max_retries
        self._sleep = sleep
        self.retries = 0  # retries made, for the curious (benchmarks, tests)
        self._lock = threading.Lock()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": authorization, "Accept": "application/json"},
            timeout=timeout, verify=_tls(verify),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                ok: Iterable[int] = (200, 201, 204)) -> httpx.Response:
        """Send with retries; return the response when its status is in `ok`, else raise."""
        attempt = 0
        while True:
            response: httpx.Response | None = None
            error: Exception | None = None
            try:
                response = self._http.request(method, path, json=json, params=params)
            except httpx.TransportError as exc:
                error = exc
            if response is not None and response.status_code in ok:
                return response
            if attempt < self._max_retries and should_retry(method, response, error):
                with self._lock:
                    self.retries += 1
                self._sleep(backoff(attempt, response))
                attempt += 1
                continue
            if response is not None:
                raise make_status_error(response, self.redact)
            url = self.redact(f"{self._http.base_url}{path}")
            if tls_failure(error) is not None:
                raise APIConnectionError(
                    f"{method} {url} failed TLS verification ({self.redact(str(tls_failure(error)))}). If the server "
                    "uses a private CA, give its PEM bundle with `pulumi config set pulumi-policies:caBundle <file>` "
                    "(or PULUMI_POLICIES_CA_BUNDLE).", method=method, url=url) from None
            kind = type(error).__name__
            raise APIConnectionError(
                f"{method} {url} got no response ({kind}: {self.redact(str(error)) or 'connection closed'}) "
                f"after {attempt + 1} attempt(s). Check that the endpoint URL is right and the server is up.",
                method=method, url=url) from None

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        body = parse_body(response)
        if body is None and response.content:
            raise APIResponseError(
                f"{method} {self.redact(str(response.request.url))} answered HTTP {response.status_code} with a "
                f"body that is not JSON ({response.headers.get('content-type', 'no content type')}).",
                method=method, url=str(response.request.url))
        return body


def checked_record(model: type[BaseModel], body: Any, what: str) -> dict[str, Any]:
    """A server's object, checked against its (lenient) record model: an id, and documented fields of the right type."""
    if not isinstance(body, dict) or not body.get("id"):
        raise APIResponseError(f"{what} came back without an 'id' (got {_preview(body)})")
    try:
        model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {_preview(e.get('input'))})"
                             for e in exc.errors())
        raise APIResponseError(f"{what} came back malformed: {problems}") from None
    return body


def valid_records(model: type[BaseModel], items: list[Any], what: str) -> list[dict[str, Any]]:
    """The items of a listing that pass ``checked_record``. A malformed one is left out rather than failing
    the whole listing: whoever needs it reads it on its own, and that read says what is wrong with it."""
    out = []
    for item in items:
        try:
            out.append(checked_record(model, item, what))
        except APIResponseError:
            continue
    return out


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def items_of(body: Any, what: str) -> list[dict[str, Any]]:
    """A list response as a bare array or any of the envelopes these APIs use."""
    if isinstance(body, dict):
        for key in ("results", "data", "items"):
            if isinstance(body.get(key), list):
                body = body[key]
                break
    if not isinstance(body, list) or not all(isinstance(x, dict) for x in body):
        raise APIResponseError(f"the list of {what} is neither an array of objects nor a known envelope")
    return body


__all__ = ["APIClient", "APIStatusError", "items_of", "segment", "should_retry", "backoff", "Redactor"]
