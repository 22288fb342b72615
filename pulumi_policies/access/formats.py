"""Every format of ``pulumi-policies access``: Markdown (a pull-request comment carrying a hidden marker per stack, so
that the next run replaces it), text, JSON, SARIF 2.1.0 (code scanning) and JUnit XML; each with the gate's verdict
(``verdict.py``): which changes fail, which an exception accepts, which exceptions went unused."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .compare import CHANGES, Change
from .model import Unseen
from .render import render_json, render_markdown
from .verdict import UNMANAGED, Judged, Verdict

FORMATS = ("markdown", "json", "text", "sarif", "junit")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SOURCE = re.compile(r"^project://(?P<path>[^#]*)(?:#(?P<line>\d+))?")


@dataclass
class Subject:
    """What was reviewed: the stack, and where its program declares each policy."""

    project: str = ""
    stack: str = ""
    drift: bool = False
    project_dir: str = "."
    positions: dict[str, str] = field(default_factory=dict)  # Pulumi resource name -> the engine's sourcePosition

    @property
    def marker(self) -> str:
        """The hidden line a pull-request comment is found by (one per stack), as tfcmt marks its comments."""
        return f"<!-- pulumi-policies-access: {self.project or '?'}/{self.stack or '?'} -->"

    def location(self, via: Sequence[str]) -> tuple[str, int, str]:
        """(file relative to the working directory, line, policy) of the first policy of `via` whose declaration the
        engine recorded; else the project file, line 1."""
        for name in via:
            raw = self.positions.get(name.split("[", 1)[0]) or self.positions.get(name)
            found = _SOURCE.match(raw or "")
            if found and found["line"]:
                path = Path(self.project_dir) / found["path"].lstrip("/")
                return _relative(path), int(found["line"]), name
        return _relative(Path(self.project_dir) / "Pulumi.yaml"), 1, via[0] if via else ""


def _relative(path: Path) -> str:
    return Path(os.path.relpath(os.path.normpath(path.absolute()), Path.cwd())).as_posix()


def positions(*records: Mapping[str, Any]) -> dict[str, str]:
    """Resource name -> sourcePosition, later mappings winning (the preview's over the state's)."""
    out: dict[str, str] = {}
    for mapping in records:
        out.update({k: v for k, v in mapping.items() if v})
    return out


# -- Markdown and text ------------------------------------------------------------------------------------
def _line(c: Change) -> str:
    return f"{c.principal.text()} {_VERB[c.change]} {c.reach.text()} (via {', '.join(f'`{v}`' for v in c.via)})"


_VERB = {"gains": "gains", "weaker-approval": "has a weaker approval for", "loses": "loses",
         "stronger-approval": "has a stronger approval for", UNMANAGED: "holds unmanaged access to"}


def _entry_text(e: Any) -> str:
    return f"{e.label()}: \"{e.reason}\", owner `{e.owner}`, until {e.expires.isoformat()}"


def gate_lines(verdict: Verdict) -> list[str]:
    lines: list[str] = []
    if verdict.fail_on:
        scope = "; " + ", ".join(f"`--only {s.text()}`" for s in verdict.only) if verdict.only else ""
        failing = [j for j in verdict.judged if j.fails]
        said = (f"**fails**: {len(failing)} change{'s' if len(failing) != 1 else ''}" if failing else "passes")
        lines += ["", f"**Gate** ({', '.join(f'`--fail-on {k}`' for k in verdict.fail_on)}{scope}): {said}."]
        for j in failing:
            expired = "".join(f"; {e.label()} expired on {e.expires.isoformat()}" for e in j.expired)
            lines.append(f"- **fails** {_line(j.change)}{expired}")
    accepted = [j for j in verdict.judged if j.accepted is not None]
    if accepted:
        lines += ["", "**Accepted** (an exception that has not expired):"]
        lines += [f"- {_line(j.change)}: {_entry_text(j.accepted)}" for j in accepted]
    if verdict.unused:
        lines += ["", "**Unused exceptions** (they matched no change):"]
        lines += [f"- {_entry_text(e)}" for e in verdict.unused]
    return lines


def render_markdown_report(changes: list[Change], unseen: Sequence[Unseen], verdict: Verdict, subject: Subject,
                           title: str | None = None) -> str:
    regular = [c for c in changes if c.change in CHANGES]
    unmanaged = [c for c in changes if c.change == UNMANAGED]
    title = title or ("### Access drift (outside the code)" if subject.drift else "### Access changes")
    text = render_markdown(regular, title=title, unseen=unseen).rstrip("\n")
    lines = [text]
    if subject.drift:
        lines += ["", "**Unmanaged access**: " + (f"{len({c.via[0] for c in unmanaged})} polic"
                                                  f"{'ies' if len({c.via[0] for c in unmanaged}) != 1 else 'y'} on "
                                                  "the tenant that no resource of this stack manages."
                                                  if unmanaged else "none found in the stack's scope.")]
        lines += [f"- {c.principal.text()}: {c.reach.text()}: {' | '.join(g.text() for g in c.after)} "
                  f"(policy {', '.join(f'`{v}`' for v in c.via)})" for c in unmanaged]
    lines += gate_lines(verdict)
    lines += ["", subject.marker]
    return "\n".join(lines) + "\n"


def render_text_report(changes: list[Change], unseen: Sequence[Unseen], verdict: Verdict, subject: Subject) -> str:
    text = render_markdown_report(changes, unseen, verdict, subject,
                                  title="Access drift (outside the code):" if subject.drift else "Access changes:")
    text = text.replace(subject.marker + "\n", "").rstrip("\n") + "\n"
    return text.replace("**", "").replace("`", "")


# -- JSON -------------------------------------------------------------------------------------------------
def _judged_json(j: Judged) -> dict[str, Any]:
    out: dict[str, Any] = {"gate": j.status}
    if j.accepted is not None:
        out["accepted_by"] = j.accepted.to_json()
    if j.expired:
        out["expired"] = [e.to_json() for e in j.expired]
    return out


def render_json_report(changes: list[Change], unseen: Sequence[Unseen], verdict: Verdict, subject: Subject) -> str:
    regular = [c for c in changes if c.change in CHANGES]
    doc = json.loads(render_json(regular, unseen))
    for item, c in zip(doc["changes"], regular, strict=True):
        item.update(_judged_json(verdict.of(c)))
    unmanaged = [{**c.to_json(), **_judged_json(verdict.of(c))} for c in changes if c.change == UNMANAGED]
    if subject.drift:
        doc["drift"] = True
        doc["unmanaged"] = unmanaged
        doc["new_access"] = doc["new_access"] or bool(unmanaged)
    doc["gate"] = {"fail_on": list(verdict.fail_on), "only": [s.text() for s in verdict.only],
                   "fails": verdict.failed, "unused_exceptions": [e.to_json() for e in verdict.unused]}
    return json.dumps(doc, indent=2) + "\n"


# -- SARIF 2.1.0 ----------------------------------------------------------------------------------------------
RULES: dict[str, tuple[str, str, str]] = {  # kind -> (name, short description, help)
    "gains": ("AccessGained", "A principal gains a reach it did not have",
              "A principal can now reach a profile or resources it could not reach before (a new member, a widened "
              "selector, a higher access level, a Deny removed, a policy switched on). Check that the grant is "
              "intended; if it is, merge, or record an exception with a reason, an owner and an expiry "
              "(--exceptions)."),
    "weaker-approval": ("ApprovalWeakened", "A principal keeps a reach behind a weaker approval",
                        "A reach the principal held is now behind a gate that is not at least as strong: an approval "
                        "step removed or loosened, a justification or ITSM ticket no longer required, an IP or time "
                        "window widened. Check that the weaker gate is intended."),
    "loses": ("AccessLost", "A principal loses a reach",
              "A principal can no longer reach a profile or resources it could reach before. Removing access does "
              "not fail the gate; check that nobody who needs it loses it."),
    "stronger-approval": ("ApprovalStrengthened", "A principal keeps a reach behind a stronger approval",
                          "A reach the principal keeps is now behind a stronger gate. This does not fail the gate."),
    UNMANAGED: ("UnmanagedAccess", "A policy on the tenant that no stack manages gives access",
                "A policy in the stack's scope (a profile it manages policies in, or its connection's resource "
                "policies) exists on the tenant but is declared by no resource of the stack: access made outside "
                "the code. Adopt it (pulumi-policies export, import_id) or delete it."),
}


def fingerprint(c: Change, subject: Subject) -> str:
    """The same change of the same stack, the same fingerprint on every run (not the line: moving the declaration
    does not reopen a code-scanning alert); the approval it ends with counts (an alert dismissed for a gain behind
    an approval is not the alert for the same gain with none)."""
    key = {"stack": f"{subject.project}/{subject.stack}", "principal": c.principal.to_json(), "change": c.change,
           "reach": c.reach.to_json(), "via": sorted(c.via), "gate": sorted(g.text() for g in c.after)}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _message(c: Change) -> str:
    gates = " | ".join(g.text() for g in (c.before if c.change == "loses" else c.after)) or "no access"
    return f"{_line(c).replace('`', '')}: {gates}"


def render_sarif(changes: list[Change], unseen: Sequence[Unseen], verdict: Verdict, subject: Subject,
                 version: str = "") -> str:
    rule_ids = [*CHANGES, UNMANAGED]
    rules = [{"id": kind, "name": RULES[kind][0], "shortDescription": {"text": RULES[kind][1]},
              "fullDescription": {"text": RULES[kind][2]}, "help": {"text": f"{RULES[kind][2]} (docs/access-review.md)"},
              "defaultConfiguration": {"level": "error" if kind in ("gains", "weaker-approval",
                                                                                    UNMANAGED) else "note"},
              "properties": {"tags": ["security", "access"]}} for kind in rule_ids]
    results = []
    for c in changes:
        j = verdict.of(c)
        path, line, policy = subject.location(c.via)
        level = "error" if j.fails else "warning" if c.change in ("gains", "weaker-approval", UNMANAGED) else "note"
        result: dict[str, Any] = {
            "ruleId": c.change, "ruleIndex": rule_ids.index(c.change), "level": level,
            "message": {"text": _message(c)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                                                "region": {"startLine": line}},
                           "logicalLocations": [{"name": policy, "kind": "resource"}]}],
            "partialFingerprints": {"accessChange/v1": fingerprint(c, subject)},
            "properties": {"principal": c.principal.to_json(), "reach": c.reach.to_json(), "via": c.via,
                           "gate": j.status}}
        if j.accepted is not None:
            e = j.accepted
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": f"{e.label()}: {e.reason} (owner {e.owner}, until "
                                                        f"{e.expires.isoformat()})"}]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "pulumi-policies access", "rules": rules,
                            **({"version": version} if version else {})}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().absolute().as_uri() + "/"}},
        "automationDetails": {"id": f"pulumi-policies-access/{subject.project}/{subject.stack}/"
                                    f"{'drift' if subject.drift else 'preview'}"},
        "results": results,
        "properties": {"unseen": [u.to_json() for u in unseen],
                       "unusedExceptions": [e.to_json() for e in verdict.unused]}}
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


# -- JUnit XML ------------------------------------------------------------------------------------------------
def render_junit(changes: list[Change], unseen: Sequence[Unseen], verdict: Verdict, subject: Subject) -> str:
    """One test case per change, failed where the gate fails."""
    name = f"pulumi-policies access {'--drift ' if subject.drift else ''}{subject.project}/{subject.stack}"
    failures = sum(verdict.of(c).fails for c in changes)
    suites = ElementTree.Element("testsuites", name=name, tests=str(len(changes)), failures=str(failures))
    suite = ElementTree.SubElement(suites, "testsuite", name=name, tests=str(len(changes)), failures=str(failures),
                                   errors="0", skipped="0")
    for c in changes:
        j = verdict.of(c)
        path, line, _ = subject.location(c.via)
        case = ElementTree.SubElement(suite, "testcase", classname=f"access.{c.change}",
                                      name=_line(c).replace("`", ""), file=path, line=str(line))
        if j.fails:
            why = "".join(f"; {e.label()} expired on {e.expires.isoformat()}" for e in j.expired)
            failure = ElementTree.SubElement(case, "failure", type=c.change,
                                             message=f"{c.change} fails --fail-on {', '.join(verdict.fail_on)}{why}")
            failure.text = _message(c)
        elif j.accepted is not None:
            out = ElementTree.SubElement(case, "system-out")
            out.text = f"accepted: {_entry_text(j.accepted).replace('`', '')}"
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def render(fmt: str, changes: list[Change], unseen: Sequence[Unseen], verdict: Verdict, subject: Subject,
           version: str = "") -> str:
    if fmt == "markdown":
        return render_markdown_report(changes, unseen, verdict, subject)
    if fmt == "text":
        return render_text_report(changes, unseen, verdict, subject)
    if fmt == "json":
        return render_json_report(changes, unseen, verdict, subject)
    if fmt == "sarif":
        return render_sarif(changes, unseen, verdict, subject, version)
    if fmt == "junit":
        return render_junit(changes, unseen, verdict, subject)
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
