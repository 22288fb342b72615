"""The provider of every policy resource: check, diff, create, read, update, delete over a ``ResourceSpec``.

What differs between resources is a spec (``pulumi_policies.registry``). The payloads are shaped in ``payload.py``,
creates and adoptions in ``adoption.py``, what every provider shares in ``base.py``. Facts of the Pulumi protocol
this relies on (pulumi 3.259, ``pulumi/dynamic/__main__.py``):
- ``diff`` gets the old *outputs* and the new checked inputs;
- ``update`` outputs replace all outputs; ``read`` may return inputs for later diffs (a single policy returns none:
  its outputs hold the server's values), and an empty id drops the object from state;
- the provider object is pickled into state: it carries no attributes (credentials live in ``connections``), and
  its class is a module attribute of ``pulumi_policies.providers``, so it pickles by reference.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import ValidationError

from ..engine_state import UNKNOWN, contains_unknown, stamped
from ..models import Marker, camel_to_snake, python_names
from ..models.canonical import canonical, python_path
from ..registry import CONNECTION, IMPORT_ID, Remote
from . import claims
from .adoption import Adoption
from .base import OPERATION_ERRORS, PolicyProviderError, ProviderBase, as_said, check_connection, failed, user_inputs
from .payload import Payload

__all__ = ["IMPORT_ID", "UNKNOWN", "PolicyProvider", "PolicyProviderError"]


class PolicyProvider(Payload, Adoption, ProviderBase):
    """Generic CRUD over a ResourceSpec. Subclasses only name their spec."""

    def _fail(self, inputs: dict[str, Any], action: str, exc: Exception) -> PolicyProviderError:
        return failed(self.spec.describe(inputs), action, exc)

    # -- check -------------------------------------------------------------------------------------
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate and canonicalise the declared arguments (no HTTP). A resource being created (no old inputs) that
        names an ``import_id`` claims that object in this update (claims.py)."""
        result = self.checked(news)
        claims.declare(self.spec, result.inputs, result.inputs.get(IMPORT_ID), new=not user_inputs(olds))
        return result

    def checked(self, news: dict[str, Any]) -> CheckResult:
        """check's work for one policy, a set's item included (the set declares its new items' claims itself)."""
        inputs = user_inputs(news)
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
            if contains_unknown(value):
                checked[camel_to_snake(key) if key not in self.spec.args_model.model_fields else key] = value
        if import_id is not None:
            checked[IMPORT_ID] = import_id
        if connection is not None:
            checked[CONNECTION] = connection
        return CheckResult(checked, as_said(failures))


    # -- diff --------------------------------------------------------------------------------------
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        news = user_inputs(news)
        olds = user_inputs(olds)
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

    def check_connection(self, connection: Any, kind: str | None = None) -> list[CheckFailure]:
        return check_connection(connection, kind or self.spec.kind)

    # -- create ------------------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = user_inputs(props)
        import_id = inputs.pop(IMPORT_ID, None)
        scope = self.spec.scope_of(inputs)
        try:
            remote = self.spec.remote(scope)
            if import_id:
                record = self._adopt(remote, import_id, inputs)
            else:
                record = self._made_earlier(remote, scope, inputs) or self._journalled_create(remote, scope, inputs)
        except OPERATION_ERRORS as exc:
            raise self._fail(inputs, "adopting " + repr(import_id) if import_id else "create", exc) from None
        if import_id:
            claims.adopted(self.spec, scope, record["id"])  # held here now: the resource it moved from leaves it
        return CreateResult(self.spec.pulumi_id(scope, record["id"]), stamped(self.outputs(record, scope)))

    # -- read --------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = user_inputs(props)
        scope: dict[str, Any]
        try:
            parsed, remote_id = self.spec.parse_id(id_)
            scope = {**self.spec.scope_of(props), **parsed}
            record = self.spec.remote(scope).listed(remote_id)
        except OPERATION_ERRORS as exc:
            raise self._fail(props or {"id": id_}, f"read of {id_!r}", exc) from None
        if record is None:
            return ReadResult(id_="", outs={})  # deleted out of band: drop it from state
        # The inputs stay as the program declared them: the diff compares the outputs (what the server holds now)
        # with the program, so drift is found all the same, and Pulumi's own `preview --diff`, which compares
        # inputs, shows only what the program changes (not the server's ids, defaults and carried values).
        return ReadResult(id_=id_, outs=stamped(self.outputs(record, scope)))

    # -- update ------------------------------------------------------------------------------------
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = user_inputs(news)
        inputs.pop(IMPORT_ID, None)
        olds = user_inputs(olds)
        try:
            parsed, remote_id = self.spec.parse_id(id_)
            scope = {**self.spec.scope_of(inputs), **parsed}
            record = self._update(self.spec.remote(scope), remote_id, olds, inputs)
        except OPERATION_ERRORS as exc:
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
            fresh = remote.fresh(remote_id)
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
        self.remove(id_, props)

    def remove(self, id_: str, props: dict[str, Any], *, wait: bool = False) -> None:
        """Delete the object, unless another resource of this update holds or adopts it (a rename, a move): then it
        stays, held by that one. `wait`: a set's item removed in the set's own update waits for the resources the
        program says claim it to be checked (claims.py)."""
        props = user_inputs(props)
        try:
            parsed, remote_id = self.spec.parse_id(id_)
            scope = {**self.spec.scope_of(props), **parsed}
            if claims.claimed(self.spec, {**props, **scope}, remote_id, wait=wait):
                return
            self.spec.remote(scope).delete(remote_id)  # a 404 is success: it is gone either way
        except OPERATION_ERRORS as exc:
            raise self._fail(props, "delete", exc) from None

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
    return contains_unknown(data)


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
