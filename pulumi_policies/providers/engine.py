"""The one dynamic-provider engine behind all three resources: check, diff, create, read, update, delete.

What differs between resources is a ``ResourceSpec`` (specs.py). Facts of the Pulumi protocol
this relies on (pulumi 3.259, ``pulumi/dynamic/__main__.py``):
- ``diff`` gets the old *outputs* and the new checked inputs;
- ``update`` outputs replace all outputs; ``read`` may return inputs for later diffs, and an empty
  id drops the object from state;
- the provider object is pickled into state: it carries no attributes (credentials live in
  ``connections``), and its class lives in this installed module so it pickles by reference.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeGuard

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import UNKNOWN  # the engine's placeholder for values known after apply
from pydantic import ValidationError

from .. import connections, journal, lifeline
from ..client import (
    APIConnectionError,
    APIStatusError,
    ConflictError,
    PolicyAPIError,
    RateLimitError,
    ServerError,
)
from ..engine_state import stamped, user_props
from ..errors import PulumiPoliciesError
from ..models import Marker, camel_to_snake, field_flag, fields_with, python_names
from ..models.canonical import EMPTY, aligned, canonical, python_path, unknown_parts, with_unknown
from . import claims
from .specs import CONNECTION, Remote, ResourceSpec

IMPORT_ID = "import_id"


class PolicyProviderError(PulumiPoliciesError):
    """A failed operation, said whole: which object, which call, the status, the server's words, what to do."""


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(v) for v in value)
    return bool(value == UNKNOWN)


def _user_props(props: dict[str, Any]) -> dict[str, Any]:
    return user_props(props, drop_none=True)


class PolicyProvider(ResourceProvider):
    """Generic CRUD over a ResourceSpec. Subclasses only name their spec."""

    spec: ClassVar[ResourceSpec]
    # Nothing secret is ever on this object, so its pickle in the state needs no encryption (and is smaller).
    serialize_as_secret_always = False

    # -- configuration --------------------------------------------------------------------------
    def configure(self, req: ConfigureRequest) -> None:
        lifeline.watch_from_provider_process()  # end with the engine, even one killed with SIGKILL
        connections.configure(req.config)

    # -- the spec's fields ------------------------------------------------------------------------
    @property
    def _fields(self) -> list[str]:
        model = self.spec.args_model
        return [n for n in model.model_fields if not field_flag(model, n, Marker.READ_ONLY)]

    def _flag(self, name: str, flag: Marker) -> bool:
        return field_flag(self.spec.args_model, name, flag)

    def _value(self, name: str, inputs: dict[str, Any]) -> Any:
        """What the program means for field `name`: its value, or the field's default where it left it out."""
        if name in inputs:
            return inputs[name]
        default = self.spec.args_model.model_fields[name].get_default(call_default_factory=True)
        return default.model_dump(mode="json") if hasattr(default, "model_dump") else default

    def _wire(self, body: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        """`body` (Python names) under the wire's names, values as the model dumps them."""
        if not self.spec.wire_by_alias:
            return body
        model = self.spec.args_model
        validated = model.model_validate({**body, **{f: inputs[f] for f in self.spec.scope_fields}})
        return validated.model_dump(mode="json", by_alias=True, include=set(body))

    def _create_body(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """A create's body: every declared field, and the default of each managed field left out (the object is
        new: there is nothing on the server to keep). Carried fields (COMPUTED) go only when declared."""
        body = {name: self._value(name, inputs) for name in self._fields
                if name not in self.spec.scope_fields and (name in inputs or not self._flag(name, Marker.COMPUTED))}
        return self._wire(body, inputs)

    def _update_body(self, inputs: dict[str, Any], changed: list[str], fresh: dict[str, Any] | None) -> dict[str, Any]:
        """An update's body: the fields the preview showed changing (`changed`), the natural key the API requires
        with them, and nothing else: a value the program did not declare, or that this version does not model, is
        never replaced by a default (docs/resources.md, "What is managed, defaulted and carried").

        `fresh`: the object as the server holds it now (the record, wire names), read just before this write where
        the write replaces a whole value: a PUT replaces the object, so everything not changing is sent as the server
        holds it now, unmodelled keys included; a PATCH of members, settings or a condition replaces that field
        whole, so what the server holds in it beyond the models goes back with it (CARRY_UNKNOWN)."""
        names = [*self.spec.natural_key, *changed]
        body = self._wire({n: self._value(n, inputs) for n in dict.fromkeys(names)
                           if n not in self.spec.scope_fields}, inputs)
        if fresh is None:
            return body
        if self.spec.full_replace:
            read_only = {self._wire_name(n) for n in fields_with(self.spec.record_model, Marker.READ_ONLY)}
            return {**{k: v for k, v in fresh.items() if k not in read_only}, **body}
        return self._carry_unknown(body, python_names(self.spec.record_model, fresh))

    def _wire_name(self, name: str) -> str:
        field = self.spec.record_model.model_fields[name]
        return field.alias or name if self.spec.wire_by_alias else name

    def changed_fields(self, olds: dict[str, Any], news: dict[str, Any]) -> tuple[list[str], list[str]]:
        """What the preview shows: the fields whose change replaces the object, and the fields that change in place.

        Managed fields (every field but the COMPUTED ones) mean their default when left out, so a hand edit of them
        is a change; a carried (COMPUTED) field is compared only where the program declares it."""
        replaces = [f for f in self._fields if self._flag(f, Marker.REPLACE) and news.get(f) != olds.get(f)]
        if news.get(CONNECTION) != olds.get(CONNECTION):
            replaces.append(CONNECTION)  # another server: the object is made there and deleted here
        compared = [f for f in self._fields if f not in replaces and (f in news or not self._flag(f, Marker.COMPUTED))]
        unknown = [f for f in compared if _contains_unknown(news.get(f))]
        want = canonical(self.spec.args_model, news, only=compared)
        have = canonical(self.spec.args_model, aligned(self.spec.args_model, news, olds), only=compared)
        return replaces, [f for f in compared if f in unknown or want.get(f) != have.get(f)]

    def _unknown_parts(self, current: dict[str, Any]) -> dict[str, Any]:
        """What the server holds, in its CARRY_UNKNOWN fields, that the models do not describe (a member kind, a
        settings type, a key inside a condition), by field."""
        model = self.spec.args_model
        parts = {name: unknown_parts(model.model_fields[name].annotation, current.get(name))
                 for name in fields_with(model, Marker.CARRY_UNKNOWN)}
        return {name: part for name, part in parts.items() if part is not None}

    def _carry_unknown(self, body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        """What the server holds beyond the models goes back as it is: a PATCH replaces ``members``, ``settings``
        and ``condition`` whole, and a grant or rule this project cannot express must not be lost. `current` must be
        what the server holds now (see ``_update``), never the state: a grant revoked by hand would come back."""
        extra = self._unknown_parts(current)
        return with_unknown(self.spec.args_model, body, extra, by_alias=self.spec.wire_by_alias) if extra else body

    def outputs(self, record: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
        """Every field the server returned, snake_case, plus the scope; the remote id under id_output.

        Fields the server returned empty (null, "", [], {}) are left out: they read as None, compare as
        absent (see canonical), and every byte of an output is paid again each time the file backend
        rewrites the checkpoint (docs/performance.md).
        """
        outs = {k: v for k, v in python_names(self.spec.record_model, record).items() if k != "id" and v not in EMPTY}
        if self.spec.id_output:
            outs[self.spec.id_output] = record["id"]
        outs.update({f: scope[f] for f in self.spec.scope_fields})
        if scope.get(CONNECTION) is not None:
            outs[CONNECTION] = scope[CONNECTION]
        return outs

    def _fail(self, inputs: dict[str, Any], action: str, exc: Exception) -> PolicyProviderError:
        text = str(exc)
        for secret in connections.known_secrets():
            text = text.replace(secret, "[REDACTED]")
        return PolicyProviderError(f"{self.spec.describe(inputs)}: {action} failed: {text}")

    # -- check -------------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = _user_props(news)
        import_id = inputs.pop(IMPORT_ID, None)
        connection = inputs.pop(CONNECTION, None)
        failures: list[CheckFailure] = []
        if import_id is not None and import_id != UNKNOWN and (not isinstance(import_id, str) or not import_id):
            failures.append(CheckFailure(IMPORT_ID, f"{self.spec.kind}.import_id must be a non-empty string "
                                                    "(the id of the existing object to adopt)"))
        if connection is not None and connection != UNKNOWN:
            failures += self.check_connection(connection)
        try:
            validated = self.spec.args_model.model_validate(inputs)
            declared = validated.model_dump(mode="json", exclude_unset=True)
            checked = canonical(self.spec.args_model, declared)
            # A carried field declared empty ("" to clear a description) is declared: kept, so it is compared and sent.
            checked.update({n: declared[n] for n in declared if n not in checked and self._flag(n, Marker.COMPUTED)})
        except ValidationError as exc:
            checked = canonical(self.spec.args_model, inputs)
            for error in exc.errors():
                loc = error["loc"]
                if _unknown_along(inputs, loc):
                    continue  # decided once the value is known
                loc = tuple(python_path(self.spec.args_model, loc))  # pydantic names fields by their wire aliases
                path = _path(loc)
                reason = error["msg"].removeprefix("Value error, ")
                failures.append(CheckFailure(str(loc[0]) if loc else "",
                                             f"{self.spec.kind}.{path}: {reason} (got {_shortened(error.get('input'))})"))
        # Values the engine does not know yet are passed through untouched.
        for key, value in inputs.items():
            if _contains_unknown(value):
                checked[camel_to_snake(key) if key not in self.spec.args_model.model_fields else key] = value
        if import_id is not None:
            checked[IMPORT_ID] = import_id
        if connection is not None:
            checked[CONNECTION] = connection
        claims.declare(self.spec, checked, import_id)
        return CheckResult(checked, as_said(failures))

    def check_connection(self, connection: Any, kind: str | None = None) -> list[CheckFailure]:
        """A named connection must be one the stack configures: said at preview, before any HTTP call. `kind`:
        what the message names as holding it (a policy set names itself)."""
        kind = kind or self.spec.kind
        if not isinstance(connection, str) or not connection:
            return [CheckFailure(CONNECTION, f"{kind}.connection must be the name of a connection in "
                                             f"{connections.NAMESPACE}:{connections.CONNECTIONS}")]
        try:
            connections.current(connection)
        except connections.ConfigurationError as exc:
            return [CheckFailure(CONNECTION, f"{kind}.connection: {exc}")]
        return []

    # -- diff --------------------------------------------------------------------------------------
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        news = _user_props(news)
        olds = _user_props(olds)
        replaces, changed = self.changed_fields(olds, news)
        self._refuse_misnamed_members(olds, news)
        if set(replaces) - {CONNECTION} and news.get(IMPORT_ID) and self._names_current(news[IMPORT_ID], olds, news, id_):
            # The engine re-checks a replacement without its old inputs, so its create would see import_id and
            # adopt the very object the replacement then deletes. Say so at preview, before anything is done.
            raise PolicyProviderError(
                f"{self.spec.describe(news)}: changing {', '.join(replaces)} replaces this {self.spec.kind} with a "
                f"new object, but its arguments still carry import_id {news[IMPORT_ID]!r}, the object being "
                "replaced. Remove import_id from the program (it is needed only for the first adoption), then "
                "run this again.")
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    def _refuse_misnamed_members(self, olds: dict[str, Any], news: dict[str, Any]) -> None:
        """A member given with an id is that id's member: a name beside it that the server records for another id
        (or the id under another name) is refused at preview, naming both, before a review reads the wrong person."""
        declared, recorded = news.get("members"), olds.get("members")
        if not isinstance(declared, dict) or not isinstance(recorded, dict):
            return
        for kind, given in declared.items():
            held = {m.get("id"): m.get("name") for m in recorded.get(kind) or [] if isinstance(m, dict) and m.get("id")}
            for member in given if isinstance(given, list) else []:
                if not isinstance(member, dict) or member.get("id") not in held or not member.get("name"):
                    continue
                if held[member["id"]] and held[member["id"]] != member["name"] and UNKNOWN not in member.values():
                    raise PolicyProviderError(
                        f"{self.spec.describe(news)}: members.{kind}: the member with id {member['id']!r} is named "
                        f"{held[member['id']]!r} on the server, but the program names it {member['name']!r}. A member "
                        "given with an id is that id's member: give the name the server holds, or only the id.")

    def _names_current(self, import_id: Any, olds: dict[str, Any], news: dict[str, Any], id_: str) -> bool:
        """Does `import_id`, read against the declared inputs, name the object this resource holds now (by its id,
        or by its natural key in the declared scope)?"""
        if import_id == self.spec.parse_id(id_)[1]:
            return True
        try:
            key = self.spec.import_key(import_id, news) if isinstance(import_id, str) else None
        except ValueError:
            return False  # names another scope than the declared one: not the object held here
        if key is None:
            return False
        named = {**{f: news.get(f) for f in self.spec.scope_fields}, **key}
        return all(olds.get(k) == v for k, v in named.items())

    # -- create ------------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _user_props(props)
        import_id = inputs.pop(IMPORT_ID, None)
        scope = self.spec.scope_of(inputs)
        try:
            remote = self.spec.remote(scope)
            if import_id:
                record = self._adopt(remote, import_id, inputs)
            else:
                record = self._made_earlier(remote, scope, inputs) or self._journalled_create(remote, scope, inputs)
        except (PolicyAPIError, ValueError, connections.ConfigurationError) as exc:
            raise self._fail(inputs, "adopting " + repr(import_id) if import_id else "create", exc) from None
        if import_id:
            claims.claim(self.spec, scope, record["id"])  # held here now: the resource it moved from leaves it
        return CreateResult(self.spec.pulumi_id(scope, record["id"]), stamped(self.outputs(record, scope)))

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
            record = remote.retrieve(import_id)
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

    # -- read --------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = _user_props(props)
        scope: dict[str, Any]
        try:
            parsed, remote_id = self.spec.parse_id(id_)
            scope = {**self.spec.scope_of(props), **parsed}
            record = self.spec.remote(scope).read(remote_id)
        except (PolicyAPIError, ValueError, connections.ConfigurationError) as exc:
            raise self._fail(props or {"id": id_}, f"read of {id_!r}", exc) from None
        if record is None:
            return ReadResult(id_="", outs={})  # deleted out of band: drop it from state
        # The inputs stay as the program declared them: the diff compares the outputs (what the server holds now)
        # with the program, so drift is found all the same, and Pulumi's own `preview --diff`, which compares
        # inputs, shows only what the program changes (not the server's ids, defaults and carried values).
        return ReadResult(id_=id_, outs=stamped(self.outputs(record, scope)))

    def refreshed_inputs(self, outs: dict[str, Any]) -> dict[str, Any]:
        """A policy's inputs as a set records them after a refresh (a set's own diff compares inputs): the managed
        fields as the server holds them; carried fields are the program's business, left out."""
        inputs = canonical(self.spec.args_model, outs, only=[f for f in self._fields if not self._flag(f, Marker.COMPUTED)
                                                             or f in self.spec.scope_fields])
        if CONNECTION in outs:
            inputs[CONNECTION] = outs[CONNECTION]
        return inputs

    # -- update ------------------------------------------------------------------------------------
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = _user_props(news)
        inputs.pop(IMPORT_ID, None)
        olds = _user_props(olds)
        try:
            parsed, remote_id = self.spec.parse_id(id_)
            scope = {**self.spec.scope_of(inputs), **parsed}
            record = self._update(self.spec.remote(scope), remote_id, olds, inputs)
        except (PolicyAPIError, ValueError, connections.ConfigurationError) as exc:
            raise self._fail(inputs, "update", exc) from None
        return UpdateResult(stamped(self.outputs(record, scope)))

    def _update(self, remote: Remote, remote_id: str, olds: dict[str, Any], inputs: dict[str, Any], *,
                fresh: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send what the preview showed changing. `olds`: the object's outputs as the preview compared them (the
        state), or as just read when `fresh` (the record they were read from) is given.

        Read first (one GET) when the write replaces a whole value (``_update_body``): a PUT, or a PATCH of a field
        a server may hold more of than the models know. What changed is still what the preview showed: a value
        edited on the server since the last refresh, and not declared otherwise, stays as the server holds it."""
        _, changed = self.changed_fields(olds, inputs)
        whole = self.spec.full_replace or any(self._flag(f, Marker.CARRY_UNKNOWN) for f in changed)
        if changed and whole and fresh is None:
            fresh = remote.retrieve(remote_id)
            if fresh is None:
                raise PolicyProviderError(
                    f"{self.spec.describe(inputs)}: update failed: {remote_id!r} no longer exists on the server "
                    "(deleted outside Pulumi). Run `pulumi refresh` to drop it from the state; the next "
                    "`pulumi up` creates it again.")
        base = self.outputs(fresh, self.spec.scope_of(olds)) if fresh is not None else olds
        base = {k: v for k, v in base.items() if k not in (*self.spec.scope_fields, CONNECTION)}
        if not changed:
            return {**base, "id": remote_id}
        body = self._update_body(inputs, changed, fresh if whole else None)
        record = remote.update(remote_id, body)
        if record is not None:
            return record
        # 204, no body: the object is what it was with the body applied (server-set fields as last read).
        sent = python_names(self.spec.record_model, {**body, "id": remote_id})  # outputs are Python names
        return {**base, **sent}

    # -- delete ------------------------------------------------------------------------------------
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        props = _user_props(props)
        try:
            parsed, remote_id = self.spec.parse_id(id_)
            scope = {**self.spec.scope_of(props), **parsed}
            if claims.claimed(self.spec, {**props, **scope}, remote_id):
                return  # adopted by another resource of this update (a rename, a move): it stays, held by that one
            self.spec.remote(scope).delete(remote_id)  # a 404 is success: it is gone either way
        except (PolicyAPIError, ValueError, connections.ConfigurationError) as exc:
            raise self._fail(props, "delete", exc) from None


def as_said(failures: list[CheckFailure]) -> list[CheckFailure]:
    """Failures as the engine prints them: each reason already names the field's path (``ResourcePolicy.condition.
    approval.manager_approval.condition: ...``), so no property is named, and the engine, which prints a named
    property's whole value beside it (Go's map dump of a condition), prints the reason alone."""
    return [CheckFailure("", f.reason) for f in failures]


def _unknown_along(data: Any, loc: tuple[Any, ...]) -> bool:
    """Is the value at `loc`, or anything on the way to it, not known yet (preview)?

    A missing field is decided at once unless what should hold it is unknown: unknown values reach
    check as placeholders, never as absent keys, so a key absent at preview is absent at apply too.
    """
    for part in loc:
        if data == UNKNOWN:
            return True
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return _contains_unknown(data)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _shortened(value: Any) -> str:
    """A value as an error message quotes it: its repr, cut at 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
