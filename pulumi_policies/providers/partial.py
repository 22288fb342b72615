"""A create or update that did part of its work: fail it, and have the engine record the part that was done.

The provider protocol has this: a Create or Update that fails with an ``ErrorResourceInitFailed`` detail
(pulumi/proto/provider.proto) carries the resource's live outputs, and the engine saves them in the state and
marks the resource with the failure's reasons (``InitErrors``). The next ``pulumi up`` runs an update for such a
resource even where the diff says nothing changed (``hasInitErrors`` in the engine's step generator), so the work
left is done then, from what the state now says was done.

Python dynamic providers do not expose it: ``pulumi/dynamic/__main__.py`` turns any exception into a plain gRPC
error, and the engine then keeps the resource's previous state, as if nothing had been done. The gRPC call's
context is a local of the servicer method that called the provider (``Create(self, request, context)``); this
module finds it there and aborts the call with the detail. Where it cannot be found (another SDK layout),
``fail`` returns and the caller raises a plain error that names what was done; so it does for a detail larger
than MAX_DETAIL_BYTES.
"""

from __future__ import annotations

import asyncio
import sys
from types import FrameType
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import status_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from ..engine_state import PROVIDER_KEY

# The detail travels in a gRPC trailer; the engine's gRPC client refuses header lists over 16 MiB (grpc-go's
# default), and a refused answer records nothing. Larger than this, the caller's plain error is the safer answer.
MAX_DETAIL_BYTES = 4 * 1024 * 1024


class _Status:
    """What ``ServicerContext.abort_with_status`` reads (grpc.Status's three attributes)."""

    def __init__(self, message: str, detail: provider_pb2.ErrorResourceInitFailed) -> None:
        packed = any_pb2.Any()
        packed.Pack(detail)
        code = grpc.StatusCode.UNKNOWN
        status = status_pb2.Status(code=code.value[0], message=message, details=[packed])
        self.code = code
        self.details = message
        self.trailing_metadata = (("grpc-status-details-bin", status.SerializeToString()),)


def _call_context() -> Any:
    """The gRPC context of the provider call being served on this thread, if the SDK's servicer holds it."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(8):
        if frame is None:
            return None
        context = frame.f_locals.get("context")
        if context is not None and callable(getattr(context, "abort_with_status", None)):
            return context
        frame = frame.f_back
    return None


def _struct(values: dict[str, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(values, {}))
    finally:
        loop.close()


def fail(resource_id: str, outputs: dict[str, Any], provider: Any, reasons: list[str]) -> None:
    """Fail the current Create or Update, the engine recording `outputs` (this id) as the resource's state and
    `reasons` as its errors. Does not return when it can do that; returns when it cannot."""
    context = _call_context()
    if context is None:
        return
    detail = provider_pb2.ErrorResourceInitFailed(id=resource_id, properties=_struct({**outputs, PROVIDER_KEY: provider}),
                                                  reasons=reasons)
    status = _Status("\n".join(reasons), detail)
    if len(status.trailing_metadata[0][1]) > MAX_DETAIL_BYTES:
        return
    context.abort_with_status(status)
