"""The admin API under ``/_emulator/`` (``Authorization: Bearer <admin token>``; health needs none).

GET    /_emulator/health      liveness
GET    /_emulator/dump        every stored object, by kind
GET    /_emulator/requests    the request log: {"counts": {"METHOD route": n}, "total": n, "entries": [...]}
DELETE /_emulator/requests    clear the request log
POST   /_emulator/reset       delete everything, re-apply the seed, clear the log and the faults
GET    /_emulator/faults      the active fault rules with their counters
PUT    /_emulator/faults      replace the fault rules: a list of rules (see faults.py)
DELETE /_emulator/faults      remove every fault rule
GET    /_emulator/config      the server profile and its behaviour switches
PATCH  /_emulator/config      change them: {"profile": "britive"} switches to a profile (every switch as it sets
                              them); other keys change one switch each, e.g. {"rm_list": "paged"} (see state.Behaviour)
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from . import profiles
from .state import EmulatorState


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


async def admin_state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    header = request.headers.get("authorization", "")
    token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
    if not secrets.compare_digest(token.encode(), state.credentials.admin_token.encode()):
        raise AdminError(401, "The admin API needs 'Authorization: Bearer <admin token>'.")
    return state


router = APIRouter(prefix="/_emulator")


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/dump")
async def dump(state: EmulatorState = Depends(admin_state)) -> Response:
    return JSONResponse(state.dump())


@router.get("/requests")
async def requests(state: EmulatorState = Depends(admin_state)) -> Response:
    return JSONResponse(state.log.snapshot())


@router.delete("/requests", status_code=204)
async def clear_requests(state: EmulatorState = Depends(admin_state)) -> Response:
    state.log.clear()
    return Response(status_code=204)


@router.post("/reset", status_code=204)
async def reset(state: EmulatorState = Depends(admin_state)) -> Response:
    state.reset()
    return Response(status_code=204)


@router.get("/faults")
async def get_faults(state: EmulatorState = Depends(admin_state)) -> Response:
    return JSONResponse(state.faults.rules())


@router.put("/faults")
async def put_faults(request: Request, state: EmulatorState = Depends(admin_state)) -> Response:
    rules = await request.json()
    if not isinstance(rules, list):
        raise AdminError(400, "Send a JSON list of fault rules.")
    try:
        state.faults.set(rules)
    except ValidationError as exc:
        raise AdminError(400, f"Invalid fault rule: {exc}") from None
    return JSONResponse(state.faults.rules())


@router.delete("/faults", status_code=204)
async def clear_faults(state: EmulatorState = Depends(admin_state)) -> Response:
    state.faults.set([])
    return Response(status_code=204)


@router.get("/config")
async def get_config(state: EmulatorState = Depends(admin_state)) -> dict[str, Any]:
    return state.behaviour.switches()


@router.patch("/config")
async def patch_config(request: Request, state: EmulatorState = Depends(admin_state)) -> dict[str, Any]:
    body = await request.json()
    if not isinstance(body, dict):
        raise AdminError(400, "Send a JSON object of switches, e.g. {\"profile\": \"britive\"}.")
    try:
        state.behaviour = profiles.change(state.behaviour, **body)
    except ValueError as exc:
        raise AdminError(400, str(exc)) from None
    return state.behaviour.switches()
