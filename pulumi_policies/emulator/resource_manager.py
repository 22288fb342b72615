"""``/api/resource-manager/...``: profile policies, resource policies, and the profiles they attach to.

Payloads are checked against the emulator's own reading of the document (``schema.RmPolicy``); what a
server profile changes (``state.Behaviour``) is applied around it. Choices where the document is silent
(also in the emulator README):
- errors are ``{"status": 404, "errorCode": "RM-404", "message": "..."}``;
- names are unique within their scope (a profile, or the resource policies): a second one is a 409;
- GET/PATCH/DELETE take a policy id (and, where the profile says so, a name); the segment is read
  undecoded, so a name holding ``/`` (sent as ``%2F``) addresses that name and no other route;
- ``id`` and unknown fields are ignored on write, at every level, and so are Python-style names the
  wire does not have (``is_active`` for ``isActive``); the settings' ``id``/``entityId``/``entityType``
  are the server's; PATCH merges the fields sent into the stored policy (each field replaced whole);
  a ``condition`` of null is no condition;
- server defaults: isActive true, isDraft false, isReadOnly false, accessType Allow,
  consumer "resourcemanager";
- ``filter`` accepts ``<field> eq <value>`` on name (also spelled ``key``, as in the document's
  example ``key eqprofile1``), id, description, resource, accessLevel, accessType, consumer; the value
  is taken verbatim after ``eq`` and one optional space; anything else is a 400; ``compactResponse``
  is accepted and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from .schema import EXTRA_MEMBER_KINDS, MEMBER_KINDS, RmPolicy, ValidationError, problems
from .state import Behaviour, EmulatorState
from .store import Conflict

API = "/api/resource-manager"
FILTERABLE = ("name", "id", "description", "resource", "accessLevel", "accessType", "consumer")
DEFAULTS = {"isActive": True, "isDraft": False, "isReadOnly": False, "accessType": "Allow",
            "consumer": "resourcemanager"}
# What every stored policy holds when the client sent nothing: the document's examples show each field.
EMPTY = {"description": "", "condition": {}, "settings": [], "members": {}, "resourceLabels": {}}
PAGE_SIZE = 10  # a paged listing's size when the client names none (Britive's Go client: size 10)
# "<field> eq <value>": one space after "eq" is optional (the document writes "key eqprofile1"); the value is
# taken verbatim, its own spaces included, so that a name with surrounding spaces can be found.
_FILTER = re.compile(r"^\s*(\w+)\s+eq ?(.*)$", re.DOTALL)


class RmError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.body = status, {"status": status, "errorCode": f"RM-{status}", "message": message}


async def rm_state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    header = request.headers.get("authorization", "")
    if not header:
        raise RmError(401, "Missing Authorization header: send 'Authorization: TOKEN <token>'.")
    scheme, _, token = header.partition(" ")
    if scheme != "TOKEN" or not secrets.compare_digest(token.encode(), state.credentials.rm_token.encode()):
        raise RmError(401, "Invalid or expired token.")
    return state


router = APIRouter(prefix=API)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise RmError(400, f"Malformed JSON request body: {exc}") from None
    if not isinstance(body, dict):
        raise RmError(400, "The request body must be a JSON object.")
    return body


def _raw_segment(request: Request, index: int) -> str:
    """Path segment ``index``, decoded only after splitting (``%2F`` stays inside its segment)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    parts = raw.decode("latin-1").split("?", 1)[0].split("/")
    if len(parts) != index + 1:
        raise RmError(404, f"No such resource: {request.url.path}")
    return unquote(parts[index])


# -- scopes ----------------------------------------------------------------------------------------
class Scope:
    """Where a policy lives: the resource policies, or one profile's policies."""

    def __init__(self, kind: str, scope: str, label: str) -> None:
        self.kind, self.scope, self.label = kind, scope, label


def resource_scope() -> Scope:
    return Scope("resource_policy", "", "resource policies")


def profile_scope(state: EmulatorState, profile_id: str) -> Scope:
    if state.store.get("profile", "", profile_id) is None:
        raise RmError(404, f"Profile '{profile_id}' not found.")
    return Scope("profile_policy", profile_id, f"profile '{profile_id}'")


# -- documents -------------------------------------------------------------------------------------
def _invalid(message: str) -> RmError:
    return RmError(400, f"Invalid policy: {message}")


def _condition_in(behaviour: Behaviour, value: Any) -> Any:
    if value is None:
        return {}
    if isinstance(value, str) and behaviour.condition_in == "any":
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except ValueError:
            raise _invalid("condition: is not JSON") from None
    if not isinstance(value, dict):
        raise _invalid("condition: must be a JSON object" +
                       (" or a string holding one" if behaviour.condition_in == "any" else ""))
    return value


def _members_in(behaviour: Behaviour, value: Any) -> Any:
    if value is None or (value == [] and behaviour.members_in == "object-or-list"):
        return {}
    if not isinstance(value, dict):
        raise _invalid("members: must be an object of member lists" +
                       (" (or [] for none)" if behaviour.members_in == "object-or-list" else ""))
    return value


def _member_id(kind: str, name: str) -> str:
    """The id a directory gives a member known by name: the same name always gets the same id."""
    return hashlib.sha1(f"{kind}\x00{name}".encode()).hexdigest()[:20]


def _members_out(behaviour: Behaviour, members: dict[str, Any]) -> dict[str, Any]:
    kinds = MEMBER_KINDS + (EXTRA_MEMBER_KINDS if behaviour.member_kinds == "britive" else ())
    out = {}
    for kind in kinds:
        items = members.get(kind)
        if items is None and behaviour.empty_kinds != "list":
            continue
        items = items or []
        if behaviour.fill_member_ids:
            items = [{**m, "id": m.get("id") or _member_id(kind, m["name"])} for m in items]
        out[kind] = items
    return out


def _validated(behaviour: Behaviour, fields: dict[str, Any]) -> dict[str, Any]:
    fields = {**fields}
    if "condition" in fields:
        fields["condition"] = _condition_in(behaviour, fields["condition"])
    if "members" in fields:
        fields["members"] = _members_in(behaviour, fields["members"])
    try:
        policy = RmPolicy.model_validate(fields)
    except ValidationError as exc:
        raise _invalid("; ".join(f"{loc}: {msg}" for loc, msg in problems(exc))) from None
    if behaviour.rm_name_max is not None and len(policy.name) > behaviour.rm_name_max:
        raise _invalid(f"name: at most {behaviour.rm_name_max} characters")
    doc = policy.model_dump(mode="json", exclude_none=True)
    doc["members"] = _members_out(behaviour, doc.get("members", {}))
    return doc


def _document(policy_id: str, doc: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The stored form: server defaults filled, settings stamped with their ids and owner."""
    out: dict[str, Any] = {"id": policy_id}
    for key, default in DEFAULTS.items():
        out[key] = (current or {}).get(key, default)
    out.update(EMPTY)
    out.update(doc)
    known = {s.get("settingsType"): s.get("id") for s in (current or {}).get("settings", [])}
    out["settings"] = [{**s, "id": known.get(s["settingsType"]) or str(uuid.uuid4()), "entityId": policy_id,
                        "entityType": "POLICY"} for s in doc.get("settings", [])]
    return out


def _wire(state: EmulatorState, doc: dict[str, Any]) -> dict[str, Any]:
    if state.behaviour.condition_as == "string" and "condition" in doc:
        return {**doc, "condition": json.dumps(doc["condition"]) if doc["condition"] else ""}
    return doc


def _find(state: EmulatorState, scope: Scope, ref: str) -> dict[str, Any]:
    found = state.store.get(scope.kind, scope.scope, ref)
    if found is None and state.behaviour.get_by_name:
        found = state.store.get_by_key(scope.kind, scope.scope, ref)
    if found is None:
        raise RmError(404, f"Policy '{ref}' not found in {scope.label}.")
    return found


def _conflict(scope: Scope, name: str) -> RmError:
    return RmError(409, f"A policy named '{name}' already exists in {scope.label}.")


def _int_param(request: Request, name: str, default: int, low: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise RmError(400, f"Query parameter '{name}' must be an integer (got {value!r}).") from None
    if number < low:
        raise RmError(400, f"Query parameter '{name}' must be at least {low} (got {number}).")
    return number


def _list_response(state: EmulatorState, items: list[dict[str, Any]], request: Request) -> Response:
    if state.behaviour.rm_list == "array":
        return JSONResponse([_wire(state, i) for i in items])
    page = _int_param(request, "page", 0, 0)
    size = _int_param(request, "size", PAGE_SIZE, 1)
    data = items[page * size:(page + 1) * size]
    return JSONResponse({"count": len(items), "page": page, "size": size, "data": [_wire(state, i) for i in data]})


# -- operations shared by both scopes ---------------------------------------------------------------
def list_policies(state: EmulatorState, scope: Scope, request: Request) -> Response:
    expression = request.query_params.get("filter")
    if not expression:
        return _list_response(state, state.store.list(scope.kind, scope.scope), request)
    match = _FILTER.match(expression)
    field, value = match.groups() if match else ("", "")
    field = "name" if field == "key" else field  # the document's example filters by "key": a policy's key is its name
    if field not in FILTERABLE:
        raise RmError(400, f"Unsupported filter '{expression}': use '<field> eq <value>' with one of "
                           f"{', '.join(FILTERABLE)}.")
    if field == "name":
        items = state.store.list(scope.kind, scope.scope, key=value)
    else:
        items = [i for i in state.store.list(scope.kind, scope.scope) if str(i.get(field, "")) == value]
    return _list_response(state, items, request)


def create_policy(state: EmulatorState, scope: Scope, body: dict[str, Any]) -> Response:
    policy_id = str(uuid.uuid4())
    doc = _document(policy_id, _validated(state.behaviour, body), None)
    try:
        state.store.insert(scope.kind, scope.scope, policy_id, doc["name"], doc)
    except Conflict:
        raise _conflict(scope, doc["name"]) from None
    return JSONResponse(_wire(state, doc), status_code=201)


def patch_policy(state: EmulatorState, scope: Scope, ref: str, body: dict[str, Any]) -> Response:
    with state.store.transaction():
        current = _find(state, scope, ref)
        merged = {**{k: v for k, v in current.items() if k not in DEFAULTS}, **body}
        doc = _document(current["id"], _validated(state.behaviour, merged), current)
        try:
            state.store.replace(scope.kind, scope.scope, current["id"], doc["name"], doc)
        except Conflict:
            raise _conflict(scope, doc["name"]) from None
    return Response(status_code=204)  # documented: 204, no body


def delete_policy(state: EmulatorState, scope: Scope, ref: str, status: int) -> Response:
    with state.store.transaction():
        current = _find(state, scope, ref)
        state.store.delete(scope.kind, scope.scope, current["id"])
    return Response(status_code=status)


# -- profiles ----------------------------------------------------------------------------------------
@router.post("/profiles", status_code=201)
async def create_profile(request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    body = await _body(request)
    name, description = body.get("name"), body.get("description") or ""
    if not isinstance(name, str) or not name.strip() or not isinstance(description, str):
        raise RmError(400, "Invalid profile: name: a non-blank string is required; description: a string.")
    doc = {"id": secrets.token_hex(10), "name": name, "description": description}
    try:
        state.store.insert("profile", "", doc["id"], doc["name"], doc)
    except Conflict:
        raise RmError(409, f"A profile named '{doc['name']}' already exists.") from None
    return JSONResponse(doc, status_code=201)


@router.get("/profiles")
async def list_profiles(request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return _list_response(state, state.store.list("profile"), request)


@router.get("/profiles/{profile_id}")
async def get_profile(profile_id: str, state: EmulatorState = Depends(rm_state)) -> Response:
    found = state.store.get("profile", "", profile_id)
    if found is None:
        raise RmError(404, f"Profile '{profile_id}' not found.")
    return JSONResponse(found)


@router.delete("/profiles/{profile_id}", status_code=204)
async def delete_profile(profile_id: str, state: EmulatorState = Depends(rm_state)) -> Response:
    with state.store.transaction():
        if not state.store.delete("profile", "", profile_id):
            raise RmError(404, f"Profile '{profile_id}' not found.")
        state.store.delete_scope("profile_policy", profile_id)
    return Response(status_code=204)


# -- profile policies: /profiles/{profileId}/policies[/{policyId}] -------------------------------------
@router.post("/profiles/{profile_id}/policies", status_code=201)
async def create_profile_policy(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return create_policy(state, profile_scope(state, profile_id), await _body(request))


@router.get("/profiles/{profile_id}/policies")
async def list_profile_policies(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return list_policies(state, profile_scope(state, profile_id), request)


@router.get("/profiles/{profile_id}/policies/{ref:path}")
async def get_profile_policy(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return JSONResponse(_wire(state, _find(state, profile_scope(state, profile_id), _raw_segment(request, 6))))


@router.patch("/profiles/{profile_id}/policies/{ref:path}", status_code=204)
async def patch_profile_policy(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    scope = profile_scope(state, profile_id)
    return patch_policy(state, scope, _raw_segment(request, 6), await _body(request))


@router.delete("/profiles/{profile_id}/policies/{ref:path}", status_code=204)
async def delete_profile_policy(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return delete_policy(state, profile_scope(state, profile_id), _raw_segment(request, 6), 204)


# -- resource policies: /policies[/{policyId}] ---------------------------------------------------------
@router.post("/policies", status_code=201)
async def create_resource_policy(request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return create_policy(state, resource_scope(), await _body(request))


@router.get("/policies")
async def list_resource_policies(request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return list_policies(state, resource_scope(), request)


@router.get("/policies/{ref:path}")
async def get_resource_policy(request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return JSONResponse(_wire(state, _find(state, resource_scope(), _raw_segment(request, 4))))


@router.patch("/policies/{ref:path}", status_code=204)
async def patch_resource_policy(request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return patch_policy(state, resource_scope(), _raw_segment(request, 4), await _body(request))


@router.delete("/policies/{ref:path}", status_code=200)
async def delete_resource_policy(request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    return delete_policy(state, resource_scope(), _raw_segment(request, 4), 200)  # documented: 200
