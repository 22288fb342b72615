"""The embedded API server: both documented policy APIs on loopback, with real storage, auth and faults.

``pulumi-policies serve`` runs it in the foreground; tests use :class:`EmulatorServer` in-process.
"""

from .app import create_app
from .server import Admin, EmulatorServer, build_state
from .state import EmulatorState

__all__ = ["Admin", "EmulatorServer", "EmulatorState", "build_state", "create_app"]
