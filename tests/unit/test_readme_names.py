"""A reader can paste the README's example: every name it uses is imported or defined in the block."""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def undefined_names(code: str) -> set[str]:
    """Names the code reads that it neither imports nor assigns (builtins aside)."""
    tree = ast.parse(code)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
    used = {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return used - bound


def test_readme_blocks_define_every_name_they_use() -> None:
    blocks = BLOCK.findall((ROOT / "README.md").read_text())
    assert blocks
    for code in blocks:
        assert not undefined_names(code), code


def test_the_pool_the_example_uses_is_created_where_it_is_used() -> None:
    readme = (ROOT / "README.md").read_text()
    for pool in re.findall(r'pool="(\w+)"', readme):
        assert f"airflow pools set {pool} " in readme
