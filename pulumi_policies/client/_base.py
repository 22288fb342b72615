"""The HTTP layer shared by both API families: one thread-safe httpx client, timeouts, retries, redaction.

One rule decides retries: :class:`RetryPolicy` (``_retry.py``: a pure predicate over the error tree, a backoff
function and a budget).
- idempotent requests (GET, PUT, PATCH, DELETE) are retried here, on connection errors, timeouts,
  429 (honouring Retry-After) and 5xx;
- a POST is never resent here: only its caller can tell whether resending is safe (a create that
  may have landed must be looked up first), so the caller runs its own attempts with the same policy
  (see ``providers.adoption``), and no POST is ever sent by two nested loops.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from ._retry import IDEMPOTENT, RetryPolicy
from .errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    NotFoundError,
    PolicyAPIError,
    TLSError,
    make_status_error,
    parse_body,
)

# httpx is imported when the first client is made: a program, and a preview with nothing to change, never make
# one, and its import is a tenth of a second of every such process's start-up.
if TYPE_CHECKING:
    import httpx

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

    def __init__(self, base_url: str, authorization: str, *, secret: str, timeout: float = 30.0,
                 verify: bool | str = True, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, auth_hint: str | None = None) -> None:
        """`timeout`: seconds per request (connecting: at most 10 of them). `verify`: True (the system's CAs),
        False (no TLS checks), or the path of a PEM CA bundle. `auth_hint`: what a 401/403 tells the user to check
        (where this connection's credential is set)."""
        import httpx

        if not base_url:
            raise ValueError("no endpoint URL configured")
        self.redact = Redactor([secret, authorization])
        self.auth_hint = auth_hint
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": authorization, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), verify=_tls(verify),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                ok: Iterable[int] = (200, 201, 204)) -> httpx.Response:
        """Send with retries; return the response when its status is in `ok`, else raise."""
        import httpx

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
            failure = self._failure(method, path, response, error, attempt)
            if self.retry.should_retry(attempt, failure, resend_safe=method in IDEMPOTENT):
                self.sleep(self.retry.wait(attempt, failure))
                attempt += 1
                continue
            raise failure from None

    def _failure(self, method: str, path: str, response: httpx.Response | None, error: Exception | None,
                 attempt: int) -> PolicyAPIError:
        """What went wrong with attempt number `attempt` (0-based), as the error tree says it."""
        import httpx

        if response is not None:
            return make_status_error(response, self.redact, auth_hint=self.auth_hint)
        url = self.redact(f"{self._http.base_url}{path}")
        if tls_failure(error) is not None:
            return TLSError(
                f"{method} {url} failed TLS verification ({self.redact(str(tls_failure(error)))}). If the server "
                "uses a private CA, give its PEM bundle with `pulumi config set pulumi-policies:caBundle <file>` "
                "(or PULUMI_POLICIES_CA_BUNDLE).", method=method, url=url, sent=False)
        kind = type(error).__name__
        return APIConnectionError(
            f"{method} {url} got no response ({kind}: {self.redact(str(error)) or 'connection closed'}) "
            f"after {attempt + 1} attempt(s). Check that the endpoint URL is right and the server is up.",
            method=method, url=url, sent=not isinstance(error, httpx.ConnectError))

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


def listed_items(body: Any, what: str) -> list[dict[str, Any]]:
    """A list response as a bare array or any of the envelopes these APIs use."""
    if isinstance(body, dict):
        for key in ("results", "data", "items"):
            if isinstance(body.get(key), list):
                body = body[key]
                break
    if not isinstance(body, list) or not all(isinstance(x, dict) for x in body):
        raise APIResponseError(f"the list of {what} is neither an array of objects nor a known envelope")
    return body


MAX_PAGES = 100_000  # a listing longer than this is a server that never stops answering


def pages(fetch: Callable[[dict[str, Any]], Any], what: str, *, first: int, size: int, page_param: str = "page",
          size_param: str = "size") -> Iterator[list[dict[str, Any]]]:
    """Every page of a listing, whatever the server's way of paging, never stopping short without saying so:

    - ``{count, page, size, data}`` (Britive) page after page, as Britive's SDK reads it, until ``count``
      items have come (a server that stops short of its own count is an error);
    - ``{count, next, previous, results}`` (Django REST framework) until ``next`` is null;
    - a bare array until a page comes back empty, or with nothing new (a server that ignores the paging
      parameters sends everything each time); a short page is not the end, since a server may cap the page
      size below the one asked for;
    - a 404 for a page after the first is the end (DRF answers a page past the last with "Invalid page.").
    """
    page, received = first, 0
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        try:
            body = fetch({page_param: page, size_param: size})
        except NotFoundError:
            if page == first:
                raise
            return
        items = listed_items(body, what)
        fresh = [i for i in items if _identity(i) not in seen]
        seen.update(_identity(i) for i in items)
        count = body.get("count") if isinstance(body, dict) and isinstance(body.get("count"), int) else None
        if fresh:
            received += len(fresh)
            yield fresh
        if isinstance(body, dict) and "results" in body:  # DRF: the server says where the next page is
            if not body.get("next") or not items:
                return
        elif count is not None and "data" in body:  # Britive
            if received >= count:
                return
            if not fresh:
                raise APIResponseError(f"the listing of {what} stopped after {received} of the {count} items it "
                                       f"counts (page {page} brought nothing new): the server does not page as asked")
            served = body.get("page")
            page = (served if isinstance(served, int) and served >= page else page) + 1
            continue
        elif not fresh:
            return
        page += 1
    raise APIResponseError(f"the listing of {what} did not end after {MAX_PAGES} pages")


def _identity(item: dict[str, Any]) -> str:
    return str(item.get("id")) if item.get("id") is not None else repr(sorted(item.items(), key=lambda kv: kv[0]))


__all__ = ["APIClient", "APIStatusError", "Redactor", "listed_items", "pages", "segment"]
