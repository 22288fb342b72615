"""The language host (tools/langhost/main.go) speaks the engine's gRPC protocol, stops quietly and ends with its engine."""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

from tests.support.engine import ENGINE_BIN

HOST = ENGINE_BIN / "pulumi-language-python"  # the wrapper `make engine` writes around tools/langhost/main.go


def start(engine_address: str) -> subprocess.Popen:
    if not HOST.exists():
        pytest.skip(f"no language host in {ENGINE_BIN}: run `make engine`")
    return subprocess.Popen([str(HOST), engine_address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens on it once the socket is closed


@pytest.fixture
def host():
    with socket.socket() as engine:  # a live engine: it accepts connections, so the host keeps running
        engine.bind(("127.0.0.1", 0))
        engine.listen()
        proc = start(f"127.0.0.1:{engine.getsockname()[1]}")
        port = int(proc.stdout.readline())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield proc, language_pb2_grpc.LanguageRuntimeStub(channel)
        channel.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_metadata_calls(host):
    _, stub = host
    assert stub.GetPluginInfo(__import__("google.protobuf.empty_pb2").protobuf.empty_pb2.Empty()).version == "3.259.0"
    assert list(stub.GetRequiredPlugins(language_pb2.GetRequiredPluginsRequest()).plugins) == []
    stub.Handshake(language_pb2.LanguageHandshakeRequest(engine_address="127.0.0.1:2"))
    about = stub.About(language_pb2.AboutRequest())
    assert about.version.startswith("3.")


def test_run_plugin_streams_output_and_exit_code(host, tmp_path):
    _, stub = host
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "__main__.py").write_text("import sys\nprint('port-1234')\nprint('oops', file=sys.stderr)\nsys.exit(3)\n")
    options = struct_pb2.Struct()
    info = language_pb2.ProgramInfo(root_directory=str(plugin), program_directory=str(plugin), entry_point=".",
                                    options=options)
    responses = list(stub.RunPlugin(language_pb2.RunPluginRequest(pwd=str(plugin), info=info, env=["A=1"])))
    stdout = b"".join(r.stdout for r in responses)
    stderr = b"".join(r.stderr for r in responses)
    assert stdout == b"port-1234\n" and stderr == b"oops\n"
    assert responses[-1].exitcode == 3


def test_sigterm_exits_quietly(host):
    proc, stub = host
    stub.GetPluginInfo(__import__("google.protobuf.empty_pb2").protobuf.empty_pb2.Empty())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "Traceback" not in proc.stderr.read()


def test_exits_by_itself_once_the_engine_is_gone():
    proc = start(f"127.0.0.1:{closed_port()}")
    started = time.monotonic()
    assert int(proc.stdout.readline()) > 0
    try:
        assert proc.wait(timeout=5) == 0  # two refused looks, one second apart
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert time.monotonic() - started >= 1.5
