"""Creating and adopting: the one loop that ever sends a create, the journal of `up --fast`, adoption by id or
natural key, and the conflict that names how to keep an object (a mixin of PolicyProvider).

A create is never resent blindly: after an ambiguous failure the object is looked up by natural key and adopted only
if it holds what was sent; an object of that name holding anything else is somebody else's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeGuard

from .. import journal
from ..client import APIConnectionError, APIStatusError, ConflictError, PolicyAPIError, RateLimitError, ServerError
from ..registry import Remote, ResourceSpec
from .base import PolicyProviderError

if TYPE_CHECKING:
    from pulumi.dynamic import DiffResult


class Adoption:
    """Create and adopt (a mixin of PolicyProvider, whose diff, outputs and update it uses)."""

    spec: ClassVar[ResourceSpec]

    if TYPE_CHECKING:
        def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult: ...
        def outputs(self, record: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]: ...
        def _create_body(self, inputs: dict[str, Any]) -> dict[str, Any]: ...
        def _update(self, remote: Remote, remote_id: str, olds: dict[str, Any], inputs: dict[str, Any], *,
                    fresh: dict[str, Any] | None = None) -> dict[str, Any]: ...

    def _create(self, remote: Remote, inputs: dict[str, Any]) -> dict[str, Any]:
        """POST, under the connection's retry policy; the only loop that ever sends a create again.

        Refused before it was acted on (429, connection refused): sent again after the wait. Ambiguous
        (a 5xx, a lost answer): the object is looked up by natural key first and adopted if the lost
        attempt landed, so a create is never duplicated.
        """
        body = self._create_body(inputs)
        policy = remote.client.retry
        ambiguous = False
        for attempt in range(policy.max_retries + 1):
            try:
                return remote.create(body)
            except ConflictError as exc:
                found = remote.find(inputs)
                if ambiguous and self.is_ours(found, inputs):
                    return found  # our own earlier attempt landed after all
                raise self._taken(exc, inputs, found) from None
            except (RateLimitError, APIConnectionError, ServerError) as exc:
                if not isinstance(exc, RateLimitError) and getattr(exc, "sent", True):
                    ambiguous = True
                    found = remote.find(inputs)
                    if self.is_ours(found, inputs):
                        return found  # the lost attempt landed: adopt it rather than make a duplicate
                    if found is not None:  # somebody else's object holds the name: never take it over
                        raise self._taken(exc, inputs, found) from None
                if not policy.should_retry(attempt, exc, resend_safe=True):  # the one rule (client/_retry.py)
                    raise
                remote.client.sleep(policy.wait(attempt, exc))
        raise AssertionError("unreachable")

    def _journalled_create(self, remote: Remote, scope: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        """_create, written to the journal before it is sent and once it is answered (with `up --fast` only)."""
        journal.intend(self.spec.kind, scope, self._natural(inputs), inputs)
        record = self._create(remote, inputs)
        journal.record(self.spec.kind, scope, self._natural(inputs), str(record["id"]))
        return record

    def _natural(self, inputs: dict[str, Any]) -> dict[str, Any]:
        return {k: inputs.get(k) for k in self.spec.natural_key}

    def _made_earlier(self, remote: Remote, scope: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any] | None:
        """The object an earlier update of this stack created without the state recording it (an `up --fast`
        that died: see journal.py), brought to the declared values; None when there is none."""
        natural = self._natural(inputs)
        ids, begun = journal.made_by_us(self.spec.kind, scope, natural)
        found = remote.find(inputs) if ids or begun else None
        if found is None:
            return None  # none made, or gone since: create as usual
        if str(found["id"]) not in ids and not any(self.is_ours(found, sent) for sent in begun):
            return None  # somebody else's object holds the name: the create will say so
        return self._adopt(remote, str(found["id"]), inputs)

    def is_ours(self, found: dict[str, Any] | None, inputs: dict[str, Any]) -> TypeGuard[dict[str, Any]]:
        """Is `found`, looked up by natural key after an ambiguous create, what this create sent? Only then may
        it be taken as ours: an object of that name holding anything else is somebody else's."""
        if found is None:
            return False
        return not self.diff("", self.outputs(found, self.spec.scope_of(inputs)), inputs).changes

    def _taken(self, exc: PolicyAPIError, inputs: dict[str, Any], found: dict[str, Any] | None) -> PolicyAPIError:
        if found is None:
            return exc
        key = "/".join(self.spec.natural_key)
        said = (f"{exc.method} {exc.url} answered HTTP {exc.status}: {exc.server_message.rstrip('.')}"
                if isinstance(exc, APIStatusError) else exc.message.rstrip("."))
        return ConflictError(
            f"{said}. {self.spec.describe(inputs)} already exists (id {found['id']!r}). If this stack holds it under "
            "another resource name (a rename), say so and nothing is re-created: "
            "opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=\"<old resource name>\")]). If it moves here "
            f"from another resource or a set, or is not yet managed, adopt it with import_id={found['id']!r} (a "
            f"resource removed in the same update leaves it on the server). Otherwise choose another {key}.",
            method=exc.method, url=exc.url, status=getattr(exc, "status", 409), body=getattr(exc, "body", None),
            server_message=getattr(exc, "server_message", ""))

    def _adopt(self, remote: Remote, import_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        record = self._to_adopt(remote, import_id, inputs)
        current = self.outputs(record, self.spec.scope_of(inputs))
        diff = self.diff("", current, inputs)
        if diff.replaces:
            found = ", ".join(f"{f} {current.get(f)!r}" for f in diff.replaces)
            raise PolicyProviderError(
                f"{self.spec.describe(inputs)}: import_id {import_id!r} names a {self.spec.kind} with {found}, "
                f"which the program declares otherwise; these fields identify a {self.spec.kind} and cannot be "
                "changed in place. Declare the values the object has, or remove import_id to create a new one.")
        if diff.changes:
            record = self._update(remote, record["id"], current, inputs, fresh=record)
        return record

    def _to_adopt(self, remote: Remote, import_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """The object `import_id` names: by its remote id, or by its natural key (``name:<name>``,
        ``<profile_id>/<name>``, ``<policyid>/<organization>``), which must match exactly one object."""
        key = self.spec.import_key(import_id, inputs)
        if key is None:
            record = remote.fresh(import_id)
            if record is None and self.spec.import_bare_name and "/" not in import_id:
                key = {"name": import_id}  # no object of that id: the name Britive's Terraform provider imports by
            elif record is None:
                raise PolicyProviderError(
                    f"{self.spec.describe(inputs)}: import_id {import_id!r} names no existing {self.spec.kind}. Check "
                    "the id (pulumi-policies export lists them), or give its natural key (docs/operations.md, adoption), or "
                    "remove import_id to create a new one.")
            else:
                return record
        said = ", ".join(f"{k} {v!r}" for k, v in key.items())
        found = remote.matching({**inputs, **key})
        if not found:
            raise PolicyProviderError(
                f"{self.spec.describe(inputs)}: import_id {import_id!r} matches no existing {self.spec.kind} "
                f"({said}). Check the name (pulumi-policies export lists them) or remove import_id to create one.")
        if len(found) > 1:
            ids = ", ".join(repr(r.get("id")) for r in found)
            raise PolicyProviderError(
                f"{self.spec.describe(inputs)}: import_id {import_id!r} matches {len(found)} {self.spec.kind} "
                f"objects ({said}: ids {ids}). Adopt one by its id: import_id=\"<id>\".")
        return found[0]
