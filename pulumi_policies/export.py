"""`pulumi-policies export`: write a Pulumi program that adopts every existing policy with ``import_id``.

Terraformer-style code generation for estates made by hand (Pulumi's own ``pulumi import`` cannot do
it for dynamic resources, pulumi/pulumi#16175). Every page is read; profile policies of every
profile. Values are written as a person would: snake_case arguments, server-computed fields and
server defaults left out, stable ordering (kind, then name), readable and unique resource names.
"""

from __future__ import annotations

import fnmatch
import json
import keyword
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from . import settings
from .client import ConfigurationPolicies, PolicyCollection, Profiles, checked_record
from .client.errors import APIStatusError
from .models import ConfigurationPolicyRecord, PolicyRecord, python_names
from .models.canonical import canonical
from .providers.specs import SPECS

KINDS = ("ConfigurationPolicy", "ProfilePolicy", "ResourcePolicy")
PAGE = 100
# Server defaults of the optional, server-defaulted fields: written only when an object differs.
DEFAULTS: dict[str, Any] = {"is_active": True, "is_draft": False, "is_read_only": False, "access_type": "Allow",
                            "processid": 1, "is_deleted": False}
# NCCM run state: the server's business, never written.
RUN_STATE = ("lastupdatetime", "activated_by", "activation_time", "activation_remarks", "lastaction",
             "nextaction", "progress", "starttime", "endtime", "created_by", "modified_by")


@dataclass
class Found:
    kind: str
    remote_id: str
    args: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.args.get("name") or self.args.get("policyid") or self.remote_id)


def _args(kind: str, record: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
    spec = SPECS[kind]
    args = canonical(spec.args_model, {**python_names(spec.record_model, record), **scope})
    for key in RUN_STATE:
        args.pop(key, None)
    for key, default in DEFAULTS.items():
        if args.get(key) == default:
            args.pop(key)
    return args


def collect(kinds: Iterable[str] = KINDS, *, profile: str | None = None, name: str | None = None,
            progress: Callable[[int], None] = lambda n: None) -> list[Found]:
    """Every policy of the chosen kinds on the configured endpoints (all pages, all profiles)."""
    found: list[Found] = []

    def keep(item: Found) -> None:
        if name is None or fnmatch.fnmatchcase(item.title, name):
            found.append(item)
            progress(len(found))

    kinds = set(kinds)
    if "ConfigurationPolicy" in kinds:
        for items in ConfigurationPolicies(settings.nccm_client()).pages(PAGE, sort="creationtime"):
            for item in items:
                record = checked_record(ConfigurationPolicyRecord, item, "a configuration policy in the listing")
                keep(Found("ConfigurationPolicy", record["id"], _args("ConfigurationPolicy", record, {})))
    if kinds & {"ProfilePolicy", "ResourcePolicy"}:
        client = settings.resource_manager_client()
        if "ProfilePolicy" in kinds:
            for prof in _profiles(client, profile):
                if profile is not None and profile not in (prof.get("id"), prof.get("name")):
                    continue
                for item in PolicyCollection(client, prof["id"]).list():
                    record = checked_record(PolicyRecord, item, f"a policy in the listing of profile {prof['id']!r}")
                    keep(Found("ProfilePolicy", record["id"],
                               _args("ProfilePolicy", record, {"profile_id": prof["id"]})))
        if "ResourcePolicy" in kinds:
            for item in PolicyCollection(client).list():
                record = checked_record(PolicyRecord, item, "a resource policy in the listing")
                keep(Found("ResourcePolicy", record["id"], _args("ResourcePolicy", record, {})))
    return sorted(found, key=lambda f: (f.kind, f.title, f.remote_id))


def _profiles(client: Any, profile: str | None) -> list[dict[str, Any]]:
    """The profiles to export from. Listing them (``GET /api/resource-manager/profiles``) is not in the policy
    API's document: where a server does not offer it, a profile named with --profile is taken as its id."""
    try:
        return Profiles(client).list()
    except APIStatusError as exc:
        if exc.status not in (404, 405):
            raise
        if profile is None:
            raise APIStatusError(
                f"{exc} This server does not list its profiles; name the profile to export with "
                "--profile <profile id> (once per run).", method=exc.method, url=exc.url, status=exc.status,
                body=exc.body, server_message=exc.server_message) from None
        return [{"id": profile}]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "policy"


def _identifier(text: str) -> str:
    ident = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "policy"
    if ident[0].isdigit() or keyword.iskeyword(ident):
        ident = f"p_{ident}"
    return ident


def literal(value: Any, indent: int = 0) -> str:
    """A Python literal as a person would write it: double quotes, one item per line when long."""
    pad = " " * indent
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return repr(value)
    flat = json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = [f"{json.dumps(str(k), ensure_ascii=False)}: {literal(v, indent + 4)}" for k, v in value.items()]
        inline = "{" + ", ".join(items) + "}"
        if len(flat) <= 80 and "\n" not in inline:
            return inline
        return "{\n" + "".join(f"{pad}    {i},\n" for i in items) + pad + "}"
    if isinstance(value, list):
        items = [literal(v, indent + 4) for v in value]
        inline = "[" + ", ".join(items) + "]"
        if len(flat) <= 80 and "\n" not in inline:
            return inline
        return "[\n" + "".join(f"{pad}    {i},\n" for i in items) + pad + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a literal")


def render(found: list[Found], *, source: str = "") -> str:
    """The program: one declaration per policy, each adopting its object with import_id."""
    used_names: set[str] = set()
    used_idents: set[str] = set()
    kinds = sorted({f.kind for f in found})
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [f'"""Policies adopted by `pulumi-policies export` on {stamp}{f" from {source}" if source else ""}.',
             "",
             "Run `pulumi up` once to bring them under management (no change is made on the server);",
             "from then on, edit them here like any other resource.",
             '"""', "", f"from pulumi_policies import {', '.join(kinds) if kinds else 'ResourcePolicy'}", ""]
    for item in found:
        base = _slug(item.title) if item.kind != "ProfilePolicy" else _slug(f"{item.args['profile_id']}-{item.title}")
        name, n = base, 2
        while name in used_names:
            name, n = f"{base}-{n}", n + 1
        used_names.add(name)
        ident, n = _identifier(name), 2
        base_ident = ident
        while ident in used_idents:
            ident, n = f"{base_ident}_{n}", n + 1
        used_idents.add(ident)
        lines.append(f"{ident} = {item.kind}(")
        lines.append(f"    {json.dumps(name)},")
        lines.append(f"    import_id={json.dumps(item.remote_id)},")
        for key, value in item.args.items():
            lines.append(f"    {key}={literal(value, 4)},")
        lines.append(")")
        lines.append("")
    return "\n".join(lines)


def export(out: TextIO, kinds: Iterable[str] = KINDS, *, profile: str | None = None, name: str | None = None,
           show_progress: bool = True) -> int:
    """Write the program to `out`; returns how many policies it declares."""
    def progress(n: int) -> None:
        if show_progress and n % 25 == 0:
            print(f"\rexporting: {n} policies", end="", file=sys.stderr, flush=True)

    found = collect(kinds, profile=profile, name=name, progress=progress)
    if show_progress:
        print(f"\rexported {len(found)} policies", file=sys.stderr, flush=True)
    current = settings.current()
    source = " and ".join(dict.fromkeys(u for u in (current.get("nccmUrl"), current.get("resourceManagerUrl")) if u))
    out.write(render(found, source=source))
    return len(found)
