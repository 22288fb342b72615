"""Where endpoints and credentials come from: stack config first, then the environment.

| stack config (namespace ``pulumi-policies``) | environment                       |
|----------------------------------------------|-----------------------------------|
| nccmUrl                                      | PULUMI_POLICIES_NCCM_URL          |
| nccmApiKey (secret)                          | PULUMI_POLICIES_NCCM_API_KEY      |
| resourceManagerUrl                           | PULUMI_POLICIES_RM_URL            |
| resourceManagerToken (secret)                | PULUMI_POLICIES_RM_TOKEN          |
| caBundle (path of a PEM CA bundle)           | PULUMI_POLICIES_CA_BUNDLE         |
| insecureSkipVerify ("true" to turn TLS checks off) | PULUMI_POLICIES_INSECURE_SKIP_VERIFY |
| requestTimeout (seconds)                     | PULUMI_POLICIES_REQUEST_TIMEOUT   |
| nccmAuthScheme ("none" or "ApiKey")          | PULUMI_POLICIES_NCCM_AUTH_SCHEME  |
| maxRetries                                   | PULUMI_POLICIES_MAX_RETRIES       |
| retryWaitMin (seconds)                       | PULUMI_POLICIES_RETRY_WAIT_MIN    |
| retryWaitMax (seconds)                       | PULUMI_POLICIES_RETRY_WAIT_MAX    |

Values are read in the provider process (``configure()`` or at call time) and kept in this module,
never on the provider object: that object is pickled into the Pulumi state.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .client import APIClient, RetryPolicy
from .client import nccm as nccm_wire
from .client import resource_manager as rm_wire

NAMESPACE = "pulumi-policies"
_KEYS = {  # config key -> environment variable
    "nccmUrl": "PULUMI_POLICIES_NCCM_URL",
    "nccmApiKey": "PULUMI_POLICIES_NCCM_API_KEY",
    "resourceManagerUrl": "PULUMI_POLICIES_RM_URL",
    "resourceManagerToken": "PULUMI_POLICIES_RM_TOKEN",
    "caBundle": "PULUMI_POLICIES_CA_BUNDLE",
    "insecureSkipVerify": "PULUMI_POLICIES_INSECURE_SKIP_VERIFY",
    "requestTimeout": "PULUMI_POLICIES_REQUEST_TIMEOUT",
    "nccmAuthScheme": "PULUMI_POLICIES_NCCM_AUTH_SCHEME",
    "maxRetries": "PULUMI_POLICIES_MAX_RETRIES",
    "retryWaitMin": "PULUMI_POLICIES_RETRY_WAIT_MIN",
    "retryWaitMax": "PULUMI_POLICIES_RETRY_WAIT_MAX",
}
SECRET_KEYS = ("nccmApiKey", "resourceManagerToken")


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message says which and how to set it."""


@dataclass(frozen=True)
class Connection:
    values: Mapping[str, str]

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return value if value not in (None, "") else os.environ.get(_KEYS[key]) or None

    def require(self, key: str, what: str) -> str:
        value = self.get(key)
        if not value:
            secret = " --secret" if key in SECRET_KEYS else ""
            raise ConfigurationError(
                f"No {what} configured. Set it with `pulumi config set{secret} {NAMESPACE}:{key} <value>` "
                f"or the environment variable {_KEYS[key]}.")
        return value

    def http_options(self) -> dict[str, Any]:
        verify: bool | str = True
        if (self.get("insecureSkipVerify") or "").lower() == "true":
            verify = False
        elif self.get("caBundle"):
            verify = self.get("caBundle") or True
        timeout = self._number("requestTimeout", 30.0) or 30.0
        return {"verify": verify, "timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                "retry": self.retry_policy()}

    def retry_policy(self) -> RetryPolicy:
        default = RetryPolicy()
        try:
            return RetryPolicy(max_retries=int(self._number("maxRetries", default.max_retries, whole=True)),
                               wait_min=self._number("retryWaitMin", default.wait_min),
                               wait_max=self._number("retryWaitMax", default.wait_max))
        except ValueError as exc:
            raise ConfigurationError(f"{exc}: check {NAMESPACE}:retryWaitMin and retryWaitMax "
                                     "(or PULUMI_POLICIES_RETRY_WAIT_MIN / _MAX).") from None

    def _number(self, key: str, default: float, *, whole: bool = False) -> float:
        text = self.get(key)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (whole and not value.is_integer()):
            what = "a whole number of retries" if whole else "a number of seconds"
            raise ConfigurationError(f"{NAMESPACE}:{key} (or {_KEYS[key]}) must be {what}, 0 or more (got {text!r}).")
        return value


_lock = threading.Lock()
_config: dict[str, str] = {}
_clients: dict[tuple[str, ...], APIClient] = {}


def configure(config: Any) -> None:
    """Take the stack's config (a ``pulumi.dynamic.Config`` or a mapping) for this provider process."""
    values: dict[str, str] = {}
    for key in _KEYS:
        full = f"{NAMESPACE}:{key}"
        value = config.get(full) if config is not None else None
        if value is not None:
            values[key] = str(value)
    with _lock:
        _config.clear()
        _config.update(values)


def configure_from_stack(stack: Any) -> None:
    """Take an Automation API stack's config (secrets decrypted), for commands run outside the engine."""
    configure({key: value.value for key, value in stack.get_all_config().items()})


def current() -> Connection:
    with _lock:
        return Connection(dict(_config))


def _client(kind: str, url: str, secret: str, authorization: str, connection: Connection) -> APIClient:
    options = connection.http_options()
    key = (kind, url, authorization, repr(options["verify"]), repr(options["timeout"]), repr(options["retry"]))
    with _lock:
        client = _clients.get(key)
        if client is None:
            try:
                client = _clients[key] = APIClient(url, authorization, secret=secret, **options)
            except ValueError as exc:
                raise ConfigurationError(f"{exc}. Check `pulumi config get {NAMESPACE}:caBundle` "
                                         f"(or {_KEYS['caBundle']}): a readable PEM file of CA certificates.") from None
        return client


def nccm_client() -> APIClient:
    connection = current()
    url = connection.require("nccmUrl", "NCCM endpoint URL")
    key = connection.require("nccmApiKey", "NCCM API key")
    scheme = connection.get("nccmAuthScheme") or "none"
    try:
        authorization = nccm_wire.authorization(key, scheme)
    except ValueError as exc:
        raise ConfigurationError(f"{exc} (set {NAMESPACE}:nccmAuthScheme or {_KEYS['nccmAuthScheme']}).") from None
    return _client("nccm", url, key, authorization, connection)


def resource_manager_client() -> APIClient:
    connection = current()
    url = connection.require("resourceManagerUrl", "resource-manager endpoint URL")
    token = connection.require("resourceManagerToken", "resource-manager token")
    return _client("rm", url, token, rm_wire.authorization(token), connection)


def known_secrets() -> list[str]:
    connection = current()
    return [s for s in (connection.get("nccmApiKey"), connection.get("resourceManagerToken")) if s]
