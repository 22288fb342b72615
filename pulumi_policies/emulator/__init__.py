"""The embedded API server: both documented policy APIs on loopback, with real storage, auth and faults.

``pulumi-policies serve`` runs it in the foreground; tests use :class:`EmulatorServer` in-process. Its web stack
(FastAPI, uvicorn) is the ``server`` extra (``pip install 'pulumi_policies[server]'``), not a dependency of the
stacks that only declare policies: the names below load it on first use, and ``MISSING`` says how to add it.
"""

from __future__ import annotations

import importlib
from typing import Any

MISSING = ("the embedded API server needs its web stack (FastAPI, uvicorn): install it with "
           "pip install 'pulumi_policies[server]'")
_FROM = {"create_app": ".app", "Admin": ".server", "EmulatorServer": ".server", "build_state": ".server",
         "EmulatorState": ".state"}


def available() -> bool:
    """Is the web stack installed?"""
    try:
        importlib.import_module("fastapi")
        importlib.import_module("uvicorn")
    except ImportError:
        return False
    return True


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_FROM[name], __name__), name)


__all__ = ["MISSING", "Admin", "EmulatorServer", "EmulatorState", "available", "build_state", "create_app"]
