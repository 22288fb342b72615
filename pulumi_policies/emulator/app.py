"""The emulator as one FastAPI application: both API families, the admin API, and the middleware
that logs every request and injects faults before the APIs see it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import admin, nccm, resource_manager
from .faults import FaultRule
from .state import EmulatorState

ADMIN_PREFIX = "/_emulator/"
MAX_BODY = 1 << 20  # 1 MiB: larger bodies are a 413


class _BodyTooLarge(Exception):
    pass


def create_app(state: EmulatorState) -> FastAPI:
    app = FastAPI(title="pulumi_policies emulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.emulator = state
    app.include_router(nccm.router)
    app.include_router(resource_manager.router)
    app.include_router(admin.router)

    @app.exception_handler(nccm.NccmError)
    async def _nccm_error(_: Request, exc: nccm.NccmError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(resource_manager.RmError)
    async def _rm_error(_: Request, exc: resource_manager.RmError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(admin.AdminError)
    async def _admin_error(_: Request, exc: admin.AdminError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    app.add_middleware(FaultsAndLog, state=state, routes=[*nccm.router.routes, *resource_manager.router.routes])
    return app


def _route_of(routes: list[Any], scope: Scope) -> str:
    served = scope.get("route")  # set by the router on the way in; absent when a fault answered first
    if served is not None and hasattr(served, "path"):
        return str(served.path).replace(":path}", "}")
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", scope["path"])).replace(":path}", "}")
    return str(scope["path"])


async def _send_json(send: Send, status: int, body: dict[str, Any],
                     headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})


def _error_body(path: str, status: int, message: str) -> dict[str, Any]:
    """An error in the shape of the API family the path belongs to (the shapes live with each API)."""
    if path.startswith(nccm.BASE):
        return nccm.error(status, message).body
    return resource_manager.RmError(status, message).body


class FaultsAndLog:
    """Pure ASGI middleware: request log, size limit, and the fault rules (admin calls are exempt)."""

    def __init__(self, app: ASGIApp, state: EmulatorState, routes: list[Any]) -> None:
        self.app, self.state, self.routes = app, state, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        status = {"code": 0}

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        decision = self.state.faults.decide(method, path)
        if decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        fault = decision.fail
        try:
            if fault is None or fault.apply:
                await self._serve(scope, receive, logged_send if fault is None else _swallow(status))
            if fault is not None:
                await self._fail(scope, send, fault, status)
        finally:
            self.state.log.record(method, _route_of(self.routes, scope), path, status["code"],
                                  (time.perf_counter() - started) * 1000, ", ".join(decision.labels) or None)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            await _send_json(send, 413, _error_body(scope["path"], 413, f"Request body over {MAX_BODY} bytes."))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY:
                raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _send_json(send, 413, _error_body(scope["path"], 413, f"Request body over {MAX_BODY} bytes."))
        except ClientDisconnect:
            pass  # the client went away mid-request (killed, timed out): no one to answer; the log says status 0

    async def _fail(self, scope: Scope, send: Send, fault: FaultRule, status: dict[str, int]) -> None:
        if fault.kind == "drop":
            status["code"] = 0
            await self._drop(scope)
            return
        if fault.kind == "rate_limit":
            status["code"] = 429
            await _send_json(send, 429, _error_body(scope["path"], 429, "Too many requests: slow down."),
                             ((b"retry-after", _seconds(fault.retry_after)),))
            return
        status["code"] = fault.status
        if fault.body is not None:
            payload = fault.body.encode()
            await send({"type": "http.response.start", "status": fault.status,
                        "headers": [(b"content-type", fault.content_type.encode()),
                                    (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        await _send_json(send, fault.status, _error_body(scope["path"], fault.status,
                                                         f"Injected failure (HTTP {fault.status})."))

    async def _drop(self, scope: Scope) -> None:
        """Close the client's connection without an answer, as a crashed proxy would."""
        client = tuple(scope.get("client") or ())
        for connection in list(self.state.connections or ()):
            if getattr(connection, "client", None) == client:
                connection.transport.abort()
                await asyncio.sleep(0)  # let the protocol notice before the app returns
                return
        raise ConnectionAbortedError("injected drop")  # not served by uvicorn: fail as loudly as possible


def _swallow(status: dict[str, int]) -> Send:
    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]
    return send


def _seconds(value: float) -> bytes:
    return (str(int(value)) if float(value).is_integer() else f"{value:g}").encode()
