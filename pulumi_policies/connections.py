"""Where endpoints and credentials come from: the connections of a stack.

The default connection is the top-level keys of the stack config, then the environment. Named connections
(``pulumi-policies:connections``, an object of name -> the same keys) let one stack reach several tenants;
a resource picks one with ``connection="<name>"`` and only that name is kept in the state::

    pulumi config set --path 'pulumi-policies:connections.prod.resourceManagerUrl' https://prod.example
    pulumi config set --secret --path 'pulumi-policies:connections.prod.resourceManagerToken' "$TOKEN"

A named connection has its own endpoints and credentials (never the default's, nor the environment's); the
HTTP settings it does not set (CA bundle, timeout, retry budget) are the default connection's.

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
| maxConcurrency (requests a policy set sends at once, default 8) | PULUMI_POLICIES_MAX_CONCURRENCY |

Values are read in the provider process (``configure()`` or at call time) and kept in this module,
never on the provider object: that object is pickled into the Pulumi state.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    "maxConcurrency": "PULUMI_POLICIES_MAX_CONCURRENCY",
}
SECRET_KEYS = ("nccmApiKey", "resourceManagerToken")
CONNECTIONS = "connections"  # the stack config key of the named connections
# What a named connection that does not set it takes from the default connection: how to talk, never to whom.
INHERITED = ("caBundle", "insecureSkipVerify", "requestTimeout", "maxRetries", "retryWaitMin", "retryWaitMax",
             "maxConcurrency")
DEFAULT_CONCURRENCY = 8


class ConfigurationError(Exception):
    """A setting is missing or wrong; the message says which and how to set it."""


@dataclass(frozen=True)
class Connection:
    values: Mapping[str, str]
    name: str | None = None                          # None: the default connection
    default: Mapping[str, str] | None = None          # a named connection's fallback for INHERITED keys

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        if value not in (None, ""):
            return value
        if self.name is None:
            return os.environ.get(_KEYS[key]) or None
        return Connection(self.default or {}).get(key) if key in INHERITED else None

    def require(self, key: str, what: str) -> str:
        value = self.get(key)
        if not value:
            secret = " --secret" if key in SECRET_KEYS else ""
            if self.name is not None:
                raise ConfigurationError(
                    f"No {what} configured for connection {self.name!r}. Set it with "
                    f"`pulumi config set{secret} --path '{NAMESPACE}:{CONNECTIONS}.{self.name}.{key}' <value>`.")
            raise ConfigurationError(
                f"No {what} configured. Set it with `pulumi config set{secret} {NAMESPACE}:{key} <value>` "
                f"or the environment variable {_KEYS[key]}.")
        return value

    def where(self, key: str) -> str:
        """Where the user sets `key` of this connection (the inherited keys: where the default's are set)."""
        if self.name is not None and self.values.get(key) not in (None, ""):
            return f"{NAMESPACE}:{CONNECTIONS}.{self.name}.{key}"
        return f"{NAMESPACE}:{key} (or {_KEYS[key]})"

    def secrets(self) -> list[str]:
        return [s for s in (self.get("nccmApiKey"), self.get("resourceManagerToken")) if s]

    def http_options(self) -> dict[str, Any]:
        verify: bool | str = True
        if (self.get("insecureSkipVerify") or "").lower() == "true":
            verify = False
        elif self.get("caBundle"):
            verify = self.get("caBundle") or True
        timeout = self._number("requestTimeout", 30.0) or 30.0
        return {"verify": verify, "timeout": timeout,
                "retry": self.retry_policy()}

    def retry_policy(self) -> RetryPolicy:
        default = RetryPolicy()
        try:
            return RetryPolicy(max_retries=int(self._number("maxRetries", default.max_retries, whole=True)),
                               wait_min=self._number("retryWaitMin", default.wait_min),
                               wait_max=self._number("retryWaitMax", default.wait_max))
        except ValueError as exc:
            raise ConfigurationError(f"{exc}: check {self.where('retryWaitMin')} and {self.where('retryWaitMax')}.") from None

    def concurrency(self) -> int:
        """How many requests a policy set's operation sends at once on this connection (at least 1)."""
        value = int(self._number("maxConcurrency", DEFAULT_CONCURRENCY, whole=True))
        if value < 1:
            raise ConfigurationError(f"{self.where('maxConcurrency')} must be 1 or more (got {value}).")
        return value

    def _number(self, key: str, default: float, *, whole: bool = False) -> float:
        text = self.get(key)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (whole and not value.is_integer()):
            what = "a whole number" if whole else "a number of seconds"
            raise ConfigurationError(f"{self.where(key)} must be {what}, 0 or more (got {text!r}).")
        return value


_lock = threading.Lock()
_config: dict[str, str] = {}
_named: dict[str, dict[str, str]] = {}
_named_error: list[str] = []  # what is wrong with pulumi-policies:connections, said when a connection is used
_clients: dict[tuple[str, ...], APIClient] = {}


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _parse_named(raw: Any) -> dict[str, dict[str, str]]:
    """``pulumi-policies:connections`` (a JSON object, or its text) as {name: {key: value}}, keys checked."""
    where = f"{NAMESPACE}:{CONNECTIONS}"
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"{where} is not a JSON object ({exc.msg}); set its keys with "
                                     f"`pulumi config set --path '{where}.<name>.<key>' <value>`.") from None
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ConfigurationError(f"{where} must be an object of named connections, each an object of settings "
                                 f"(`pulumi config set --path '{where}.<name>.<key>' <value>`).")
    out: dict[str, dict[str, str]] = {}
    for name, values in raw.items():
        unknown = sorted(set(values) - set(_KEYS))
        if unknown:
            raise ConfigurationError(f"{where}.{name}: unknown key(s) {', '.join(unknown)}; a connection's keys are "
                                     f"spelled like the top-level ones: {', '.join(_KEYS)}.")
        out[str(name)] = {k: _text(v) for k, v in values.items() if v is not None}
    return out


def configure(config: Any) -> None:
    """Take the stack's config (a ``pulumi.dynamic.Config`` or a mapping) for this provider process."""
    values: dict[str, str] = {}
    for key in _KEYS:
        full = f"{NAMESPACE}:{key}"
        value = config.get(full) if config is not None else None
        if value is not None:
            values[key] = _text(value)
    raw = config.get(f"{NAMESPACE}:{CONNECTIONS}") if config is not None else None
    named: dict[str, dict[str, str]] = {}
    error: list[str] = []
    if raw not in (None, ""):
        try:
            named = _parse_named(raw)
        except ConfigurationError as exc:
            error.append(str(exc))
    with _lock:
        _config.clear()
        _config.update(values)
        _named.clear()
        _named.update(named)
        _named_error[:] = error


def names() -> list[str]:
    """The named connections this stack configures (the default connection has no name)."""
    with _lock:
        if _named_error:
            raise ConfigurationError(_named_error[0])
        return sorted(_named)


def configure_from_stack(stack: Any) -> None:
    """Take an Automation API stack's config (secrets decrypted), for commands run outside the engine."""
    configure({key: value.value for key, value in stack.get_all_config().items()})


def current(name: str | None = None) -> Connection:
    """The default connection, or the one named `name` (a ConfigurationError naming the known ones if none is)."""
    if name is None:
        with _lock:
            return Connection(dict(_config))
    known = names()
    if name not in known:
        listed = ", ".join(repr(n) for n in known) or "none"
        raise ConfigurationError(
            f"no connection named {name!r} (named connections: {listed}). Add it with `pulumi config set --path "
            f"'{NAMESPACE}:{CONNECTIONS}.{name}.resourceManagerUrl' <url>` (and the other keys it needs), or leave "
            "connection out to use the default one.")
    with _lock:
        return Connection(dict(_named[name]), name=name, default=dict(_config))


def _client(kind: str, url: str, secret: str, authorization: str, connection: Connection) -> APIClient:
    options = connection.http_options()
    key = (kind, url, authorization, repr(options["verify"]), repr(options["timeout"]), repr(options["retry"]))
    with _lock:
        client = _clients.get(key)
        if client is None:
            try:
                client = _clients[key] = APIClient(url, authorization, secret=secret, **options)
            except ValueError as exc:
                raise ConfigurationError(f"{exc}. Check {connection.where('caBundle')}: a readable PEM file of CA "
                                         "certificates.") from None
        return client


def nccm_client(name: str | None = None) -> APIClient:
    connection = current(name)
    url = connection.require("nccmUrl", "NCCM endpoint URL")
    key = connection.require("nccmApiKey", "NCCM API key")
    scheme = connection.get("nccmAuthScheme") or "none"
    try:
        authorization = nccm_wire.authorization(key, scheme)
    except ValueError as exc:
        raise ConfigurationError(f"{exc} (set {NAMESPACE}:nccmAuthScheme or {_KEYS['nccmAuthScheme']}).") from None
    return _client("nccm", url, key, authorization, connection)


def resource_manager_client(name: str | None = None) -> APIClient:
    connection = current(name)
    url = connection.require("resourceManagerUrl", "resource-manager endpoint URL")
    token = connection.require("resourceManagerToken", "resource-manager token")
    return _client("rm", url, token, rm_wire.authorization(token), connection)


def known_secrets() -> list[str]:
    """Every connection's secrets: what an error message must never show."""
    with _lock:
        named = [Connection(dict(v), name=n, default=dict(_config)) for n, v in _named.items()]
    return [s for c in (current(), *named) for s in c.secrets()]
