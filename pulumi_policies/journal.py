"""The provider's own record of the objects it created, for updates that skip the engine's checkpoints.

``pulumi-policies up --fast`` runs ``pulumi up`` with ``PULUMI_SKIP_CHECKPOINTS=true``: the engine then writes
the state once, at the end, instead of rewriting the whole checkpoint after every step (the cost that grows as
N x N; README "Performance"). The price is that an update that dies (kill -9, a lost machine) leaves no trace in
the state, not even pending creates, so its objects would exist only on the server. This journal is that trace:
``PULUMI_POLICIES_JOURNAL`` names a file to which the provider appends, durably (fsync), a line before each create
(kind, scope and connection, natural key, the inputs it sends: the engine's *pending create*) and a line after it
(the same, and the remote id the server gave), before it reports the create to the engine.

When a later create (the next ``up --fast`` of the same stack) finds an object of its natural key that the
journal says this stack made, it adopts that object and brings it to the declared values instead of creating a
duplicate or failing on the name: an object with the remote id the journal recorded, or, for a create that died
before its answer came back, an object holding exactly the values that create sent (the test the provider
applies after any ambiguous create). Any other object of that name is somebody else's and is never taken over.
``up --fast`` removes the journal after a successful update: the state then records everything it made.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

ENV = "PULUMI_POLICIES_JOURNAL"
_lock = threading.Lock()
_made: dict[str, set[str]] | None = None  # entry key -> remote ids, read once from the file, then appended to
_intents: dict[str, list[dict[str, Any]]] = {}  # entry key -> the inputs of creates begun (read with _made)


def path_for(backend_url: str, project: str, stack: str, home: str | None = None) -> Path:
    """Where ``up --fast`` keeps a stack's journal: under the Pulumi home (``PULUMI_HOME``, else ``~/.pulumi``),
    one file per backend, project and stack."""
    base = Path(home or os.environ.get("PULUMI_HOME") or Path.home() / ".pulumi") / "pulumi-policies" / "journal"
    backend = hashlib.sha256(backend_url.encode()).hexdigest()[:12]
    return base / f"{project}.{stack}.{backend}.jsonl"


def _key(kind: str, scope: dict[str, Any], natural: dict[str, Any]) -> str:
    return json.dumps([kind, scope, natural], sort_keys=True, default=str)


def _load(path: Path) -> dict[str, set[str]]:
    made: dict[str, set[str]] = {}
    _intents.clear()
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return made
    for line in lines:
        try:
            entry = json.loads(line)
            key = _key(entry["kind"], entry["scope"], entry["key"])
            if entry.get("id") is None:
                _intents.setdefault(key, []).append(dict(entry["inputs"]))
            else:
                made.setdefault(key, set()).add(str(entry["id"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line a kill cut short: its create was never reported to the engine either
    return made


def _append(entry: dict[str, Any]) -> None:
    global _made
    path = Path(os.environ[ENV])
    with _lock:
        if _made is None:
            _made = _load(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        key = _key(entry["kind"], entry["scope"], entry["key"])
        if entry.get("id") is None:
            _intents.setdefault(key, []).append(dict(entry["inputs"]))
        else:
            _made.setdefault(key, set()).add(str(entry["id"]))


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def made_by_us(kind: str, scope: dict[str, Any], natural: dict[str, Any]) -> tuple[set[str], list[dict[str, Any]]]:
    """What this stack's journal says it made of this kind, scope and natural key: the remote ids of creates that
    finished, and the inputs of creates begun."""
    global _made
    if not enabled():
        return set(), []
    key = _key(kind, scope, natural)
    with _lock:
        if _made is None:
            _made = _load(Path(os.environ[ENV]))
        return set(_made.get(key, ())), list(_intents.get(key, ()))


def intend(kind: str, scope: dict[str, Any], natural: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Append, durably, a create about to be sent (the engine's pending create, which the state will not keep)."""
    if enabled():
        _append({"kind": kind, "scope": scope, "key": natural, "inputs": inputs, "id": None})


def record(kind: str, scope: dict[str, Any], natural: dict[str, Any], remote_id: str) -> None:
    """Append, durably, a create that finished, before it is reported to the engine."""
    if enabled():
        _append({"kind": kind, "scope": scope, "key": natural, "id": remote_id})
