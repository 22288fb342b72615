"""The emulator's storage: one SQLite database, one table of JSON documents.

Every stored object is a row ``(kind, scope, id, key, body)``:

- ``kind``  ``configuration_policy`` | ``profile`` | ``profile_policy`` | ``resource_policy``
- ``scope`` the profile id of a profile policy, ``""`` otherwise
- ``key``   the natural key that must be unique within (kind, scope): ``policyid/organization`` for
            configuration policies, the name for the others
- ``seq``   a monotonic insertion counter: the creation order, and the tie-breaker of every sort

One connection serialised by a lock, and every read-modify-write in one ``BEGIN IMMEDIATE``
transaction: concurrent requests never interleave inside an update, so none is lost. With a data
directory the database is a file (WAL journal) and survives restarts; without one it lives in memory.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KINDS = ("configuration_policy", "profile", "profile_policy", "resource_policy")
DB_FILE = "emulator.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind  TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    id    TEXT NOT NULL,
    key   TEXT NOT NULL,
    body  TEXT NOT NULL,
    UNIQUE (kind, scope, id),
    UNIQUE (kind, scope, key)
);
"""


class Conflict(Exception):
    """The natural key is taken within its scope."""


class Store:
    def __init__(self, data_dir: str | Path | None = None) -> None:
        if data_dir is None:
            target = ":memory:"
        else:
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            target = str(Path(data_dir) / DB_FILE)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if data_dir is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Everything inside runs alone and commits together (or not at all). Nests: the outermost commits."""
        with self._lock:
            if self._db.in_transaction:
                yield self
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- reads ---------------------------------------------------------------------------------
    def get(self, kind: str, scope: str, object_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM objects WHERE kind=? AND scope=? AND id=?",
                                   (kind, scope, object_id)).fetchone()
        return json.loads(row[0]) if row else None

    def get_by_key(self, kind: str, scope: str, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM objects WHERE kind=? AND scope=? AND key=?",
                                   (kind, scope, key)).fetchone()
        return json.loads(row[0]) if row else None

    def count(self, kind: str, scope: str = "") -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM objects WHERE kind=? AND scope=?",
                                        (kind, scope)).fetchone()[0])

    def list(self, kind: str, scope: str = "", *, key: str | None = None, sort: str | None = None,
             reverse: bool = False, limit: int = -1, offset: int = 0) -> list[dict[str, Any]]:
        """Objects in creation order, or ordered by the JSON field ``sort`` (creation order breaks ties)."""
        direction = "DESC" if reverse else "ASC"
        where = "kind=? AND scope=?"
        args: builtins.list[str | int] = [kind, scope]
        if key is not None:
            where += " AND key=?"
            args.append(key)
        if sort:
            order = f"json_extract(body, ?) {direction}, seq {direction}"
            args.append(f'$."{sort}"')
        else:
            order = f"seq {direction}"
        args += [limit, offset]
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM objects WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                                    args).fetchall()
        return [json.loads(r[0]) for r in rows]

    def all(self, kind: str) -> builtins.list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT scope, body FROM objects WHERE kind=? ORDER BY seq", (kind,)).fetchall()
        return [json.loads(r[1]) for r in rows]

    # -- writes (call inside transaction() when a read decides the write) ----------------------
    def insert(self, kind: str, scope: str, object_id: str, key: str, body: dict[str, Any]) -> None:
        with self._lock:
            try:
                self._db.execute("INSERT INTO objects (kind, scope, id, key, body) VALUES (?, ?, ?, ?, ?)",
                                 (kind, scope, object_id, key, json.dumps(body)))
            except sqlite3.IntegrityError as exc:
                raise Conflict(str(exc)) from None

    def replace(self, kind: str, scope: str, object_id: str, key: str, body: dict[str, Any]) -> None:
        with self._lock:
            try:
                self._db.execute("UPDATE objects SET key=?, body=? WHERE kind=? AND scope=? AND id=?",
                                 (key, json.dumps(body), kind, scope, object_id))
            except sqlite3.IntegrityError as exc:
                raise Conflict(str(exc)) from None

    def delete(self, kind: str, scope: str, object_id: str) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM objects WHERE kind=? AND scope=? AND id=?", (kind, scope, object_id))
        return cur.rowcount > 0

    def delete_scope(self, kind: str, scope: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM objects WHERE kind=? AND scope=?", (kind, scope))

    def reset(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM objects")
