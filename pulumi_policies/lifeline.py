"""Processes the Pulumi engine starts for us end when the engine is gone, whatever ended it.

The engine starts the dynamic-provider process as a plugin, in a process group of its own, with the
address of the engine's own gRPC server as its last argument. A SIGKILL of the engine (an out-of-memory
kill, a cancelled CI job) does not reach it, and nothing in it notices: it would listen on its port for
ever. So it watches that address (the language host, tools/langhost/main.go, does the same in Go): a
daemon thread connects to it every ``INTERVAL`` seconds, and once the port has refused ``MISSES``
connections in a row, the engine is gone and the process ends. A live engine accepts a connection however busy it is
(the kernel completes the handshake), so long updates, slow servers and ``--parallel`` are never cut
short; a connection that times out is taken as a busy machine, not as a dead engine.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence

INTERVAL = 1.0  # seconds between two looks
MISSES = 2      # refused connections in a row that mean the engine is gone

_started: set[tuple[str, int]] = set()
_lock = threading.Lock()


def engine_address(argv: Sequence[str]) -> tuple[str, int] | None:
    """The engine's ``host:port`` among a plugin's arguments (its last positional argument), if any."""
    for arg in reversed(argv):
        if arg.startswith("-"):
            continue
        host, sep, port = arg.rpartition(":")
        if sep and host and port.isdigit():
            return host.strip("[]"), int(port)
        return None
    return None


def _refused(address: tuple[str, int], timeout: float) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False  # a timeout or a full backlog: busy, not gone


def watch(address: tuple[str, int], on_gone: Callable[[], object], *, interval: float = INTERVAL,
          misses: int = MISSES) -> threading.Thread | None:
    """Call `on_gone` once the engine at `address` refuses `misses` connections in a row (once per address)."""
    with _lock:
        if address in _started:
            return None
        _started.add(address)

    def run() -> None:
        refused = 0
        while True:
            time.sleep(interval)
            refused = refused + 1 if _refused(address, interval) else 0
            if refused >= misses:
                on_gone()
                return

    thread = threading.Thread(target=run, name=f"lifeline:{address[0]}:{address[1]}", daemon=True)
    thread.start()
    return thread


def _exit() -> None:
    os._exit(0)  # nobody is left to answer: no cleanup is owed to a dead engine


def watch_from_provider_process() -> None:
    """In the dynamic-provider process the engine started (``python -m pulumi.dynamic ADDRESS``): end it
    with the engine. Anywhere else (a test, a program) this does nothing."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is None or spec.name != "pulumi.dynamic.__main__":
        return
    address = engine_address(sys.argv[1:])
    if address is not None:
        watch(address, _exit)
