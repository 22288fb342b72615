"""What every provider of this package shares: configuration, how a failure is said, the operation errors, and the
check of a named connection (pulumi/dynamic's ``ResourceProvider`` below them).

- ``configure`` reads the stack's configuration into ``connections`` and watches the engine (``lifeline``): no
  credential is ever an attribute of a provider, whose object is pickled into the state.
- ``failed`` says a failed operation whole: which object, the action, the status and the server's words, with every
  configured secret redacted by the client's ``Redactor``.
- ``OPERATION_ERRORS``: what an operation catches and says as such (anything else is a bug, shown as it is).
- ``check_connection``: a named connection must be one the stack configures, said at preview with no HTTP call.
- ``as_said``: check failures as the engine prints them (no property: the reason names the field's path).
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckFailure, ConfigureRequest, ResourceProvider

from .. import connections, lifeline
from ..client import PolicyAPIError, Redactor
from ..engine_state import user_props
from ..errors import PulumiPoliciesError
from ..registry import CONNECTION

OPERATION_ERRORS: tuple[type[Exception], ...] = (PolicyAPIError, ValueError, connections.ConfigurationError)


class PolicyProviderError(PulumiPoliciesError):
    """A failed operation, said whole: which object, which call, the status, the server's words, what to do."""


def user_inputs(props: dict[str, Any] | None) -> dict[str, Any]:
    """A resource's properties without the engine's own keys and without None values (an argument left out)."""
    return user_props(props, drop_none=True)


def as_said(failures: list[CheckFailure]) -> list[CheckFailure]:
    """Failures as the engine prints them: each reason already names the field's path (``ResourcePolicy.condition.
    approval.manager_approval.condition: ...``), so no property is named, and the engine, which prints a named
    property's whole value beside it (Go's map dump of a condition), prints the reason alone."""
    return [CheckFailure("", f.reason) for f in failures]


def check_connection(connection: Any, kind: str) -> list[CheckFailure]:
    """A named connection must be one the stack configures: said at preview, before any HTTP call. `kind`: what the
    message names as holding it (a policy set names itself)."""
    if not isinstance(connection, str) or not connection:
        return [CheckFailure(CONNECTION, f"{kind}.connection must be the name of a connection in "
                                         f"{connections.NAMESPACE}:{connections.CONNECTIONS}")]
    try:
        connections.current(connection)
    except connections.ConfigurationError as exc:
        return [CheckFailure(CONNECTION, f"{kind}.connection: {exc}")]
    return []


def failed(what: str, action: str, exc: Exception) -> PolicyProviderError:
    """`what` (the object, described) failed `action`: the error's own words, every configured secret redacted."""
    return PolicyProviderError(f"{what}: {action} failed: {Redactor(connections.known_secrets())(str(exc))}")


class ProviderBase(ResourceProvider):
    """The base of every provider here: configuration from the stack, nothing on the pickled object."""

    # Nothing secret is ever on this object, so its pickle in the state needs no encryption (and is smaller).
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        lifeline.watch_from_provider_process()  # end with the engine, even one killed with SIGKILL
        connections.configure(req.config)
