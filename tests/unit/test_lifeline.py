"""The lifeline: a process the engine started ends once the engine's port refuses connections, never before."""

from __future__ import annotations

import socket
import threading
import time

from pulumi_policies import lifeline


def test_the_engine_address_is_the_last_positional_argument():
    assert lifeline.engine_address(["-v=9", "--logtostderr", "127.0.0.1:41235"]) == ("127.0.0.1", 41235)
    assert lifeline.engine_address(["localhost:80", "--tracing", "x"]) is None  # last positional is not an address
    assert lifeline.engine_address(["[::1]:9000"]) == ("::1", 9000)
    assert lifeline.engine_address([]) is None and lifeline.engine_address(["tests/x.py::test_a"]) is None


def test_a_live_engine_is_never_given_up_and_a_dead_one_is_noticed_within_a_bound():
    engine = socket.socket()
    engine.bind(("127.0.0.1", 0))
    engine.listen(1)  # never accepts: a busy engine whose backlog fills still answers the handshake
    address = engine.getsockname()
    gone = threading.Event()
    lifeline.watch(address, gone.set, interval=0.1, misses=2)
    assert not gone.wait(1.0), "a listening engine was taken for dead"
    engine.close()
    started = time.monotonic()
    assert gone.wait(5.0), "the engine's death was not noticed"
    assert time.monotonic() - started < 1.0  # two refused looks, 0.1 s apart
    assert lifeline.watch(address, gone.set) is None  # one watch per address


def test_outside_the_provider_process_nothing_is_watched():
    before = set(lifeline._started)
    lifeline.watch_from_provider_process()  # pytest's __main__ is not pulumi.dynamic
    assert lifeline._started == before
