"""``/api/resource-manager/...``: profile policies, resource policies, and the profiles they attach to.

Choices where the document is silent (also in README "Embedded API server"):
- errors are ``{"status": 404, "errorCode": "RM-404", "message": "..."}``;
- names are unique within their scope (a profile, or the resource policies): a second one is a 409;
- GET/PATCH/DELETE take a policy id or a policy name in the path (an id wins); the segment is read
  undecoded, so a name holding ``/`` (sent as ``%2F``) addresses that name and no other route;
- ``id`` and unknown fields are ignored on write, at every level, and so are Python-style names the
  wire does not have (``is_active`` for ``isActive``: a client must send the wire's names); the
  settings' ``id``/``entityId``/``entityType`` are the server's; PATCH merges the fields sent into
  the stored policy (each field replaced whole);
- server defaults: isActive true, isDraft false, isReadOnly false, accessType Allow,
  consumer "resourcemanager";
- ``filter`` accepts ``<field> eq <value>`` on name (also spelled ``key``, as in the document's
  example ``key eqprofile1``), id, description, resource, accessLevel, accessType, consumer; the value
  is taken verbatim after ``eq`` and one optional space; anything else is a 400; ``compactResponse``
  is accepted and changes nothing.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from ..models.canonical import wire_keys_only
from ..models.resource_manager import PolicyFields, Profile
from .state import EmulatorState
from .store import Conflict

API = "/api/resource-manager"
FILTERABLE = ("name", "id", "description", "resource", "accessLevel", "accessType", "consumer")
DEFAULTS = {"isActive": True, "isDraft": False, "isReadOnly": False, "accessType": "Allow",
            "consumer": "resourcemanager"}
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
def _validated(fields: dict[str, Any]) -> dict[str, Any]:
    try:
        known = wire_keys_only(PolicyFields, {k: v for k, v in fields.items() if k != "id"})
        model = PolicyFields.model_validate(known, by_alias=True, by_name=False)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise RmError(400, f"Invalid policy: {problems}") from None
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


def _document(policy_id: str, doc: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The stored form: server defaults filled, settings stamped with their ids and owner."""
    out = {"id": policy_id}
    for key, default in DEFAULTS.items():
        out[key] = (current or {}).get(key, default)
    out.update(doc)
    known = {s.get("settingsType"): s.get("id") for s in (current or {}).get("settings", [])}
    out["settings"] = [{**s, "id": known.get(s["settingsType"]) or str(uuid.uuid4()), "entityId": policy_id,
                        "entityType": "POLICY"} for s in doc.get("settings", [])]
    return out


def _wire(state: EmulatorState, doc: dict[str, Any]) -> dict[str, Any]:
    if state.behaviour.condition_as == "string" and "condition" in doc:
        return {**doc, "condition": json.dumps(doc["condition"])}
    return doc


def _find(state: EmulatorState, scope: Scope, ref: str) -> dict[str, Any]:
    found = state.store.get(scope.kind, scope.scope, ref) or state.store.get_by_key(scope.kind, scope.scope, ref)
    if found is None:
        raise RmError(404, f"Policy '{ref}' not found in {scope.label}.")
    return found


def _conflict(scope: Scope, name: str) -> RmError:
    return RmError(409, f"A policy named '{name}' already exists in {scope.label}.")


def _list_response(state: EmulatorState, items: list[dict[str, Any]]) -> Response:
    items = [_wire(state, i) for i in items]
    if state.behaviour.list_shape == "array":
        return JSONResponse(items)
    return JSONResponse({"count": len(items), "page": 0, "size": len(items), "data": items})


# -- operations shared by both scopes ---------------------------------------------------------------
def list_policies(state: EmulatorState, scope: Scope, request: Request) -> Response:
    expression = request.query_params.get("filter")
    if not expression:
        return _list_response(state, state.store.list(scope.kind, scope.scope))
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
    return _list_response(state, items)


def create_policy(state: EmulatorState, scope: Scope, body: dict[str, Any]) -> Response:
    policy_id = str(uuid.uuid4())
    doc = _document(policy_id, _validated(body), None)
    try:
        state.store.insert(scope.kind, scope.scope, policy_id, doc["name"], doc)
    except Conflict:
        raise _conflict(scope, doc["name"]) from None
    return JSONResponse(_wire(state, doc), status_code=201)


def patch_policy(state: EmulatorState, scope: Scope, ref: str, body: dict[str, Any]) -> Response:
    with state.store.transaction():
        current = _find(state, scope, ref)
        merged = {**{k: v for k, v in current.items() if k not in DEFAULTS}, **body}
        doc = _document(current["id"], _validated(merged), current)
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
    try:
        profile = Profile.model_validate(body)
    except ValidationError as exc:
        raise RmError(400, f"Invalid profile: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    doc = {"id": secrets.token_hex(10), "name": profile.name, "description": profile.description}
    try:
        state.store.insert("profile", "", doc["id"], doc["name"], doc)
    except Conflict:
        raise RmError(409, f"A profile named '{doc['name']}' already exists.") from None
    return JSONResponse(doc, status_code=201)


@router.get("/profiles")
async def list_profiles(state: EmulatorState = Depends(rm_state)) -> Response:
    return _list_response(state, state.store.list("profile"))


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
async def create_profile_policy(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)):
    return create_policy(state, profile_scope(state, profile_id), await _body(request))


@router.get("/profiles/{profile_id}/policies")
async def list_profile_policies(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)):
    return list_policies(state, profile_scope(state, profile_id), request)


@router.get("/profiles/{profile_id}/policies/{ref:path}")
async def get_profile_policy(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)):
    return JSONResponse(_wire(state, _find(state, profile_scope(state, profile_id), _raw_segment(request, 6))))


@router.patch("/profiles/{profile_id}/policies/{ref:path}", status_code=204)
async def patch_profile_policy(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)):
    scope = profile_scope(state, profile_id)
    return patch_policy(state, scope, _raw_segment(request, 6), await _body(request))


@router.delete("/profiles/{profile_id}/policies/{ref:path}", status_code=204)
async def delete_profile_policy(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)):
    return delete_policy(state, profile_scope(state, profile_id), _raw_segment(request, 6), 204)


# -- resource policies: /policies[/{policyId}] ---------------------------------------------------------
@router.post("/policies", status_code=201)
async def create_resource_policy(request: Request, state: EmulatorState = Depends(rm_state)):
    return create_policy(state, resource_scope(), await _body(request))


@router.get("/policies")
async def list_resource_policies(request: Request, state: EmulatorState = Depends(rm_state)):
    return list_policies(state, resource_scope(), request)


@router.get("/policies/{ref:path}")
async def get_resource_policy(request: Request, state: EmulatorState = Depends(rm_state)):
    return JSONResponse(_wire(state, _find(state, resource_scope(), _raw_segment(request, 4))))


@router.patch("/policies/{ref:path}", status_code=204)
async def patch_resource_policy(request: Request, state: EmulatorState = Depends(rm_state)):
    return patch_policy(state, resource_scope(), _raw_segment(request, 4), await _body(request))


@router.delete("/policies/{ref:path}", status_code=200)
async def delete_resource_policy(request: Request, state: EmulatorState = Depends(rm_state)):
    return delete_policy(state, resource_scope(), _raw_segment(request, 4), 200)  # documented: 200
