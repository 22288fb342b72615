"""``/ux/nccm/configuration_policies/``: the NCCM configuration-policy API, as documented.

Payloads are checked against the emulator's own reading of the document (``schema.NccmPolicy``); what
a server profile changes (``state.Behaviour``) is applied around it. Choices where the document is
silent (also in the emulator README):
- errors are ``{"error": "..."}``; invalid fields are DRF field errors ``{"policyid": ["..."]}`` (400);
- ``policyid`` + ``organization`` are unique together: a second one is a 400 naming both;
- read-only fields (id, status, creationtime, ...) and unknown fields are ignored on write;
- PUT is a full replace: fields left out return to their defaults;
- ids are 24 hex digits (MongoDB ObjectIds); any other id is a 404, like an unknown one;
- ``items_per_page`` is 1..1000; an unknown sort key is a 400.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from .schema import NCCM_READ_ONLY, NCCM_WRITABLE, NccmPolicy, ValidationError, drf_field_errors
from .state import EmulatorState
from .store import Conflict

BASE = "/ux/nccm/configuration_policies"
KIND = "configuration_policy"
MAX_PAGE = 1000
SORTABLE = frozenset(set(NCCM_WRITABLE) | set(NCCM_READ_ONLY))
# What an unset field reads back as in the "empty" behaviour (the "null" one answers null for all of them).
_EMPTY_STRING = ("name", "description", "associate_users", "associate_groups", "associated_rules")
_EMPTY_LIST = ("associated_rule_groups", "assigned_users", "assigned_group")


class NccmError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body


def error(status: int, message: str) -> NccmError:
    return NccmError(status, {"error": message})


async def nccm_state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    header = request.headers.get("authorization", "")
    if not header:
        raise error(401, "Authentication credentials were not provided.")
    prefixed = header.startswith("ApiKey ")
    key = header[len("ApiKey "):] if prefixed else header
    wanted = {"bare": (False,), "apikey": (True,), "either": (False, True)}[state.behaviour.nccm_auth]
    if prefixed not in wanted or not secrets.compare_digest(key.encode(), state.credentials.nccm_api_key.encode()):
        raise error(401, "Invalid API key.")
    return state


router = APIRouter(prefix=BASE)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _natural_key(doc: dict[str, Any]) -> str:
    return f"{doc['policyid']}\x00{doc['organization']}"


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise error(400, f"JSON parse error - {exc}") from None


def _validated(state: EmulatorState, body: Any) -> dict[str, Any]:
    """The writable fields of ``body`` checked against the document's schema, with defaults."""
    if not isinstance(body, dict):
        raise NccmError(400, {"non_field_errors": ["Invalid data. Expected a dictionary, but got "
                                                   f"{type(body).__name__}."]})
    try:
        policy = NccmPolicy.model_validate(body)
    except ValidationError as exc:
        raise NccmError(400, drf_field_errors(exc)) from None
    doc = policy.model_dump(mode="json")
    if doc.get("processid") is None:
        doc["processid"] = 1  # the document's default
    if state.behaviour.nccm_unset == "empty":
        for key in _EMPTY_STRING:
            doc[key] = "" if doc[key] is None else doc[key]
        for key in _EMPTY_LIST:
            doc[key] = [] if doc[key] is None else doc[key]
        doc["policy_schedule"] = doc["policy_schedule"] if doc["policy_schedule"] is not None else {}
    return doc


def _conflict(state: EmulatorState, doc: dict[str, Any]) -> NccmError:
    if state.behaviour.nccm_unique_error == "drf":  # DRF's UniqueTogetherValidator
        return NccmError(400, {"non_field_errors": ["The fields policyid, organization must make a unique set."]})
    return error(400, f"A configuration policy with policyid '{doc['policyid']}' already exists in "
                      f"organization '{doc['organization']}'.")


def _lookup(state: EmulatorState, policy_id: str) -> dict[str, Any]:
    found = state.store.get(KIND, "", policy_id)
    if found is None:
        raise error(404, "Not found.")
    return found


def _insert(state: EmulatorState, body: Any) -> dict[str, Any]:
    doc = _validated(state, body)
    now = _now()
    unset = None if state.behaviour.nccm_unset == "null" else ""
    record = {"id": secrets.token_hex(12), "status": "inactive", "creationtime": now, "last_update_time": now,
              "next_action_time": unset, "last_action_time": unset, "is_private": "false", "rule_description": unset,
              "schedule_descr": unset, "visibility": "organization", **doc}
    try:
        state.store.insert(KIND, "", record["id"], _natural_key(doc), record)
    except Conflict:
        raise _conflict(state, doc) from None
    return record


def _replace(state: EmulatorState, policy_id: str, body: Any) -> dict[str, Any]:
    with state.store.transaction():
        current = _lookup(state, policy_id)
        doc = _validated(state, body)
        record = {**{k: current[k] for k in NCCM_READ_ONLY if k in current}, **doc, "last_update_time": _now()}
        try:
            state.store.replace(KIND, "", policy_id, _natural_key(doc), record)
        except Conflict:
            raise _conflict(state, doc) from None
    return record


def _int_param(request: Request, name: str, required: bool, low: int, high: int) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        if required:
            raise NccmError(400, {name: ["This field is required."]})
        return None
    try:
        number = int(value)
    except ValueError:
        raise NccmError(400, {name: ["A valid integer is required."]}) from None
    if not low <= number <= high:
        raise NccmError(400, {name: [f"Ensure this value is between {low} and {high}."]})
    return number


@router.get("/")
async def list_policies(request: Request, state: EmulatorState = Depends(nccm_state)) -> Response:
    per_page = _int_param(request, "items_per_page", True, 1, MAX_PAGE) or 1
    page = _int_param(request, "page", True, 1, 10**9) or 1
    sort = request.query_params.get("sort") or None
    if sort is not None and sort not in SORTABLE:
        raise error(400, f"Cannot sort by '{sort}'.")
    reverse = request.query_params.get("reverse", "false").lower() in ("true", "1", "yes")
    if sort == "creationtime":
        sort = None  # creation order: the same order, with ties broken by insertion
    items = state.store.list(KIND, sort=sort, reverse=reverse, limit=per_page, offset=(page - 1) * per_page)
    total = state.store.count(KIND)
    if not items and page > 1 and state.behaviour.nccm_past_last_page == "404":
        return JSONResponse({"detail": "Invalid page."}, status_code=404)  # Django's EmptyPage, as DRF answers it
    if state.behaviour.nccm_list == "array":
        return JSONResponse(items)
    base = str(request.url.remove_query_params("page"))
    sep = "&" if "?" in base else "?"
    return JSONResponse({"count": total,
                         "next": f"{base}{sep}page={page + 1}" if page * per_page < total else None,
                         "previous": f"{base}{sep}page={page - 1}" if page > 1 else None,
                         "results": items})


@router.post("/", status_code=201)
async def create_policy(request: Request, state: EmulatorState = Depends(nccm_state)) -> Response:
    _insert(state, await _body(request))
    return Response(status_code=201)  # documented: 201, no body


@router.get("/options/")
async def options(state: EmulatorState = Depends(nccm_state)) -> Response:
    defaults = _validated(state, {"policyid": "-", "organization": "-"})
    defaults.update({k: "" for k in NCCM_READ_ONLY}, status="inactive", visibility="organization",
                    is_private="false", policyid="", organization="")
    return JSONResponse(defaults)


@router.post("/bulk-opration/")
async def bulk_operation(request: Request, state: EmulatorState = Depends(nccm_state)) -> Response:
    """Creates or replaces several policies at once (an ``id`` replaces): all or nothing."""
    body = await _body(request)
    items = body if isinstance(body, list) else [body]
    with state.store.transaction():
        out = [_replace(state, str(item["id"]), item) if isinstance(item, dict) and item.get("id")
               else _insert(state, item) for item in items]
    return JSONResponse(out if isinstance(body, list) else out[0])


@router.post("/multi-delete/")
async def multi_delete(request: Request, state: EmulatorState = Depends(nccm_state)) -> Response:
    """Deletes several policies: ``{"ids": [...]}``, a list of ids, or a policy (the document's example body),
    named by its ``id`` or, as the document's example has none, by ``policyid`` + ``organization``. All or nothing."""
    body = await _body(request)
    if isinstance(body, dict) and isinstance(body.get("ids"), list):
        ids = [str(i) for i in body["ids"]]
    elif isinstance(body, list):
        ids = [str(i.get("id") if isinstance(i, dict) else i) for i in body]
    elif isinstance(body, dict) and body.get("id"):
        ids = [str(body["id"])]
    elif isinstance(body, dict) and body.get("policyid") and body.get("organization"):
        found = state.store.get_by_key(KIND, "", _natural_key(body))
        if found is None:
            raise error(404, f"No configuration policy with policyid {body['policyid']!r} in organization "
                             f"{body['organization']!r}.")
        ids = [str(found["id"])]
    else:
        raise error(400, "Send {\"ids\": [...]}, a list of ids, or a policy with an 'id' or a policyid and organization.")
    with state.store.transaction():
        deleted = [_lookup(state, i) for i in ids]
        for policy_id in ids:
            state.store.delete(KIND, "", policy_id)
    return JSONResponse(deleted[0] if isinstance(body, dict) and "ids" not in body else deleted)


@router.get("/{policy_id}/")
async def get_policy(policy_id: str, state: EmulatorState = Depends(nccm_state)) -> Response:
    return JSONResponse(_lookup(state, policy_id))


@router.put("/{policy_id}/")
async def put_policy(policy_id: str, request: Request, state: EmulatorState = Depends(nccm_state)) -> Response:
    return JSONResponse(_replace(state, policy_id, await _body(request)))


@router.delete("/{policy_id}/", status_code=204)
async def delete_policy(policy_id: str, state: EmulatorState = Depends(nccm_state)) -> Response:
    if not state.store.delete(KIND, "", policy_id):
        raise error(404, "Not found.")
    return Response(status_code=204)
