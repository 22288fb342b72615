"""The language host speaks the engine's gRPC protocol and stops quietly."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import language_pb2, language_pb2_grpc

HOST = Path(__file__).resolve().parents[2] / "tools" / "langhost" / "langhost.py"


@pytest.fixture
def host():
    proc = subprocess.Popen([sys.executable, str(HOST), "127.0.0.1:1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
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
