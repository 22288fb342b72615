"""What one running emulator holds: storage, credentials, behaviour switches, faults, request log."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .faults import Faults
from .store import Store

NccmAuth = Literal["bare", "apikey", "either"]
NccmList = Literal["array", "envelope"]
PastLastPage = Literal["empty", "404"]
Unset = Literal["empty", "null"]
UniqueError = Literal["text", "drf"]
RmList = Literal["array", "paged"]
ConditionAs = Literal["object", "string"]
ConditionIn = Literal["object", "any"]
MembersIn = Literal["object", "object-or-list"]
MemberKinds = Literal["documented", "britive"]
EmptyKinds = Literal["as-sent", "list"]
ConditionStore = Literal["verbatim", "britive"]
SettingTypes = Literal["documented", "britive", "any"]


@dataclass
class Behaviour:
    """How the server behaves where real deployments differ from, or say more than, the documents.

    Each switch is one behaviour; a server profile (profiles.py) is a coherent set of them, with the
    evidence for each. The defaults are the ``documented`` profile: the documents, literally.
    """

    profile: str = "documented"
    nccm_auth: NccmAuth = "bare"                # Authorization: <key> | ApiKey <key> | either
    nccm_list: NccmList = "array"               # bare array | DRF envelope {count, next, previous, results}
    nccm_past_last_page: PastLastPage = "empty"  # a page after the last: [] | 404 {"detail": "Invalid page."}
    nccm_unset: Unset = "empty"                 # unset fields read back as "", [], {} | null
    nccm_unique_error: UniqueError = "text"     # policyid+organization taken: our sentence | DRF's non_field_errors
    rm_list: RmList = "array"                   # bare array | {count, page, size, data}, page/size parameters
    condition_as: ConditionAs = "object"        # condition in answers: an object | a JSON string
    condition_in: ConditionIn = "object"        # condition in requests: an object (or null) | object, string or null
    members_in: MembersIn = "object"            # members in requests: an object | an object or [] (none)
    member_kinds: MemberKinds = "documented"    # tags, users, serviceIdentities (+ tokens, aiIdentities)
    empty_kinds: EmptyKinds = "as-sent"         # member kinds read back as sent | every kind, [] when empty
    fill_member_ids: bool = False               # a member given by name only is read back with an id
    get_by_name: bool = False                   # GET/PATCH/DELETE .../policies/{name} besides {id}
    rm_name_max: int | None = 255               # longest policy name taken (None: no limit)
    condition_store: ConditionStore = "verbatim"  # condition kept as sent | validated, read back as Britive does
    setting_types: SettingTypes = "documented"  # ITSM, JUSTIFICATION (+ IM) (+ any other type, kept verbatim)
    prioritization: bool = False                # PATCH profiles/{id} and POST .../policies/order; policies' order

    def switches(self) -> dict[str, Any]:
        return dict(self.__dict__)


REQUEST_LOG_ENTRIES = 10_000  # the newest entries kept in full; counts are kept for all


@dataclass
class Credentials:
    nccm_api_key: str = field(default_factory=lambda: "nccm-" + secrets.token_urlsafe(18))
    rm_token: str = field(default_factory=lambda: "rm-" + secrets.token_urlsafe(18))
    admin_token: str = field(default_factory=lambda: "admin-" + secrets.token_urlsafe(18))


class RequestLog:
    """Every API request (admin calls excluded): counts per ``METHOD route`` and the newest entries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._entries: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_ENTRIES)

    def record(self, method: str, route: str, path: str, status: int, elapsed_ms: float, fault: str | None) -> None:
        entry = {"time": time.time(), "method": method, "route": route, "path": path, "status": status,
                 "ms": round(elapsed_ms, 3)}
        if fault:
            entry["fault"] = fault
        with self._lock:
            self._counts[f"{method} {route}"] += 1
            self._entries.append(entry)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"counts": dict(self._counts), "total": sum(self._counts.values()), "entries": list(self._entries)}

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._entries.clear()


def load_seed(path: str | Path | None) -> dict[str, Any]:
    """A seed file: ``{"profiles": [{"id": "...", "name": "...", "description": "..."}]}``."""
    if not path:
        return {}
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or not isinstance(data.get("profiles", []), list):
        raise ValueError(f"{path}: a seed file is an object with a 'profiles' list")
    return data


class EmulatorState:
    def __init__(self, *, data_dir: str | Path | None = None, seed: dict[str, Any] | None = None,
                 credentials: Credentials | None = None, behaviour: Behaviour | None = None,
                 faults: Faults | None = None) -> None:
        self.store = Store(data_dir)
        self.seed = seed or {}
        self.credentials = credentials or Credentials()
        self.behaviour = behaviour or Behaviour()
        self.faults = faults or Faults()
        self.log = RequestLog()
        self.connections: Any = None  # set by the server: uvicorn's live connections, to drop one
        self.apply_seed()

    def apply_seed(self) -> None:
        """Create the seed's profiles that do not exist yet (ids as given): idempotent across restarts."""
        with self.store.transaction() as store:
            for profile in self.seed.get("profiles", []):
                pid, name = str(profile["id"]), str(profile["name"])
                if store.get("profile", "", pid) is None and store.get_by_key("profile", "", name) is None:
                    store.insert("profile", "", pid, name,
                                 {"id": pid, "name": name, "description": str(profile.get("description", ""))})

    def reset(self) -> None:
        self.store.reset()
        self.apply_seed()
        self.log.clear()
        self.faults.set([])

    def dump(self) -> dict[str, Any]:
        profile_policies = []
        for profile in self.store.all("profile"):
            for policy in self.store.list("profile_policy", profile["id"]):
                profile_policies.append({**policy, "profileId": profile["id"]})
        return {
            "configuration_policies": self.store.all("configuration_policy"),
            "profiles": self.store.all("profile"),
            "profile_policies": profile_policies,
            "resource_policies": self.store.all("resource_policy"),
        }
