"""pilab/ has no import circle: its imports, deferred ones and import_module() included, form a
DAG; and only the lab registry (pilab/labs/__init__.py) imports labs by a computed name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pilab"
REGISTRY = PACKAGE / "labs" / "__init__.py"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _named_by(arg: ast.expr) -> re.Pattern[str] | None:
    """What an import_module() argument can name: a literal, or an f-string whose every
    placeholder stands for one dotted part (``pilab.labs.{x}.checks``: each lab's checks).
    None when it is neither, or names nothing in pilab."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        pattern = re.escape(arg.value)
    elif isinstance(arg, ast.JoinedStr):
        pattern = "".join(re.escape(part.value) if isinstance(part, ast.Constant) else "[^.]+"
                          for part in arg.values)
    else:
        return None
    return re.compile(pattern) if pattern.startswith("pilab") else None


def _import_module_calls(node: ast.AST) -> list[ast.Call]:
    """Calls of import_module(...) or importlib.import_module(...) with an argument."""
    return [item for item in ast.walk(node) if isinstance(item, ast.Call) and item.args
            and isinstance(func := item.func, ast.Name | ast.Attribute)
            and (func.id if isinstance(func, ast.Name) else func.attr) == "import_module"]


def _imports(path: Path, known: set[str]) -> set[str]:
    """pilab modules imported anywhere in *path* (deferred imports too), but for type hints."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for item in ast.walk(node):
            if isinstance(item, ast.ImportFrom) and item.module and item.level == 0:
                # "from pkg import submodule" imports the submodule; "from pkg import name"
                # runs pkg's __init__.
                for alias in item.names:
                    sub = f"{item.module}.{alias.name}"
                    found |= {sub} if sub in known else {item.module} & known
            elif isinstance(item, ast.Import):
                found |= {alias.name for alias in item.names if alias.name in known}
        for call in _import_module_calls(node):
            named = _named_by(call.args[0])
            if named is not None:
                found |= {name for name in known if named.fullmatch(name)}
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    return {name: _imports(path, known) - {name} for name, path in paths.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_pilab_has_no_import_circle() -> None:
    assert _cycle(_graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_import_module_is_an_edge(tmp_path: Path) -> None:
    """A literal and an f-string naming pilab modules are edges; an f-string placeholder
    stands for every module it can fill in; a name in a variable is not seen."""
    source = tmp_path / "registry.py"
    source.write_text(
        "import importlib\n"
        "from importlib import import_module\n"
        "def find(lab, name):\n"
        "    import_module(f'pilab.labs.{lab}.checks')\n"
        "    importlib.import_module('pilab.check.suite')\n"
        "    import_module(name)\n")
    known = {"pilab.labs.intrpt.checks", "pilab.labs.vkbd.checks", "pilab.labs.vkbd.lab",
             "pilab.check.suite", "pilab.check.guest", "pilab.labs.a.b.checks"}
    assert _imports(source, known) == {"pilab.labs.intrpt.checks", "pilab.labs.vkbd.checks",
                                       "pilab.check.suite"}
    graph = {"pilab.labs": _imports(source, known) | {"pilab.errors"},
             "pilab.labs.vkbd.checks": {"pilab.check.suite"},
             "pilab.check.suite": {"pilab.labs"}}
    assert _cycle(graph) == ["pilab.check.suite", "pilab.labs", "pilab.check.suite"]


def test_only_the_registry_imports_a_lab_by_a_computed_name() -> None:
    """check/, boards/ and the labs get a lab from pilab.labs.entry(), never by a string."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for call in _import_module_calls(ast.parse(path.read_text())):
            named = _named_by(call.args[0])
            if path != REGISTRY and named is not None and "[^.]+" in named.pattern \
                    and named.pattern.startswith(re.escape("pilab.labs.")):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{call.lineno}")
    assert offenders == []
