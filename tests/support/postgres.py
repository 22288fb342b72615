"""A real PostgreSQL server for the tests of the engine's PostgreSQL state backend.

Started from the server programs `make test` provides (.engine/postgres-bin, see tools/postgres/ensure-postgres.sh)
in a fresh data directory, on 127.0.0.1 and a free port, with no Unix socket; stopped and deleted afterwards.
It is one server per test worker: each stack gets a table of its own (the backend's ``?table=`` parameter),
so stacks never see each other's state. Durability settings are off: these are tests, not a database.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from tests.support.engine import REPO

PG_BIN = Path(os.environ.get("PULUMI_POLICIES_PG_BIN", REPO / ".engine" / "postgres-bin"))
USER = "pulumi"


class PostgresMissing(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        if not (PG_BIN / "postgres").exists():
            raise PostgresMissing(
                f"No PostgreSQL server programs in {PG_BIN}. Run `make test` (it finds or installs them), or "
                "tools/postgres/ensure-postgres.sh, or point PULUMI_POLICIES_PG_BIN at the directory holding them.")
        self.base = Path(tempfile.mkdtemp(prefix="pulumi-policies-pg-"))
        self.data = self.base / "data"
        self.port = 0
        # PostgreSQL refuses to run as root: then the server runs as the package's system user.
        self.run_as = None
        if os.geteuid() == 0:
            self.run_as = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
            owner = pwd.getpwnam(self.run_as) if self.run_as else None
            if owner:
                os.chown(self.base, owner.pw_uid, owner.pw_gid)

    def _run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> PostgresServer:
        proc = self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                         "--no-sync", "--no-instructions")
        if proc.returncode:
            raise RuntimeError(f"initdb failed:\n{proc.stdout}\n{proc.stderr}")
        for _ in range(5):  # a free port can be taken between asking and binding: try another
            self.port = _free_port()
            options = (f"-h 127.0.0.1 -p {self.port} -k '' -c fsync=off -c synchronous_commit=off "
                       "-c full_page_writes=off -c max_connections=200")
            proc = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                             "-l", str(self.base / "server.log"), "-w", "-t", "60", "start")
            if proc.returncode == 0:
                return self
        raise RuntimeError(f"PostgreSQL did not start:\n{proc.stdout}\n{proc.stderr}\n{self.log()}")

    def log(self) -> str:
        try:
            return (self.base / "server.log").read_text()[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.port:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    def backend_url(self, table: str | None = None) -> str:
        """The engine's backend URL for a table of its own (a new one unless named)."""
        table = table or f"state_{uuid.uuid4().hex[:12]}"
        return f"postgres://{USER}@127.0.0.1:{self.port}/postgres?sslmode=disable&table={table}"

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def connect(backend_url: str) -> psycopg.Connection:
    """A connection to the database behind an engine backend URL (the engine's own parameters left out)."""
    return psycopg.connect(backend_url.split("?")[0] + "?sslmode=disable")


def table_of(backend_url: str) -> str:
    """The table an engine backend URL keeps its state in."""
    return backend_url.rsplit("table=", 1)[1]


def engine_blob(blob: bytes) -> str:
    """A blob as the engine's PostgreSQL backend stores it in its JSON column: base64 under "data"."""
    return json.dumps({"data": base64.b64encode(blob).decode()})
