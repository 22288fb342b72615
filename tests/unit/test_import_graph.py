"""The package has no import circle: a module never needs, however indirectly, a module that needs it.

The rule, as this test reads the source (``ast``, nothing imported):
- every ``import`` and ``from ... import`` inside ``pulumi_policies`` counts, at the top of a module and inside a
  function alike (a function-level import only postpones a circle, it does not remove one);
- ``from a import b`` is an edge to the module ``a.b`` when that is a module of the package, else to ``a``;
- an import under ``if TYPE_CHECKING:`` does not count: it is never executed (mypy reads it, and copes);
- a package's ``__init__`` is not an implicit dependency of its submodules: importing ``a.b`` runs ``a/__init__``
  first, but ``__init__`` re-exporting its own submodules is how a package shows its public names (httpx's
  ``__init__`` does so). A submodule that reads a name back from its package's ``__init__`` (``from . import X``,
  X not a module) names the package, and that edge closes the circle this test reports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pulumi_policies

ROOT = Path(pulumi_policies.__file__).parent
PACKAGE = "pulumi_policies"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every import statement, those under ``if TYPE_CHECKING:`` left out."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def graph() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                           for alias in node.names]
            for target in targets:
                while target and target not in modules and target.startswith(PACKAGE + "."):
                    target = target.rsplit(".", 1)[0]  # `import a.b.c` of a name: its module
                if target in modules and target != name:
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_circle():
    edges = graph()
    found = cycles(edges)
    described = ["; ".join(f"{m} -> {', '.join(sorted(edges[m] & set(c)))}" for m in c) for c in found]
    assert not found, "import circles:\n" + "\n".join(described)


def test_the_graph_sees_what_it_must():
    edges = graph()
    assert "pulumi_policies.models.annotations" in edges["pulumi_policies.models._base"]
    assert edges["pulumi_policies.models.annotations"] == set()  # the leaf
    assert "pulumi_policies.providers.policy" in edges["pulumi_policies.providers"]  # an __init__ re-export
    # a function-level import counts
    assert "pulumi_policies.commands" in edges["pulumi_policies.cli"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
