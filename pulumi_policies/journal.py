"""The provider's own record of the objects it created, for updates that skip the engine's checkpoints.

``pulumi-policies up --fast`` runs ``pulumi up`` with ``PULUMI_SKIP_CHECKPOINTS=true``: the engine then writes
the state once, at the end, instead of rewriting the whole checkpoint after every step (the cost that grows as
N x N; docs/performance.md). The price is that an update that dies (kill -9, a lost machine) leaves no trace in
the state, not even pending creates, so its objects would exist only on the server. This journal is that trace:
``PULUMI_POLICIES_JOURNAL`` names a file to which the provider appends, durably (fsync), a line before each create
(kind, scope and connection, natural key, the inputs it sends: the engine's *pending create*) and a line after it
(the same, and the remote id the server gave), before it reports the create to the engine.

Each line carries its update's id (``PULUMI_POLICIES_JOURNAL_RUN``); only earlier updates' lines count, and a
create whose answer came back retires the line that began it. When a later create (the next ``up --fast`` of the
same stack) finds an object of its natural key that an earlier update made, it adopts that object and brings it to
the declared values instead of creating a duplicate or failing on the name: an object with the remote id the
journal recorded, or, for a create that died before its answer came back, an object holding exactly the values that
create sent (the test the provider applies after any ambiguous create). Any other object of that name is somebody
else's and is never taken over.
``up --fast`` removes the journal once an update ends by itself, failed or not (the engine writes its final state
then, every create included); it stays only after an update that died, its lock left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

ENV = "PULUMI_POLICIES_JOURNAL"
RUN_ENV = "PULUMI_POLICIES_JOURNAL_RUN"  # this update's id: its own lines never count as an earlier run's
_lock = threading.Lock()
_earlier: dict[str, tuple[dict[str, set[str]], dict[str, list[dict[str, Any]]]]] = {}  # path -> (ids, intents)


def path_for(backend_url: str, project: str, stack: str, home: str | None = None) -> Path:
    """Where ``up --fast`` keeps a stack's journal: under the Pulumi home (``PULUMI_HOME``, else ``~/.pulumi``),
    one file per backend, project and stack."""
    base = Path(home or os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi") / "pulumi-policies" / "journal"
    backend = hashlib.sha256(backend_url.encode()).hexdigest()[:12]
    return base / f"{project}.{stack}.{backend}.jsonl"


def _key(kind: str, scope: dict[str, Any], natural: dict[str, Any]) -> str:
    return json.dumps([kind, scope, natural], sort_keys=True, default=str)


_PROCESS_RUN = uuid.uuid4().hex  # without RUN_ENV, this provider process is the update


def _run() -> str:
    return os.environ.get(RUN_ENV) or _PROCESS_RUN


def _load(path: Path) -> tuple[dict[str, set[str]], dict[str, list[dict[str, Any]]]]:
    """What earlier runs made: the ids of their finished creates, and the inputs of creates they began and never
    finished (a create whose answer came back retires its intent)."""
    made: dict[str, set[str]] = {}
    begun: dict[tuple[str, str], list[dict[str, Any]]] = {}
    finished: set[tuple[str, str]] = set()
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        try:
            entry = json.loads(line)
            run, key = str(entry["run"]), _key(entry["kind"], entry["scope"], entry["key"])
        except (ValueError, KeyError, TypeError):
            continue  # a line a kill cut short: its create was never reported to the engine either
        if run == _run():
            continue
        if entry.get("id") is None:
            begun.setdefault((run, key), []).append(dict(entry.get("inputs") or {}))
        else:
            made.setdefault(key, set()).add(str(entry["id"]))
            finished.add((run, key))
    intents: dict[str, list[dict[str, Any]]] = {}
    for (run, key), inputs in begun.items():
        if (run, key) not in finished:
            intents.setdefault(key, []).extend(inputs)
    return made, intents


def _append(entry: dict[str, Any]) -> None:
    path = Path(os.environ[ENV])
    line = json.dumps({**entry, "run": _run()}, sort_keys=True, default=str)
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        # the create inputs, in clear as in an unencrypted state: for this user's eyes only
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def made_by_us(kind: str, scope: dict[str, Any], natural: dict[str, Any]) -> tuple[set[str], list[dict[str, Any]]]:
    """What earlier runs of this stack made of this kind, scope and natural key, by this journal: the remote ids
    of creates that finished, and the inputs of creates begun and never answered. This run's own creates never
    count (two resources of one name in one program stay a conflict)."""
    if not enabled():
        return set(), []
    path = os.environ[ENV]
    key = _key(kind, scope, natural)
    with _lock:
        if path not in _earlier:
            _earlier[path] = _load(Path(path))
        made, intents = _earlier[path]
        return set(made.get(key, ())), list(intents.get(key, ()))


def intend(kind: str, scope: dict[str, Any], natural: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Append, durably, a create about to be sent (the engine's pending create, which the state will not keep)."""
    if enabled():
        _append({"kind": kind, "scope": scope, "key": natural, "inputs": inputs, "id": None})


def record(kind: str, scope: dict[str, Any], natural: dict[str, Any], remote_id: str) -> None:
    """Append, durably, a create that finished, before it is reported to the engine."""
    if enabled():
        _append({"kind": kind, "scope": scope, "key": natural, "id": remote_id})
