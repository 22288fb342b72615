"""Where endpoints and credentials come from: the connections of a stack.

The default connection is the top-level keys of the stack config, then the environment. Named connections
(``pulumi-policies:connections``, an object of name -> the same keys) let one stack reach several tenants;
a resource picks one with ``connection="<name>"`` and only that name is kept in the state::

    pulumi config set --path 'pulumi-policies:connections.prod.resourceManagerUrl' https://prod.example
    pulumi config set --secret --path 'pulumi-policies:connections.prod.resourceManagerToken' "$TOKEN"

A named connection has its own endpoints and credentials (never the default's, nor the environment's); the
HTTP settings it does not set (CA bundle, timeout, retry budget) are the default connection's.

Every setting, its environment variable, default and meaning is declared once, in ``SETTINGS`` below, and each
API family's (its endpoint, credential, how the credential is sent) in ``FAMILIES``; docs/configuration.md lists
them (a test keeps the two the same), and errors say where to set what is missing.

Values are read in the provider process (``configure()`` or at call time) and kept in this module,
never on the provider object: that object is pickled into the Pulumi state.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .client import APIClient, RetryPolicy
from .client import nccm as nccm_wire
from .client import resource_manager as rm_wire
from .errors import PulumiPoliciesError

NAMESPACE = "pulumi-policies"
CONNECTIONS = "connections"  # the stack config key of the named connections


@dataclass(frozen=True)
class Setting:
    """One setting of a connection: stack config key ``pulumi-policies:<key>``, or the environment variable."""

    key: str
    env: str
    meaning: str
    default: Any = None        # what applies when nobody sets it (None: nothing; required where an API needs it)
    secret: bool = False       # set with `pulumi config set --secret`; redacted from every message
    inherited: bool = False    # a named connection that does not set it takes the default connection's: how to
                               # talk, never to whom


_RETRY = RetryPolicy()
SETTINGS: tuple[Setting, ...] = (
    Setting("nccmUrl", "PULUMI_POLICIES_NCCM_URL", "NCCM endpoint URL"),
    Setting("nccmApiKey", "PULUMI_POLICIES_NCCM_API_KEY", "NCCM API key", secret=True),
    Setting("nccmAuthScheme", "PULUMI_POLICIES_NCCM_AUTH_SCHEME",
            "how the NCCM API key is sent: `none` (the bare key, as the document shows) or `ApiKey` (Infraon)", "none"),
    Setting("resourceManagerUrl", "PULUMI_POLICIES_RM_URL", "resource-manager endpoint URL"),
    Setting("resourceManagerToken", "PULUMI_POLICIES_RM_TOKEN", "resource-manager token", secret=True),
    Setting("caBundle", "PULUMI_POLICIES_CA_BUNDLE", "path of a PEM CA bundle (a private CA)", inherited=True),
    Setting("insecureSkipVerify", "PULUMI_POLICIES_INSECURE_SKIP_VERIFY", "`true` turns TLS checks off", "false",
            inherited=True),
    Setting("requestTimeout", "PULUMI_POLICIES_REQUEST_TIMEOUT", "seconds per request (connecting: at most 10)", 30.0,
            inherited=True),
    Setting("maxRetries", "PULUMI_POLICIES_MAX_RETRIES", "retries of a failed call (429, 5xx, no answer)",
            _RETRY.max_retries, inherited=True),
    Setting("retryWaitMin", "PULUMI_POLICIES_RETRY_WAIT_MIN", "shortest wait between retries, seconds",
            _RETRY.wait_min, inherited=True),
    Setting("retryWaitMax", "PULUMI_POLICIES_RETRY_WAIT_MAX", "longest wait between retries, seconds (Retry-After "
            "included)", _RETRY.wait_max, inherited=True),
    Setting("maxConcurrency", "PULUMI_POLICIES_MAX_CONCURRENCY", "requests a policy set sends at once", 8,
            inherited=True),
)


def settings_table() -> str:
    """The Markdown table of every setting, as docs/configuration.md shows it (a test keeps the page current)."""
    rows = ["| stack config | environment | meaning | default | named connections |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        secret = " (secret)" if s.secret else ""
        default = "-" if s.default is None else f"`{s.default}`"
        rows.append(f"| `pulumi-policies:{s.key}`{secret} | `{s.env}` | {s.meaning} | {default} | "
                    f"{'inherited from the default connection' if s.inherited else 'per connection'} |")
    return "\n".join(rows) + "\n"
BY_KEY = {s.key: s for s in SETTINGS}
_KEYS = {s.key: s.env for s in SETTINGS}  # config key -> environment variable
SECRET_KEYS = tuple(s.key for s in SETTINGS if s.secret)
INHERITED = tuple(s.key for s in SETTINGS if s.inherited)
DEFAULT_CONCURRENCY = int(BY_KEY["maxConcurrency"].default)
DEFAULT_TIMEOUT = float(BY_KEY["requestTimeout"].default)


@dataclass(frozen=True)
class Family:
    """One API family: where it is, what it authenticates with, and how that is sent."""

    name: str
    url_key: str
    secret_key: str

    def credential_hint(self, connection: str | None) -> str:
        """What to check after a 401/403, for this family's credential on this connection."""
        setting = BY_KEY[self.secret_key]
        where = (f"`pulumi config set --secret --path '{NAMESPACE}:{CONNECTIONS}.{connection}.{setting.key}' <value>`"
                 if connection is not None else
                 f"`pulumi config set --secret {NAMESPACE}:{setting.key} <value>` or {setting.env}")
        return f"Check the {setting.meaning}: {where}."


FAMILIES = {"nccm": Family("nccm", "nccmUrl", "nccmApiKey"),
            "rm": Family("rm", "resourceManagerUrl", "resourceManagerToken")}


class ConfigurationError(PulumiPoliciesError):
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
        return [s for s in (self.get(k) for k in SECRET_KEYS) if s]

    def http_options(self) -> dict[str, Any]:
        verify: bool | str = True
        if (self.get("insecureSkipVerify") or "").lower() == "true":
            verify = False
        elif self.get("caBundle"):
            verify = self.get("caBundle") or True
        timeout = self._number("requestTimeout", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT
        return {"verify": verify, "timeout": timeout,
                "retry": self.retry_policy()}

    def retry_policy(self) -> RetryPolicy:
        try:
            return RetryPolicy(max_retries=int(self._number("maxRetries", _RETRY.max_retries, whole=True)),
                               wait_min=self._number("retryWaitMin", _RETRY.wait_min),
                               wait_max=self._number("retryWaitMax", _RETRY.wait_max))
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


def _client(family: Family, authorization: Callable[[str], str], connection: Connection) -> APIClient:
    url = connection.require(family.url_key, BY_KEY[family.url_key].meaning)
    secret = connection.require(family.secret_key, BY_KEY[family.secret_key].meaning)
    header = authorization(secret)
    options = connection.http_options()
    key = (family.name, url, header, repr(options["verify"]), repr(options["timeout"]), repr(options["retry"]))
    with _lock:
        client = _clients.get(key)
        if client is None:
            try:
                client = _clients[key] = APIClient(url, header, secret=secret,
                                                   auth_hint=family.credential_hint(connection.name), **options)
            except ValueError as exc:
                raise ConfigurationError(f"{exc}. Check {connection.where('caBundle')}: a readable PEM file of CA "
                                         "certificates.") from None
        return client


def nccm_client(name: str | None = None) -> APIClient:
    connection = current(name)
    scheme = connection.get("nccmAuthScheme") or BY_KEY["nccmAuthScheme"].default
    try:
        nccm_wire.authorization("", scheme)
    except ValueError as exc:
        raise ConfigurationError(f"{exc} (set {connection.where('nccmAuthScheme')}).") from None
    return _client(FAMILIES["nccm"], lambda key: nccm_wire.authorization(key, scheme), connection)


def resource_manager_client(name: str | None = None) -> APIClient:
    return _client(FAMILIES["rm"], rm_wire.authorization, current(name))


def known_secrets() -> list[str]:
    """Every connection's secrets: what an error message must never show."""
    with _lock:
        named = [Connection(dict(v), name=n, default=dict(_config)) for n, v in _named.items()]
    return [s for c in (current(), *named) for s in c.secrets()]
