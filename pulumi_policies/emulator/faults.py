"""Fault injection: rules that make the emulator misbehave the way real servers do.

A rule is a small JSON object (from ``--fault`` or ``PUT /_emulator/faults``)::

    {"kind": "error", "status": 503, "method": "PATCH", "path": "/api/resource-manager/policies/*",
     "rate": 0.5, "after": 2, "count": 1}

kind        ``error`` (answer ``status``, default 503), ``rate_limit`` (429 with ``Retry-After``),
            ``drop`` (close the connection without an answer), ``latency`` (sleep, then serve),
            ``respond`` (answer ``status`` with ``body`` verbatim: HTML pages, non-JSON, malformed objects),
            ``maintenance`` (a Britive tenant in maintenance: 503 with ``MAINTENANCE_BODY``, whose
            ``errorCode`` ``MAINT0001`` is what Britive's SDK looks for; ``body`` replaces it if given)
method      HTTP method(s) to match, e.g. ``PATCH`` or ``POST|PUT|PATCH``; default any
path        shell-style glob on the request path; default any (``*`` also crosses ``/``)
rate        probability of firing on a matching request (0..1, default 1)
after       let this many matching requests through first (default 0)
count       fire at most this many times (default: no limit)
status      status of an ``error`` (default 503); a ``maintenance`` is always 503
retry_after seconds in the ``Retry-After`` header of a ``rate_limit`` (default 1)
latency_ms  fixed delay of a ``latency`` rule; jitter_ms adds a uniform random 0..jitter_ms
body        the body of a ``respond`` (and, if given, of an ``error``); content_type its type
            (default application/json)
apply       for ``error``, ``respond`` and ``drop``: serve the request first (the write happens), then fail the
            answer: the ambiguous case of a real network (default false)

Rules are tried in order; the first latency rule that fires delays the request, the first failing
rule that fires decides its fate.
"""

from __future__ import annotations

import fnmatch
import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FaultKind = Literal["error", "rate_limit", "drop", "latency", "respond", "maintenance"]

# A Britive tenant in maintenance. britive 4.7.0 (PyPI) helpers/utils.py 200-201: `tenant_is_under_maintenance` is
# `status_code == 503 and response.json().get('errorCode') == 'MAINT0001'`, and britive.py 234-238 raises
# TenantUnderMaintenance(response.json().get('message')) before any retry. The fields around errorCode are the
# resource manager's error shape (britive-client-go models.go 10-15: status, message, errorCode, details); the
# message is ours.
MAINTENANCE_BODY = {"status": 503, "errorCode": "MAINT0001",
                    "message": "The tenant is under maintenance. Please try again later."}


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    rate: float = Field(1.0, ge=0.0, le=1.0)
    after: int = Field(0, ge=0)
    count: int | None = Field(None, ge=0)
    status: int = Field(503, ge=100, le=599)
    body: str | None = None
    content_type: str = "application/json"
    retry_after: float = Field(1.0, ge=0.0)
    latency_ms: float = Field(0.0, ge=0.0)
    jitter_ms: float = Field(0.0, ge=0.0)
    apply: bool = False

    @model_validator(mode="after")
    def _maintenance(self) -> FaultRule:
        if self.kind == "maintenance":
            if self.status != 503:
                raise ValueError("a maintenance fault is always a 503")
            if self.body is None:
                self.body, self.content_type = json.dumps(MAINTENANCE_BODY), "application/json"
        return self

    def matches(self, method: str, path: str) -> bool:
        if self.method and method.upper() not in self.method.upper().split("|"):
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


@dataclass
class _Armed:
    rule: FaultRule
    seen: int = 0
    fired: int = 0


@dataclass
class Decision:
    delay_s: float = 0.0
    fail: FaultRule | None = None
    labels: list[str] = field(default_factory=list)


class Faults:
    """The active rules, with their counters. Thread-safe; deterministic under a seed."""

    def __init__(self, rules: list[dict[str, Any]] | None = None, seed: int | None = None,
                 latency_ms: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._armed: list[_Armed] = []
        self.set(rules or [], latency_ms=latency_ms)

    def set(self, rules: list[dict[str, Any]], latency_ms: float = 0.0) -> list[FaultRule]:
        parsed = [FaultRule.model_validate(r) for r in rules]
        if latency_ms:
            parsed.insert(0, FaultRule(kind="latency", latency_ms=latency_ms))
        with self._lock:
            self._armed = [_Armed(r) for r in parsed]
        return parsed

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**a.rule.model_dump(exclude_defaults=True, exclude={"kind"}), "kind": a.rule.kind,
                     "seen": a.seen, "fired": a.fired} for a in self._armed]

    def decide(self, method: str, path: str) -> Decision:
        decision = Decision()
        with self._lock:
            for armed in self._armed:
                rule = armed.rule
                if not rule.matches(method, path):
                    continue
                if rule.kind == "latency" and decision.delay_s:
                    continue
                if rule.kind != "latency" and decision.fail is not None:
                    continue
                armed.seen += 1
                if armed.seen <= rule.after or (rule.count is not None and armed.fired >= rule.count):
                    continue
                if rule.rate < 1.0 and self._random.random() >= rule.rate:
                    continue
                armed.fired += 1
                if rule.kind == "latency":
                    jitter = self._random.uniform(0, rule.jitter_ms) if rule.jitter_ms else 0.0
                    decision.delay_s = (rule.latency_ms + jitter) / 1000.0
                    decision.labels.append("latency")
                else:
                    decision.fail = rule
                    decision.labels.append(rule.kind if rule.kind != "error" else f"error {rule.status}")
        return decision
