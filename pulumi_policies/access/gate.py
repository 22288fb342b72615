"""A gate: the steps between a principal and a reach, and the order of strictness between gates (``at_least``)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..models.canonical import python_keys
from ..models.condition import Condition
from ..preview import SECRET
from ..registry import UNKNOWN


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN and value != SECRET


def _get(data: Any, name: str) -> Any:
    """`name` of a mapping (Python names: ``declared`` converts a policy's inputs, ``_condition`` a condition given as
    a JSON string)."""
    return data.get(name) if isinstance(data, Mapping) else None



# -- gates --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gate:
    """The steps between a principal and a reach, each JSON: approval, ip, time, justification, itsm, im,
    denied_when."""

    steps: tuple[tuple[str, str], ...] = ()  # (step, its value as sorted JSON), sorted

    @classmethod
    def of(cls, steps: Mapping[str, Any]) -> Gate:
        return cls(tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in steps.items())))

    def get(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.steps}

    def with_denial(self, when: dict[str, Any]) -> Gate:
        steps = self.get()
        steps["denied_when"] = sorted([*steps.get("denied_when", []), when], key=lambda d: json.dumps(d, sort_keys=True))
        return Gate.of(steps)

    @property
    def approved(self) -> bool:
        """Does someone approve, or a request need a justification or an ITSM ticket, before access?"""
        return any(k in dict(self.steps) for k in ("approval", "justification", "itsm"))

    def text(self) -> str:
        steps = self.get()
        if not steps:
            return "no approval or condition"
        return "; ".join(_STEP_TEXT[k](v) for k, v in sorted(steps.items(), key=lambda kv: _STEP_ORDER.index(kv[0])))


def _approval_text(v: dict[str, Any]) -> str:
    who = ", ".join(v["approvers"]) or "no named approvers"
    manager = f", manager approval ({v['manager']})" if v.get("manager") else ""
    holds = f", valid for {v['valid_for_minutes']} min" if v.get("valid_for_minutes") else ""
    return f"approval by {who}{manager}{holds}"


def _time_text(v: dict[str, Any]) -> str:
    out = []
    if v.get("date"):
        d = v["date"]
        out.append(f"between {d.get('from')} and {d.get('to')} {d.get('timezone')}")
    if v.get("days"):
        d = v["days"]
        out.append(f"on {'/'.join(d.get('days') or [])} {d.get('from')}-{d.get('to')} {d.get('timezone')}")
    return "only " + " and ".join(out)


_STEP_ORDER = ("approval", "justification", "itsm", "im", "ip", "time", "denied_when")
_STEP_TEXT: dict[str, Callable[[Any], str]] = {
    "approval": _approval_text,
    "justification": lambda v: "justification" + (f" matching {v['regex']}" if v.get("regex") else ""),
    "itsm": lambda v: f"ITSM ticket ({v.get('connection') or 'connection not set'}, "
                      + (", ".join(json.loads(c)["ticket_type"] or "?" for c in v["criteria"]) if v.get("criteria")
                         else "any ticket") + ")",
    "im": lambda v: "IM" + (" (auto-approval on)" if v.get("auto_approval") else ""),
    "ip": lambda v: "only from " + ", ".join(v),
    "time": _time_text,
    "denied_when": lambda v: f"denied by {', '.join(f'`{d}`' for d in sorted({x['via'] for x in v}))} when: "
                             + "; ".join(d["when"] for d in v),
}


def _condition(props: Mapping[str, Any]) -> Any:
    """The condition under Python names; None when there is none, UNKNOWN when it is not known yet."""
    value = props.get("condition")
    if value in (UNKNOWN, SECRET):
        return UNKNOWN
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else None
        except json.JSONDecodeError:
            return None
    return python_keys(Condition, value) if isinstance(value, dict) else None


def _minutes(approval: Mapping[str, Any]) -> int | None:
    valid = _get(approval, "valid_for")
    if not isinstance(valid, int) or isinstance(valid, bool):
        return None
    return valid * 1440 if _get(approval, "is_valid_for_in_days") is True else valid


def _networks(text: str) -> list[str]:
    out = []
    for item in text.split(","):
        try:
            out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            out.append(item.strip())
    return sorted(set(out))


def _seen(value: Any) -> bool:
    """Is every part of `value` visible: nothing in it known only after apply, nothing a secret the document hides?"""
    if isinstance(value, Mapping):
        return all(_seen(v) for v in value.values())
    if isinstance(value, list):
        return all(_seen(v) for v in value)
    return bool(value != UNKNOWN and value != SECRET)


CONDITION_KEYS = ("approval", "ip_address", "time_of_access")  # what the model reads of a condition
SETTINGS_TYPES = ("JUSTIFICATION", "ITSM", "IM")


def gate_steps(props: Mapping[str, Any], unseen: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The gate of a policy: its condition's and its settings' steps (see ``Gate``). A step the preview or state does
    not show whole (unknown until apply, a secret), or a condition key or settings type not modelled, is no step:
    each is added to `unseen` as (field, how it was read)."""
    notes: list[tuple[str, str]] = unseen if unseen is not None else []
    steps: dict[str, Any] = {}
    condition = _condition(props) or {}
    if condition in (UNKNOWN, SECRET):
        notes.append(("condition", "no condition step"))
        condition = {}
    for key in condition:
        if key not in CONDITION_KEYS and _get(condition, key) is not None:
            notes.append((f"condition.{key}", "a condition key not modelled: no step"))
    approval = _get(condition, "approval") or {}
    if not _seen(approval):
        notes.append(("condition.approval", "no approval step"))
        approval = {}
    approvers_of = _get(approval, "approvers") or {}
    approvers = [f"{kind} {value}" for kind, key in (("tag", "tags"), ("user", "user_ids"), ("channel", "channel_ids"),
                                                     ("slack channel", "slack_app_channels"))
                 for value in (_get(approvers_of, key) or []) if isinstance(value, str)]
    approvers += [f"teams {_get(t, 'team')}/{c}" for t in (_get(approvers_of, "teams_app_channels") or [])
                  if isinstance(t, Mapping) for c in (_get(t, "channels") or [""])]
    manager = _get(approval, "manager_approval") or {}
    required = isinstance(manager, Mapping) and _get(manager, "required") is True
    if approvers or required:
        steps["approval"] = {"approvers": sorted(set(approvers)),
                             "manager": (_get(manager, "condition") or "Any") if required else None,
                             "valid_for_minutes": _minutes(approval)}
    ip = _get(condition, "ip_address")
    if not _seen(ip):
        notes.append(("condition.ip_address", "no IP step"))
    elif isinstance(ip, str) and ip.strip():
        steps["ip"] = _networks(ip)
    window = _get(condition, "time_of_access") or {}
    if not _seen(window):
        notes.append(("condition.time_of_access", "no time-window step"))
        window = {}
    date, days = _get(window, "date_schedule"), _get(window, "days_schedule")
    time: dict[str, Any] = {}
    if isinstance(date, Mapping):
        time["date"] = {"from": _get(date, "from_date"), "to": _get(date, "to_date"), "timezone": _get(date, "timezone")}
    if isinstance(days, Mapping):
        time["days"] = {"from": _get(days, "from_time"), "to": _get(days, "to_time"),
                        "timezone": _get(days, "timezone"),
                        "days": sorted(str(d).upper() for d in (_get(days, "days") or []))}
    if time:
        steps["time"] = time
    settings = props.get("settings")
    if settings is not None and not isinstance(settings, list):
        notes.append(("settings", "no settings step"))
    for setting in settings if isinstance(settings, list) else ():
        kind = _get(setting, "settings_type")
        if not isinstance(setting, Mapping) or kind not in SETTINGS_TYPES:
            notes.append((f"settings.{kind if isinstance(kind, str) and _seen(kind) else '?'}",
                          "a settings type not modelled or not shown: no step"))
            continue
        if kind == "JUSTIFICATION" and _get(setting, "is_justification_required") is not False:
            regex = _get(setting, "justification_regex")
            if not _seen(_get(setting, "is_justification_required")):
                notes.append(("settings.JUSTIFICATION", "not required"))
                continue
            if not _seen(regex):
                notes.append(("settings.JUSTIFICATION.justification_regex", "any justification"))
                regex = None
            steps["justification"] = {"regex": regex or None}
        elif kind == "ITSM" and _get(setting, "is_itsm_enabled") is not False:
            if not _seen(setting):
                notes.append(("settings.ITSM", "no ITSM step"))
                continue
            criteria = _get(setting, "itsm_filter_criteria") or []
            steps["itsm"] = {"connection": _get(setting, "connection_id"),
                             "connection_type": _get(setting, "connection_type"),
                             "comment": _get(setting, "is_comment_required") is True,
                             "criteria": sorted({json.dumps(_criterion(c), sort_keys=True)
                                                 for c in criteria})}
        elif kind == "IM":
            auto = _get(setting, "is_auto_approval_enabled")
            if not _seen(auto):
                notes.append(("settings.IM.is_auto_approval_enabled", "auto-approval on"))
            steps["im"] = {"auto_approval": auto is True or not _seen(auto)}
    return steps


def _criterion(c: Any) -> Any:
    """An ITSM filter criterion under one spelling (the program may use the wire's camelCase)."""
    if not isinstance(c, Mapping):
        return c
    return {"ticket_type": _get(c, "supported_ticket_type"), "filter": _get(c, "filter") or {}}


def _within(inner: list[str], outer: list[str]) -> bool:
    """Is every network of `inner` inside one of `outer`?"""
    try:
        nets = [ipaddress.ip_network(o) for o in outer]
        return all(any(n.version == o.version and n.subnet_of(o) for o in nets)  # type: ignore[arg-type]
                   for n in (ipaddress.ip_network(i) for i in inner))
    except ValueError:
        return set(inner) <= set(outer)


_MANAGER_STRICTNESS = {"All": 2, "Any": 1, "Manager": 1}  # All: every manager approves; Any/Manager: one does


def _approval_at_least(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Fewer or the same approvers, manager approval kept (or made All), valid no longer. Time to approve is not
    strength (a request waits longer, it is not harder to grant)."""
    if not set(a["approvers"]) <= set(b["approvers"]):  # more people who can approve: weaker
        return False
    if b.get("manager") and (not a.get("manager") or a["manager"] != b["manager"] and
                             _MANAGER_STRICTNESS.get(a["manager"], 0) <= _MANAGER_STRICTNESS.get(b["manager"], 0)):
        return False
    if b.get("valid_for_minutes") is not None and (a.get("valid_for_minutes") is None
                                                   or a["valid_for_minutes"] > b["valid_for_minutes"]):
        return False
    return True


def _justification_at_least(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """A regex is only shown at least as strict when it is the same one (any other might accept more), or when the
    old step had none (any justification)."""
    return not b.get("regex") or a.get("regex") == b["regex"]


def _itsm_at_least(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same connection, a comment still required if it was, and tickets that qualify only if they did: no
    filter criteria accept every ticket; otherwise a's criteria (each a ticket type and its filter) among b's."""
    if (a.get("connection"), a.get("connection_type")) != (b.get("connection"), b.get("connection_type")):
        return False
    if b.get("comment") and not a.get("comment"):
        return False
    return not b.get("criteria") or (bool(a.get("criteria")) and set(a["criteria"]) <= set(b["criteria"]))


# Is step value a at least as strict as b? (Each is only called with the step on both sides.) Whatever is not shown
# here to be at least as strict is weaker.
_STEP_AT_LEAST: dict[str, Callable[[Any, Any], bool]] = {
    "approval": _approval_at_least,
    "justification": _justification_at_least,
    "itsm": _itsm_at_least,
    "im": lambda a, b: b["auto_approval"] or not a["auto_approval"],
    "ip": _within,
    "time": lambda a, b: a == b,  # a window that moves is not known to be narrower: not at least as strict
    "denied_when": lambda a, b: all(d in a for d in b),
}


def at_least(a: Gate, b: Gate) -> bool:
    """Is gate `a` at least as strong as gate `b`: every step of `b` kept, each at least as strict?"""
    if a == b:
        return True
    mine, theirs = a.get(), b.get()
    return all(step in mine and _STEP_AT_LEAST[step](mine[step], value) for step, value in theirs.items())

