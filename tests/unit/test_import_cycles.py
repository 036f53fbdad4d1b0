"""No import cycles between the provider's production modules: every import counts, at the top, inside a
function or only for type checkers, since each one says that one module needs the other.

The simulator (``testing``) is left out: its route and server modules name the façade for type hints.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import airflow_provider_salesloft

PACKAGE = Path(airflow_provider_salesloft.__file__).parent
NAME = "airflow_provider_salesloft"
TESTING = f"{NAME}.testing"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The provider's modules ``path`` imports (``from package import module`` names the module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in modules}


#: Loads this file in a fresh interpreter and prints its graph.
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("import_cycles_probe", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({name: sorted(edges) for name, edges in module.parsed_graph().items()}))
"""


def graph() -> dict[str, set[str]]:
    """:func:`parsed_graph`, parsed in a fresh interpreter: in a process that has caught a RecursionError
    before (a hostile answer's deeply nested JSON), CPython 3.11.7's ``ast.parse`` may fail with
    "AST constructor recursion depth mismatch"."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, __file__], capture_output=True, text=True, check=True
    )
    return {name: set(edges) for name, edges in json.loads(result.stdout).items()}


def parsed_graph() -> dict[str, set[str]]:
    """Module -> the provider's modules it imports."""
    paths = {
        module_name(path): path for path in PACKAGE.rglob("*.py") if not module_name(path).startswith(TESTING)
    }
    packages = {name for name, path in paths.items() if path.name == "__init__.py"}
    return {  # a package's __init__ runs before its modules: it is not an edge of its own
        name: imports_of(path, set(paths)) - packages - {name} for name, path in paths.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_graph_sees_the_imports() -> None:
    edges = graph()
    assert f"{NAME}.hooks.retry" in edges[f"{NAME}.hooks.settings"]
    assert f"{NAME}.hooks.extras" in edges[f"{NAME}.hooks.retry"]


def test_a_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_module_imports_a_module_that_imports_it() -> None:
    assert cycles(graph()) == []
