"""The one retry rule: which requests are sent again, how long to wait, and what Retry-After means."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from pulumi_policies.client import (
    APIClient,
    APIConnectionError,
    APIStatusError,
    MaintenanceError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TLSError,
    retry_after,
    transient,
)
from pulumi_policies.client.errors import make_status_error
from pulumi_policies.providers import PROVIDERS

NOW = 1_800_000_000.0


@pytest.mark.parametrize("header,seconds", [
    ("3", 3.0), ("0.5", 0.5), (" 7 ", 7.0), ("0", 0.0), ("-5", 0.0),           # delta-seconds (negative: now)
    (format_datetime(datetime.fromtimestamp(NOW + 20, UTC), usegmt=True), 20.0),  # an HTTP date ahead
    (format_datetime(datetime.fromtimestamp(NOW - 60, UTC), usegmt=True), 0.0),   # an HTTP date passed
    ("soon", None), ("Thu, 99 Foo 2026 25:61:00 GMT", None), ("nan", None), ("inf", None),  # garbage
    ("", None), (None, None),                                                   # missing
])
def test_retry_after_case_by_case(header, seconds):
    got = retry_after(header, now=lambda: NOW)
    assert got == (pytest.approx(seconds, abs=1.0) if seconds is not None else None)


def _status_error(status: int, body: object = None, method: str = "GET") -> APIStatusError:
    response = httpx.Response(status, json=body, request=httpx.Request(method, "http://x"))
    return make_status_error(response, lambda text: text)


def test_the_rule_resends_on_transient_failures_within_the_budget_where_the_caller_says_it_is_safe():
    policy = RetryPolicy(max_retries=2)
    for status, again in ((429, True), (500, True), (503, True), (400, False), (404, False), (409, False)):
        error = _status_error(status)
        assert transient(error) is again
        assert policy.should_retry(0, error, resend_safe=True) is again
        assert policy.should_retry(0, error, resend_safe=False) is False  # a POST, as the client sends it
        assert policy.should_retry(2, error, resend_safe=True) is False  # the budget is spent
    assert transient(APIConnectionError("reset", sent=True)) and transient(APIConnectionError("refused", sent=False))
    assert not transient(TLSError("bad certificate", sent=False))  # a certificate does not get better by retrying


def test_the_client_says_a_tls_failure_at_once():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        error = httpx.ConnectError("bad certificate")
        error.__cause__ = ssl.SSLCertVerificationError("self-signed")
        raise error

    client = APIClient("http://x", "k", secret="k", sleep=lambda s: pytest.fail("slept"))
    client._http._transport = httpx.MockTransport(handler)
    with pytest.raises(TLSError, match="caBundle"):
        client.request("GET", "/x")
    assert calls == ["GET"]


class _Remote:
    """A collection whose POST fails as `failures` say, then creates."""

    def __init__(self, failures: list[Exception], slept: list[float]) -> None:
        self.failures = failures
        self.client = type("Client", (), {"retry": RetryPolicy(max_retries=3, wait_max=10), "sleep": slept.append})()

    def create(self, body: dict) -> dict:
        if self.failures:
            raise self.failures.pop(0)
        return {"id": "made", **body}

    def find(self, inputs: dict) -> None:
        return None


def test_the_create_loop_follows_the_same_rule():
    """The provider's create loop (the only one resending a POST) waits what Retry-After asks, backs off where
    nothing is asked, and stops at once where the client would: a TLS failure, a tenant in maintenance."""
    provider = PROVIDERS["ResourcePolicy"]()
    slept: list[float] = []
    limited = RateLimitError("slow down", method="POST", url="u", status=429, body=None, server_message="",
                             retry_after="2")
    remote = _Remote([limited, APIConnectionError("refused", sent=False)], slept)
    assert provider._create(remote, {"name": "p"})["id"] == "made"
    assert slept[0] == 2.0 and 0.0 <= slept[1] <= 0.5 and len(slept) == 2
    for final in (TLSError("bad certificate", sent=False),
                  _status_error(503, {"errorCode": "MAINT0001", "message": "maintenance"}, "POST")):
        slept.clear()
        with pytest.raises(type(final)):
            provider._create(_Remote([final], slept), {"name": "p"})
        assert slept == []


def test_backoff_stays_within_the_budget_and_honours_retry_after_within_its_bounds():
    policy = RetryPolicy(max_retries=3, wait_min=1.0, wait_max=4.0)
    waits = [policy.delay(attempt) for attempt in range(8) for _ in range(50)]
    assert all(1.0 <= w <= 4.0 for w in waits) and max(waits) > 2.0
    assert policy.delay(0, asked=2.5) == 2.5
    assert policy.delay(0, asked=100.0) == 4.0 and policy.delay(0, asked=0.0) == 1.0
    with pytest.raises(ValueError):
        RetryPolicy(wait_min=5, wait_max=1)


def test_the_client_sleeps_what_the_server_asks_and_survives_a_garbage_retry_after():
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(503, headers={"Retry-After": "??"}),
                    httpx.Response(200, json={"ok": True})])
    slept: list[float] = []
    client = APIClient("http://api.test", "TOKEN t", secret="t", retry=RetryPolicy(max_retries=5, wait_max=10),
                       sleep=slept.append)
    client._http._transport = httpx.MockTransport(lambda request: next(answers))
    assert client.json("GET", "/x") == {"ok": True}
    assert len(slept) == 2 and slept[0] == 2.0 and 0.0 <= slept[1] <= 0.5


def test_the_budget_ends_with_the_servers_words():
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(503, json={"error": "down for maintenance"})

    client = APIClient("http://api.test", "k", secret="k", retry=RetryPolicy(max_retries=2), sleep=lambda s: None)
    client._http._transport = httpx.MockTransport(answer)
    with pytest.raises(ServerError, match="down for maintenance"):
        client.json("GET", "/x")
    assert calls == ["GET"] * 3
    calls.clear()
    with pytest.raises(ServerError):
        client.json("POST", "/x", json={})
    assert calls == ["POST"]  # a POST is sent once here: its caller decides whether to send it again


def test_a_tenant_in_maintenance_is_said_at_once_not_retried():
    """Britive's 503 with errorCode MAINT0001 (britive 4.7.0 helpers/utils.py tenant_is_under_maintenance): the SDK
    stops at once; so does the client, with the server's words and what to do. A plain 503 is still retried."""
    calls: list[str] = []
    maintenance = {"status": 503, "errorCode": "MAINT0001", "message": "Tenant is under maintenance until 18:00 UTC."}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(503, json=maintenance)

    client = APIClient("http://x", "TOKEN t", secret="t", sleep=lambda s: None)
    client._http._transport = httpx.MockTransport(handler)
    with pytest.raises(MaintenanceError) as raised:
        client.request("GET", "/api/resource-manager/policies")
    assert calls == ["GET"] and not isinstance(raised.value, ServerError)
    assert "HTTP 503: Tenant is under maintenance until 18:00 UTC." in str(raised.value)
    assert "The tenant is in maintenance (MAINT0001)" in str(raised.value) and "Run again" in str(raised.value)
    plain = _status_error(503, {"status": 503, "errorCode": "RM-503", "message": "busy"})
    assert isinstance(plain, ServerError) and RetryPolicy().should_retry(0, plain, resend_safe=True) is True
