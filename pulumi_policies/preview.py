"""The one reader of what the Pulumi engine writes for a review: ``pulumi preview --json`` and ``pulumi stack export``.

Both are checked before anything is read (``InputRejected``, said in one line: which input, what is wrong, what to
pass instead): a preview where the preview goes, a state where the state goes, neither empty nor truncated nor
failed, both of the same project and stack. Then each resource is read once: its URN parsed (``engine_state``),
its inputs and outputs without the engine's own keys, a secret resolved where the document holds its plaintext
(``pulumi stack export --show-secrets``) and otherwise the one placeholder ``SECRET``. The report (``report.py``),
the access model (``access/``) and, through ``declared.py``, the policy pack read resources from here.

Shapes (pulumi ``pkg/display/json.go`` ``PreviewDigest``; ``apitype.UntypedDeployment``): a preview is
``{"config", "steps": [{"op", "urn", "oldState", "newState", "diffReasons", "replaceReasons"}], "diagnostics",
"changeSummary", "duration"}``; a state is ``{"version", "deployment": {"manifest", "resources": [...]}}``; a
secret in a state is ``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext"}``
(``"plaintext"``: the value as JSON, with ``--show-secrets``), and in a preview the string ``"[secret]"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .engine_state import Urn, parse_urn, user_props
from .errors import PulumiPoliciesError

SECRET = "[secret]"  # a value the document does not show (how `pulumi preview --json` writes a secret)
SECRET_SIG_KEY, SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
STACK_TYPE = "pulumi:pulumi:Stack"
PREVIEW_HOWTO = "pass the output of `pulumi preview --json --stack STACK` (or use --run)"
STATE_HOWTO = "pass --state with the output of `pulumi stack export --show-secrets --stack STACK` (or use --run)"


class InputRejected(PulumiPoliciesError):
    """A preview or state that cannot be reviewed: which one, what is wrong with it, and what to pass instead."""


@dataclass(frozen=True)
class Record:
    """A resource as a state or a step records it: inputs and outputs without the engine's keys, secrets read."""

    urn: str
    type: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    init_errors: bool = False
    source_position: str = ""  # where the program declared it (``project:///__main__.py#12``), as the engine records

    @property
    def parts(self) -> Urn:
        return parse_urn(self.urn)

    @property
    def name(self) -> str:
        return self.parts.name


@dataclass(frozen=True)
class Step:
    op: str                 # create | update | replace | create-replacement | delete-replaced | delete | same ...
    urn: str
    type: str               # the resource's own type token
    old: Record | None
    new: Record | None
    diff_reasons: tuple[str, ...] = ()
    replace_reasons: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return parse_urn(self.urn).name


@dataclass
class Preview:
    steps: list[Step]
    project: str = ""
    stack: str = ""
    errors: list[str] = field(default_factory=list)  # the preview's error diagnostics


@dataclass
class State:
    resources: dict[str, Record]  # by URN, pending deletes left out
    project: str = ""
    stack: str = ""
    secrets_hidden: bool = False  # some secret is only ciphertext (exported without --show-secrets)


def _reveal(value: Any, hidden: list[bool]) -> Any:
    """A state's value with each secret replaced by its plaintext (or ``SECRET`` where only the ciphertext is)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            if isinstance(value.get("plaintext"), str):
                try:
                    return _reveal(json.loads(value["plaintext"]), hidden)
                except json.JSONDecodeError:
                    return value["plaintext"]
            hidden.append(True)
            return SECRET
        return {k: _reveal(v, hidden) for k, v in value.items()}
    if isinstance(value, list):
        return [_reveal(v, hidden) for v in value]
    return value


def _record(raw: Any, urn: str, hidden: list[bool]) -> Record | None:
    if not isinstance(raw, Mapping):
        return None
    inputs, outputs = raw.get("inputs"), raw.get("outputs")
    return Record(str(raw.get("urn") or urn), str(raw.get("type") or parse_urn(str(raw.get("urn") or urn)).type),
                  _reveal(user_props(inputs if isinstance(inputs, dict) else {}), hidden),
                  _reveal(user_props(outputs if isinstance(outputs, dict) else {}), hidden),
                  bool(raw.get("initErrors")), str(raw.get("sourcePosition") or ""))


def parse(text: str, what: str, source: str) -> Any:
    """The JSON of a preview or a state, or the one line saying why it cannot be one."""
    howto = PREVIEW_HOWTO if what == "preview" else STATE_HOWTO
    if not text.strip():
        raise InputRejected(f"the {what} ({source}) is empty: {howto}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (truncated?)" if exc.pos >= len(text.rstrip()) - 1 else ""
        raise InputRejected(f"the {what} ({source}) is not complete JSON{cut}: {exc.msg} at line {exc.lineno}; "
                            f"{howto}") from None


def _is_state(doc: Mapping[str, Any]) -> bool:
    return "deployment" in doc or "checkpoint" in doc


def read_preview(doc: Any, source: str = "the preview", check: bool = True) -> Preview:
    """The steps of a ``pulumi preview --json``; with `check`, one that is not a whole preview of a stack is refused."""
    if not isinstance(doc, Mapping):
        raise InputRejected(f"{source} is not a preview (a JSON {type(doc).__name__}): {PREVIEW_HOWTO}")
    if check and _is_state(doc):
        raise InputRejected(f"{source} is a stack's state (`pulumi stack export`), not a preview: pass it with --state "
                            "and the preview (`pulumi preview --json`) as the argument")
    errors = [str(d.get("message", "")).strip() for d in doc.get("diagnostics") or []
              if isinstance(d, Mapping) and d.get("severity") == "error"]
    if check and errors:
        raise InputRejected(f"{source}: the preview failed, so it does not show every change: " + "; ".join(errors)
                            + "; fix the program or the stack and preview again")
    raw_steps = doc.get("steps")
    if check and (not isinstance(raw_steps, list) or not raw_steps):
        raise InputRejected(f"{source} has no steps, so it is not the preview of a stack (every preview has the "
                            f"stack's own step): {PREVIEW_HOWTO}")
    hidden: list[bool] = []
    steps = []
    for s in raw_steps if isinstance(raw_steps, list) else []:
        if not isinstance(s, Mapping):
            continue
        urn = str(s.get("urn", ""))
        steps.append(Step(str(s.get("op", "")), urn, parse_urn(urn).type, _record(s.get("oldState"), urn, hidden),
                          _record(s.get("newState"), urn, hidden), tuple(s.get("diffReasons") or ()),
                          tuple(s.get("replaceReasons") or ())))
    names = {(parse_urn(s.urn).project, parse_urn(s.urn).stack) for s in steps} - {("", "")}
    if check and len(names) > 1:
        raise InputRejected(f"{source} mixes stacks {sorted(names)}: {PREVIEW_HOWTO}")
    if check and not any(s.type == STACK_TYPE for s in steps):
        raise InputRejected(f"{source} has no step for the stack resource ({STACK_TYPE}), so it is not a whole "
                            f"preview: {PREVIEW_HOWTO}")
    project, stack = next(iter(names)) if len(names) == 1 else ("", "")
    return Preview(steps, project, stack, errors)


def read_state(doc: Any, source: str = "the state", check: bool = True) -> State:
    """The resources of a ``pulumi stack export``; with `check`, one that is not a stack's state is refused."""
    if not isinstance(doc, Mapping):
        raise InputRejected(f"{source} is not a stack's state (a JSON {type(doc).__name__}): {STATE_HOWTO}")
    if check and "steps" in doc and not _is_state(doc):
        raise InputRejected(f"{source} is a preview (`pulumi preview --json`), not a stack's state: pass it as the "
                            "argument and the state (`pulumi stack export`) with --state")
    deployment = doc.get("deployment", doc if not check else None)
    if check and (not isinstance(deployment, Mapping) or "version" not in doc):
        raise InputRejected(f"{source} is not a stack's state (no version and deployment): {STATE_HOWTO}")
    assert isinstance(deployment, Mapping)
    hidden: list[bool] = []
    resources: dict[str, Record] = {}
    for r in deployment.get("resources") or []:
        if isinstance(r, Mapping) and not r.get("delete"):
            record = _record(r, str(r.get("urn", "")), hidden)
            if record is not None:
                resources[record.urn] = record
    names = {(parse_urn(u).project, parse_urn(u).stack) for u in resources} - {("", "")}
    if check and len(names) > 1:
        raise InputRejected(f"{source} mixes stacks {sorted(names)}: {STATE_HOWTO}")
    project, stack = next(iter(names)) if len(names) == 1 else ("", "")
    return State(resources, project, stack, bool(hidden))


def check_pair(preview: Preview, state: State | None, stack: str | None = None) -> None:
    """Refuse a preview and a state of different stacks, or either of another stack than `stack` (when named)."""
    if stack:
        wanted = stack.rsplit("/", 1)[-1]  # org/project/stack or org/stack: the URN holds the stack's own name
        for what, doc, howto in (("preview", preview, PREVIEW_HOWTO), ("state", state, STATE_HOWTO)):
            if doc is not None and doc.stack and doc.stack != wanted:
                raise InputRejected(f"the {what} is of stack {doc.stack!r}, not {wanted!r}: {howto}")
    if state is None or not state.stack or not preview.stack:
        return
    if (state.project, state.stack) != (preview.project, preview.stack):
        raise InputRejected(f"the state is of {state.project}/{state.stack}, the preview of {preview.project}/"
                            f"{preview.stack}: {STATE_HOWTO} of the stack previewed")
