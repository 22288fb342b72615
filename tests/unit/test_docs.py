"""The README and docs/ say what the code does: links resolve, every page is reachable from the README, every
setting is documented and every documented setting exists, every CLI command is named, the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

from pulumi_policies import connections
from pulumi_policies.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but '-' and '_' dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z]+:", target)]


def test_every_relative_link_resolves():
    broken = []
    for page in [README, *PAGES]:
        for target in links(page):
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists() or (anchor and resolved.suffix == ".md" and anchor not in anchors(resolved)):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_every_page_is_reachable_from_the_readme():
    seen, todo = {README.resolve()}, [README]
    while todo:
        page = todo.pop()
        for target in links(page):
            path = (page.parent / target.partition("#")[0]).resolve()
            if path.suffix == ".md" and path.exists() and path not in seen:
                seen.add(path)
                todo.append(path)
    assert [p.name for p in PAGES if p.resolve() not in seen] == []


def test_the_settings_table_is_the_code_and_every_documented_setting_exists():
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    assert connections.settings_table() in configuration  # regenerate: connections.settings_table()
    keys = {s.key for s in connections.SETTINGS} | {"connections"}
    envs = {s.env for s in connections.SETTINGS}
    unknown = []
    for page in [README, *PAGES]:
        text = page.read_text()
        unknown += [f"{page.name}: pulumi-policies:{k}" for k in re.findall(r"pulumi-policies:([A-Za-z]+)", text)
                    if k not in keys]
        unknown += [f"{page.name}: {e}" for e in re.findall(r"PULUMI_POLICIES_[A-Z_]+", text)
                    if e.startswith(("PULUMI_POLICIES_NCCM", "PULUMI_POLICIES_RM", "PULUMI_POLICIES_MAX",
                                     "PULUMI_POLICIES_RETRY", "PULUMI_POLICIES_REQUEST", "PULUMI_POLICIES_CA",
                                     "PULUMI_POLICIES_INSECURE")) and e not in envs]
    assert unknown == []


def test_the_readme_names_every_command_and_stays_a_landing_page():
    text = README.read_text()
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert [c for c in commands if f"pulumi-policies {c}" not in text] == []
    assert len(text.splitlines()) <= 210
    assert "shared/api" not in text
