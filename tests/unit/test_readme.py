"""Every Python block of the README and the docs is code the tests run: it is preceded by a marker naming a
file and regions (``# [START name]`` … ``# [END name]``) of an example DAG or test, and must equal them.

The example DAGs run end to end in ``tests/e2e/test_example_dags.py``; the README's simulator snippet in
``tests/e2e/test_readme_simulator.py``. So a snippet that no longer runs fails the suite.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!-- snippet: (?P<path>\S+) (?P<regions>[\w ]+) -->\n```python\n(?P<code>.*?)```", re.S)
#: Files whose regions the README may show: each is run by the suite.
RUN_BY_TESTS = ("example_dags/", "tests/e2e/")


def region(path: Path, name: str) -> str:
    """The dedented lines between ``# [START name]`` and ``# [END name]``."""
    text = path.read_text()
    match = re.search(rf"^[ \t]*# \[START {name}\]\n(.*?)^[ \t]*# \[END {name}\]", text, re.S | re.M)
    assert match, f"no region {name} in {path}"
    return textwrap.dedent(match.group(1)).strip("\n") + "\n"


def expected(path: str, regions: str) -> str:
    """The README block for these regions of ``path``: each region, a blank line between them."""
    return "\n".join(region(ROOT / path, name) for name in regions.split())


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_python_block_is_a_region_of_a_file_the_tests_run(page: Path) -> None:
    text = page.read_text()
    blocks = text.count("```python")
    snippets = list(MARKER.finditer(text))

    assert blocks == len(snippets), "a ```python block without a <!-- snippet: file regions --> marker"
    for snippet in snippets:
        assert snippet["path"].startswith(RUN_BY_TESTS), snippet["path"]
        want = expected(snippet["path"], snippet["regions"])
        assert snippet["code"] == want, f"block from {snippet['path']} differs; it should read:\n{want}"


def test_the_docs_show_code() -> None:
    shown = sum(page.read_text().count("<!-- snippet: ") for page in PAGES)
    assert shown >= 7  # the checks above looked at something (one per operator page, hook, simulator, README)


#: The widest code line the docs site shows whole: a code block at a 1280-pixel-wide window, beside the
#: navigation and the table of contents, shows about 84 characters before it scrolls.
WIDEST_CODE_LINE = 84
FENCE = re.compile(r"^```(?P<lang>\w+)\n(?P<code>.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_code_block_fits_the_page(page: Path) -> None:
    """Code a reader types or copies (any block with a language) is read without scrolling sideways;
    blocks without one are a program's output, shown as printed."""
    too_wide = [
        f"{block['lang']}: {line}"
        for block in FENCE.finditer(page.read_text())
        for line in block["code"].splitlines()
        if len(line) > WIDEST_CODE_LINE
    ]
    assert too_wide == [], f"lines wider than {WIDEST_CODE_LINE} characters (wrap them, or move comments up)"
