"""Running the emulator: in-process (tests, benchmarks) or in the foreground (``pulumi-policies serve``)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, cast

import httpx
import uvicorn

from . import profiles
from .app import create_app
from .faults import Faults
from .state import Credentials, EmulatorState, load_seed


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket; port 0 picks a free one, with no window for another process to take it."""
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without it every
    # response written in two parts (head, body) waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def build_state(*, data_dir: str | Path | None = None, seed_file: str | Path | None = None,
                nccm_api_key: str | None = None, rm_token: str | None = None, admin_token: str | None = None,
                profile: str = "documented", behaviour: dict[str, Any] | None = None,
                faults: list[dict[str, Any]] | None = None, fault_seed: int | None = None,
                latency_ms: float = 0.0) -> EmulatorState:
    credentials = Credentials()
    for name, value in (("nccm_api_key", nccm_api_key), ("rm_token", rm_token), ("admin_token", admin_token)):
        if value:
            setattr(credentials, name, value)
    return EmulatorState(data_dir=data_dir, seed=load_seed(seed_file), credentials=credentials,
                         behaviour=profiles.behaviour(profile, **(behaviour or {})),
                         faults=Faults(faults, seed=fault_seed, latency_ms=latency_ms))


def uvicorn_server(state: EmulatorState, log_level: str = "warning", certfile: str | None = None,
                   keyfile: str | None = None) -> uvicorn.Server:
    """The server for `state`; with a certificate and key it speaks HTTPS."""
    config = uvicorn.Config(create_app(state), log_level=log_level, lifespan="off", access_log=False,
                            timeout_keep_alive=30, ssl_certfile=certfile, ssl_keyfile=keyfile)
    server = uvicorn.Server(config)
    state.connections = server.server_state.connections
    return server


class Admin:
    """The admin API (``/_emulator/``), for tests and benchmarks."""

    def __init__(self, url: str, token: str, verify: bool | str = True) -> None:
        tls = ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        self._http = httpx.Client(base_url=f"{url}/_emulator", headers={"Authorization": f"Bearer {token}"},
                                  timeout=30, verify=tls)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        # The admin API's JSON; the methods below cast it to the shape each endpoint answers with.
        response = self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        return cast("dict[str, list[dict[str, Any]]]", self._call("GET", "/dump"))

    def requests(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self._call("GET", "/requests"))

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def faults(self) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]", self._call("GET", "/faults"))

    def set_faults(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]", self._call("PUT", "/faults", json=rules))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_config(self, **switches: Any) -> dict[str, Any]:
        """Switch the server profile (``profile="britive"``) or single behaviours (``rm_list="paged"``)."""
        return cast("dict[str, Any]", self._call("PATCH", "/config", json=switches))

    def config(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self._call("GET", "/config"))

    def close(self) -> None:
        self._http.close()


class EmulatorServer:
    """The emulator on a free loopback port in a background thread::

        with EmulatorServer(data_dir=tmp) as srv:
            httpx.get(srv.url + "/ux/nccm/configuration_policies/?items_per_page=10&page=1",
                      headers={"Authorization": srv.nccm_api_key})
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, certfile: str | None = None,
                 keyfile: str | None = None, **options: Any) -> None:
        self.state = build_state(**options)
        self._socket = bind(host, port)
        self.host, self.port = self._socket.getsockname()[:2]
        self.url = f"{'https' if certfile else 'http'}://{self.host}:{self.port}"
        self._server = uvicorn_server(self.state, certfile=certfile, keyfile=keyfile)
        self._thread: threading.Thread | None = None
        self.admin = Admin(self.url, self.state.credentials.admin_token, verify=certfile or True)

    nccm_api_key = property(lambda self: self.state.credentials.nccm_api_key)
    rm_token = property(lambda self: self.state.credentials.rm_token)
    admin_token = property(lambda self: self.state.credentials.admin_token)

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"emulator:{self.port}", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator stopped while starting")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
            self._thread = None
        self._socket.close()
        self.admin.close()
        self.state.store.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


SERVE_KEYS = ("url", "nccm_api_key", "rm_token", "admin_token")


def spawn(*serve_args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`pulumi-policies serve ARGS` in a child process; returns it and what it printed (url and credentials).

    The caller stops it (``proc.terminate(); proc.wait()``).
    """
    cmd = [sys.executable, "-m", "pulumi_policies.cli", "serve", *serve_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    info: dict[str, str] = {}
    assert proc.stdout is not None
    while not all(k in info for k in SERVE_KEYS):
        key, _, value = proc.stdout.readline().partition(": ")
        if not value:
            proc.kill()
            raise RuntimeError(f"the embedded API server did not start: {' '.join(cmd)}")
        info[key.strip()] = value.strip()
    return proc, info
