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
Beyond the document, where a server profile says so (README, with the evidence): Britive's condition store
(validated, read back reordered and re-spaced), IM and unknown settings types, and a profile's policy order
(``PATCH /profiles/{id}``, ``POST /profiles/{id}/policies/order``, ``order`` on each policy).
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

from .schema import (
    BRITIVE_SETTING_TYPES,
    DOCUMENTED_SETTING_TYPES,
    EXTRA_MEMBER_KINDS,
    MEMBER_KINDS,
    BritiveCondition,
    RmPolicy,
    ValidationError,
    problems,
)
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
    """Where a policy lives: the resource policies, or one profile's policies (``ordered``: by priority)."""

    def __init__(self, kind: str, scope: str, label: str, ordered: bool = False) -> None:
        self.kind, self.scope, self.label, self.ordered = kind, scope, label, ordered


def resource_scope() -> Scope:
    return Scope("resource_policy", "", "resource policies")


def _profile(state: EmulatorState, profile_id: str) -> dict[str, Any]:
    found = state.store.get("profile", "", profile_id)
    if found is None:
        raise RmError(404, f"Profile '{profile_id}' not found.")
    return found


def profile_scope(state: EmulatorState, profile_id: str) -> Scope:
    profile = _profile(state, profile_id)
    ordered = state.behaviour.prioritization and profile.get("policyOrderingEnabled") is True
    return Scope("profile_policy", profile_id, f"profile '{profile_id}'", ordered)


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
    if behaviour.condition_store == "britive":
        try:
            BritiveCondition.model_validate(value)
        except ValidationError as exc:
            raise _invalid("; ".join(f"condition.{loc}: {msg}" for loc, msg in problems(exc))) from None
        return _britive_condition(value)
    return value


def _descending(items: list[Any]) -> list[Any]:
    return sorted(items, reverse=True)


def _britive_condition(condition: dict[str, Any]) -> dict[str, Any]:
    """A (valid) condition as a Britive tenant stores it: not as sent. Approver lists, channels, days and a list
    of notification media come back in another order (here: sorted, descending); the IP list re-spaced (items
    trimmed, joined with ", ", descending); a manager approval that is not required is dropped. Keys it does
    not know are kept as sent. Idempotent: what it returns, sent again, is stored unchanged."""
    out = {**condition}
    approval = out.get("approval")
    if isinstance(approval, dict):
        approval = out["approval"] = {**approval}
        approvers = approval.get("approvers")
        if isinstance(approvers, dict):
            approvers = approval["approvers"] = {**approvers}
            for key in ("tags", "userIds", "channelIds", "slackAppChannels"):
                if isinstance(approvers.get(key), list):
                    approvers[key] = _descending(approvers[key])
            if isinstance(approvers.get("teamsAppChannels"), list):
                teams = [{**t, "channels": _descending(t["channels"])} if isinstance(t.get("channels"), list) else t
                         for t in approvers["teamsAppChannels"]]
                approvers["teamsAppChannels"] = sorted(teams, key=lambda t: str(t["team"]), reverse=True)
        if isinstance(approval.get("notificationMedium"), list):
            approval["notificationMedium"] = _descending(approval["notificationMedium"])
        if "managerApproval" in approval and (approval["managerApproval"] or {}).get("required") is not True:
            del approval["managerApproval"]
    if isinstance(out.get("ipAddress"), str):
        out["ipAddress"] = ", ".join(_descending([item.strip() for item in out["ipAddress"].split(",")]))
    time_of_access = out.get("timeOfAccess")
    if isinstance(time_of_access, dict) and isinstance(time_of_access.get("daysSchedule"), dict):
        days = time_of_access["daysSchedule"]
        out["timeOfAccess"] = {**time_of_access, "daysSchedule": {**days, "days": _descending(days["days"])}}
    return out


def _settings_in(behaviour: Behaviour, value: Any) -> tuple[Any, dict[int, dict[str, Any]]]:
    """The settings the schema checks, and (``setting_types=any``) those of types nobody here knows, by position:
    stored verbatim but for the server's own ``id``/``entityId``/``entityType``."""
    if not isinstance(value, list):
        return value, {}
    allowed = DOCUMENTED_SETTING_TYPES if behaviour.setting_types == "documented" else BRITIVE_SETTING_TYPES
    known, verbatim = [], {}
    for index, setting in enumerate(value):
        kind = setting.get("settingsType") if isinstance(setting, dict) else None
        if isinstance(setting, dict) and kind not in allowed:
            if behaviour.setting_types != "any" or not isinstance(kind, str) or not kind.strip():
                problem = "is required" if kind is None else f"{kind!r} is not a settings type of this server"
                raise _invalid(f"settings.{index}.settingsType: {problem} (one of {', '.join(allowed)})")
            verbatim[index] = {k: v for k, v in setting.items() if k not in ("id", "entityId", "entityType")}
        else:
            known.append(setting)
    kinds = [s["settingsType"] for s in verbatim.values()]
    twice = sorted({k for k in kinds if kinds.count(k) > 1})
    if twice:
        raise _invalid(f"settings: at most one setting of each type; {', '.join(twice)} appears more than once")
    return known, verbatim


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
    verbatim: dict[int, dict[str, Any]] = {}
    if "settings" in fields:
        fields["settings"], verbatim = _settings_in(behaviour, fields["settings"])
    try:
        policy = RmPolicy.model_validate(fields)
    except ValidationError as exc:
        raise _invalid("; ".join(f"{loc}: {msg}" for loc, msg in problems(exc))) from None
    if behaviour.rm_name_max is not None and len(policy.name) > behaviour.rm_name_max:
        raise _invalid(f"name: at most {behaviour.rm_name_max} characters")
    doc = policy.model_dump(mode="json", exclude_none=True)
    doc["members"] = _members_out(behaviour, doc.get("members", {}))
    if verbatim:
        checked = iter(doc.get("settings", []))
        doc["settings"] = [verbatim[i] if i in verbatim else next(checked)
                           for i in range(len(verbatim) + len(doc.get("settings", [])))]
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
    if current is not None and "order" in current:
        out["order"] = current["order"]  # a profile policy's priority is the server's, never the client's
    return out


def _wire(state: EmulatorState, doc: dict[str, Any], ordered: bool = False) -> dict[str, Any]:
    """A stored policy as answered: ``order`` only where the profile orders its policies."""
    out = {k: v for k, v in doc.items() if k != "order" or ordered}
    if state.behaviour.condition_as == "string" and "condition" in out:
        out["condition"] = json.dumps(out["condition"]) if out["condition"] else ""
    return out


def _by_order(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A profile's policies by priority (0 first); any without an order last, in creation order."""
    return sorted(policies, key=lambda p: p.get("order", len(policies)))


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
    """``items`` as answered (already in their wire form): a bare array, or one page of them."""
    if state.behaviour.rm_list == "array":
        return JSONResponse(items)
    page = _int_param(request, "page", 0, 0)
    size = _int_param(request, "size", PAGE_SIZE, 1)
    data = items[page * size:(page + 1) * size]
    return JSONResponse({"count": len(items), "page": page, "size": size, "data": data})


# -- operations shared by both scopes ---------------------------------------------------------------
def list_policies(state: EmulatorState, scope: Scope, request: Request) -> Response:
    items = _filtered(state, scope, request.query_params.get("filter"))
    if scope.ordered:
        items = _by_order(items)
    return _list_response(state, [_wire(state, i, scope.ordered) for i in items], request)


def _filtered(state: EmulatorState, scope: Scope, expression: str | None) -> list[dict[str, Any]]:
    if not expression:
        return state.store.list(scope.kind, scope.scope)
    match = _FILTER.match(expression)
    field, value = match.groups() if match else ("", "")
    field = "name" if field == "key" else field  # the document's example filters by "key": a policy's key is its name
    if field not in FILTERABLE:
        raise RmError(400, f"Unsupported filter '{expression}': use '<field> eq <value>' with one of "
                           f"{', '.join(FILTERABLE)}.")
    if field == "name":
        return state.store.list(scope.kind, scope.scope, key=value)
    return [i for i in state.store.list(scope.kind, scope.scope) if str(i.get(field, "")) == value]


def create_policy(state: EmulatorState, scope: Scope, body: dict[str, Any]) -> Response:
    policy_id = str(uuid.uuid4())
    doc = _document(policy_id, _validated(state.behaviour, body), None)
    with state.store.transaction():
        if scope.kind == "profile_policy":
            doc["order"] = state.store.count(scope.kind, scope.scope)  # a new policy goes last
        try:
            state.store.insert(scope.kind, scope.scope, policy_id, doc["name"], doc)
        except Conflict:
            raise _conflict(scope, doc["name"]) from None
    return JSONResponse(_wire(state, doc, scope.ordered), status_code=201)


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
        if scope.kind == "profile_policy":  # the others move up: orders stay 0..N-1
            for order, policy in enumerate(_by_order(state.store.list(scope.kind, scope.scope))):
                if policy.get("order") != order:
                    state.store.replace(scope.kind, scope.scope, policy["id"], policy["name"],
                                        {**policy, "order": order})
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
    return _list_response(state, [_profile_wire(state, p) for p in state.store.list("profile")], request)


@router.get("/profiles/{profile_id}")
async def get_profile(profile_id: str, state: EmulatorState = Depends(rm_state)) -> Response:
    return JSONResponse(_profile_wire(state, _profile(state, profile_id)))


def _profile_wire(state: EmulatorState, doc: dict[str, Any]) -> dict[str, Any]:
    """A profile as answered: with ``policyOrderingEnabled`` (false until enabled) where policies are ordered."""
    out = {k: v for k, v in doc.items() if k != "policyOrderingEnabled"}
    if state.behaviour.prioritization:
        out["policyOrderingEnabled"] = doc.get("policyOrderingEnabled", False)
    return out


def _prioritization(state: EmulatorState, request: Request) -> None:
    if not state.behaviour.prioritization:
        raise RmError(405, f"Method {request.method} is not allowed on {request.url.path}: this server does not "
                           "order policies.")


@router.patch("/profiles/{profile_id}")
async def patch_profile(profile_id: str, request: Request, state: EmulatorState = Depends(rm_state)) -> Response:
    """Britive's profile update: the fields sent are merged (``policyOrderingEnabled`` switches the profile's
    policy order on and off; switched off, the order is kept for when it is switched on again); 200 with the
    profile. Other fields (``delegationEnabled``, ``expirationDuration``, ...) are ignored."""
    _prioritization(state, request)
    body = await _body(request)
    with state.store.transaction():
        doc = _profile(state, profile_id)
        if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
            raise RmError(400, "Invalid profile: name: a non-blank string is required.")
        if "description" in body and not isinstance(body["description"], str | None):
            raise RmError(400, "Invalid profile: description: a string is required.")
        if "policyOrderingEnabled" in body and not isinstance(body["policyOrderingEnabled"], bool):
            raise RmError(400, "Invalid profile: policyOrderingEnabled: must be true or false.")
        doc = {**doc, **{k: body[k] for k in ("name", "policyOrderingEnabled") if k in body}}
        if "description" in body:
            doc["description"] = body["description"] or ""
        try:
            state.store.replace("profile", "", profile_id, doc["name"], doc)
        except Conflict:
            raise RmError(409, f"A profile named '{doc['name']}' already exists.") from None
    return JSONResponse(_profile_wire(state, doc))


@router.post("/profiles/{profile_id}/policies/order")
async def order_profile_policies(profile_id: str, request: Request,
                                 state: EmulatorState = Depends(rm_state)) -> Response:
    """Britive's policy prioritisation: ``[{"id": "<policyId>", "order": 0}, ...]``, a complete order (every
    policy of the profile once, orders 0..N-1, 0 first); 200 with the order as stored."""
    _prioritization(state, request)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise RmError(400, f"Malformed JSON request body: {exc}") from None
    with state.store.transaction():
        scope = profile_scope(state, profile_id)
        if not scope.ordered:
            raise RmError(400, f"Policy ordering is not enabled for profile '{profile_id}': enable it first "
                               f"(PATCH {API}/profiles/{profile_id} {{\"policyOrderingEnabled\": true}}).")
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise RmError(400, f"Invalid policy order for profile '{profile_id}': send a JSON array of "
                               "{\"id\": \"<policyId>\", \"order\": <n>}, one for every policy of the profile.")
        policies = {p["id"]: p for p in state.store.list(scope.kind, scope.scope)}
        wrong = _order_problems(body, policies, scope.label)
        if wrong:
            raise RmError(400, f"Invalid policy order for profile '{profile_id}': {'; '.join(wrong)}.")
        for item in body:
            policy = policies[item["id"]]
            state.store.replace(scope.kind, scope.scope, policy["id"], policy["name"], {**policy, "order": item["order"]})
    return JSONResponse(sorted(({"id": i["id"], "order": i["order"]} for i in body), key=lambda i: i["order"]))


def _order_problems(items: list[dict[str, Any]], policies: dict[str, dict[str, Any]], label: str) -> list[str]:
    """What keeps ``items`` from being a complete order of ``policies``: one sentence each."""
    out, last = [], len(policies) - 1
    ids = [i.get("id") for i in items]
    orders = [i.get("order") for i in items]
    for index, (pid, order) in enumerate(zip(ids, orders, strict=True)):
        if not isinstance(pid, str):
            out.append(f"[{index}].id: a policy id is required")
        elif pid not in policies:
            out.append(f"[{index}].id: '{pid}' is not a policy of {label}")
        if not isinstance(order, int) or isinstance(order, bool):
            out.append(f"[{index}].order: an integer is required")
        elif not 0 <= order <= last:
            out.append(f"[{index}].order: {order} is outside 0..{last}" if last >= 0 else
                       f"[{index}].order: {label} has no policies")
    out += [f"policy '{pid}' is given more than once" for pid in sorted({p for p in ids if isinstance(p, str)
                                                                         and ids.count(p) > 1})]
    out += [f"order {o} is given more than once" for o in sorted({o for o in orders if isinstance(o, int)
                                                                  and orders.count(o) > 1})]
    missing = [f"'{p['name']}' ({pid})" for pid, p in policies.items() if pid not in ids]
    if missing:
        out.append(f"every policy of the profile needs an order; missing: {', '.join(missing)}")
    return out


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
    scope = profile_scope(state, profile_id)
    return JSONResponse(_wire(state, _find(state, scope, _raw_segment(request, 6)), scope.ordered))


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
