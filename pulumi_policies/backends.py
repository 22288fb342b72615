"""Read-only access to a self-managed ("DIY") Pulumi state backend's store, where the CLI has no command for it.

The engine keeps a DIY backend's state as blobs under ``.pulumi/``: the stack's checkpoint
(``stacks/<project>/<stack>.json``), a copy of every update's checkpoint and summary
(``history/<project>/<stack>/<stack>-<ms>.checkpoint.json`` and ``.history.json``) and the update locks
(``locks/<org>/<project>/<stack>/<id>.json``: pid, username, hostname, timestamp). `pulumi stack history`
gives the summaries but not the checkpoints, and `pulumi stack export --version` is refused by DIY backends,
so ``rollback`` (the checkpoint of the previous good update) and ``recover`` (whose lock is it?) read the store:

- ``file://<dir>``: the files under ``<dir>/.pulumi``;
- ``postgres://...``: the rows of the engine's table (``?table=``, default ``pulumi_state``) through libpq,
  which takes the same URL and ``PG*`` variables as the engine (needs the ``postgres`` extra: psycopg).

Other backends (``s3://``, ``gs://``, ``azblob://``, Pulumi Cloud) return None from ``state_store``; each
caller says plainly what it cannot do there.
"""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pulumi import automation as auto

from . import stacks
from .errors import PulumiPoliciesError


class StoreError(PulumiPoliciesError):
    """The backend's store could not be read; the message names the backend (credentials redacted)."""


class StateStore(Protocol):
    @property
    def url(self) -> str:
        """The backend, for messages: credentials redacted."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """The keys under ``prefix`` (a ``/``-separated path below the backend root), sorted."""
        ...

    def read(self, key: str) -> bytes | None:
        """The blob at ``key``; None when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob at ``key`` (gone already: nothing to do)."""
        ...


def redact(url: str) -> str:
    """The backend URL without its password (``user:password@`` or ``?password=``): for messages and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k.lower() in SECRET_PARAMS for k, _ in query):
        return urlunsplit(parts._replace(netloc=netloc, query="&".join(
            f"{k}=***" if k.lower() in SECRET_PARAMS else f"{k}={v}" for k, v in query)))
    return urlunsplit(parts._replace(netloc=netloc))


SECRET_PARAMS = ("password", "sslpassword")


@dataclass
class FileStore:
    root: Path

    @property
    def url(self) -> str:
        return f"file://{self.root}"

    def keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.is_dir():
            return []
        # `<blob>.attrs` is the blob library's metadata sidecar, not a blob
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*")
                      if p.is_file() and not p.name.endswith(".attrs"))

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        for path in (self.root / key, self.root / (key + ".attrs")):
            path.unlink(missing_ok=True)


@dataclass
class PostgresStore:
    """The engine's PostgreSQL backend: one table of (key, data JSON, updated_at) rows, a blob's bytes in base64
    as ``data->>'data'``.

    As for every non-file bucket, the engine puts its blobs under the URL's path (here the database name):
    ``postgres://host/db`` keeps ``.pulumi/stacks/...`` at key ``db/.pulumi/stacks/...``."""

    conninfo: str  # the backend URL without the engine's own ``table`` parameter
    table: str
    prefix: str
    url: str

    @classmethod
    def from_url(cls, url: str) -> PostgresStore:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        table = dict(query).get("table") or "pulumi_state"
        conninfo = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if k != "table"])))
        prefix = parts.path.strip("/")
        return cls(conninfo, table, f"{prefix}/" if prefix else "", redact(url))

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        try:
            import psycopg
            from psycopg import sql as pgsql
        except ImportError as exc:  # pragma: no cover - the extra is part of the test install
            raise StoreError(f"reading the PostgreSQL backend {self.url} needs psycopg: "
                             "pip install 'pulumi_policies[postgres]'") from exc
        try:
            conninfo = self.conninfo if "connect_timeout=" in self.conninfo else \
                psycopg.conninfo.make_conninfo(self.conninfo, connect_timeout=10)  # the URL's own, else 10 s
            with psycopg.connect(conninfo) as conn:
                return conn.execute(pgsql.SQL(sql).format(pgsql.Identifier(self.table)), params).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"cannot read the PostgreSQL backend {self.url}: "
                             f"{str(exc).strip() or type(exc).__name__}") from exc

    def keys(self, prefix: str) -> list[str]:
        folder = f"{self.prefix}{prefix.rstrip('/')}/"
        like = folder.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._rows("SELECT key FROM {} WHERE key LIKE %s", like)
        return sorted(key.removeprefix(self.prefix) for (key,) in rows)

    def read(self, key: str) -> bytes | None:
        rows = self._rows("SELECT data->>'data' FROM {} WHERE key = %s", self.prefix + key)
        return base64.b64decode(rows[0][0] or "") if rows else None

    def delete(self, key: str) -> None:
        self._rows("DELETE FROM {} WHERE key = %s RETURNING key", self.prefix + key)


def backend_url(work_dir: str | os.PathLike[str], env: dict[str, str] | None = None) -> str:
    """The backend a stack command in ``work_dir`` uses: PULUMI_BACKEND_URL, else the CLI's login."""
    url = (env or {}).get("PULUMI_BACKEND_URL") or os.environ.get("PULUMI_BACKEND_URL", "")
    if not url:
        try:  # `pulumi whoami` reads no checkpoint, so it also works on a stack a crash left unreadable
            url = stacks.workspace(work_dir, env).who_am_i().url or ""
        except auto.CommandError:
            return ""
    return url


def state_store(url: str) -> StateStore | None:
    """The store behind a DIY backend URL, or None for the backends this module cannot read."""
    if url.startswith("file://"):
        return FileStore(Path(url.removeprefix("file://")).expanduser())
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresStore.from_url(url)
    return None


def stack_folder(store: StateStore, kind: str, project: str, stack: str) -> str:
    """The folder of ``kind`` (history, locks) holding ``stack``'s blobs, in the layout ``.pulumi/meta.yaml``
    names: project-scoped stacks (version 1, the CLI's default) or the legacy layout (version 0, or none)."""
    match = re.search(rb"version:\s*(\d+)", store.read(".pulumi/meta.yaml") or b"")
    if match and int(match.group(1)) >= 1:
        return f".pulumi/{kind}/organization/{project}/{stack}" if kind == "locks" else \
            f".pulumi/{kind}/{project}/{stack}"
    return f".pulumi/{kind}/{stack}"


def children(store: StateStore, folder: str) -> list[str]:
    """The blobs directly in ``folder`` (not in folders below it: another stack's, in the legacy layout)."""
    return [key for key in store.keys(folder) if "/" not in key[len(folder) + 1:]]


@dataclass(frozen=True)
class Lock:
    """An update's lock on a stack, as the engine wrote it."""

    key: str
    pid: int
    username: str
    hostname: str
    timestamp: str

    def holder(self) -> str:
        return f"{self.username}@{self.hostname} (pid {self.pid}) since {self.timestamp}"

    def dead_here(self) -> bool:
        """Taken by a process of this machine that is gone (or a zombie, or a pid since given to a process that
        started after the lock was taken): safe to remove. Only as good as the host name: containers sharing the
        host's name but not its processes look dead to each other, so recover is run where the update ran."""
        if self.hostname != os.uname().nodename:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return _zombie_or_younger(self.pid, self.timestamp)


def _zombie_or_younger(pid: int, taken: str) -> bool:
    """From /proc (Linux): is ``pid`` a zombie, or a process started after the lock was taken?"""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
    except (OSError, IndexError, StopIteration, ValueError):
        return False
    if stat[0] == "Z":
        return True
    started = boot + int(stat[19]) / os.sysconf("SC_CLK_TCK")
    try:  # Go writes RFC 3339 with nanoseconds; Python reads at most microseconds
        when = datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", taken.replace("Z", "+00:00"))).timestamp()
    except ValueError:
        return False
    return started > when + 1.0


def locks(store: StateStore, project: str, stack: str) -> list[Lock]:
    """The locks on ``stack`` (an update holds one while it runs; a killed one leaves it behind)."""
    out = []
    for key in children(store, stack_folder(store, "locks", project, stack)):
        try:
            content = json.loads(store.read(key) or b"{}")
        except ValueError:
            content = {}
        out.append(Lock(key, int(content.get("pid") or 0), str(content.get("username") or "?"),
                        str(content.get("hostname") or "?"), str(content.get("timestamp") or "?")))
    return out
