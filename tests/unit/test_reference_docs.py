"""The generated reference is complete: every argument of every public operator is documented in its
docstring (the single source of docs/reference/), and "(templated)" marks exactly the template fields."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from airflow_provider_salesloft import operators
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.triggers.bulk_job import SalesloftBulkJobTrigger

DOCS = Path(__file__).parents[2] / "docs"
PARAM = re.compile(r"^\s*:param (?:[\w\[\]|, ]+ )?(\w+):(.*?)(?=^\s*:\w|\Z)", re.M | re.S)
PUBLIC_OPERATORS = [getattr(operators, name) for name in operators.__all__]


def documented(cls: type) -> dict[str, str]:
    """``name -> description`` of each ``:param:`` in the docstrings of the class and its Salesloft bases."""
    return {
        name: " ".join(text.split())
        for base in reversed(cls.__mro__)
        if base.__module__.startswith("airflow_provider_salesloft")
        for name, text in PARAM.findall(inspect.cleandoc(base.__doc__ or ""))
    }


def arguments(cls: type) -> set[str]:
    """The keyword arguments of the operator and of its Salesloft bases."""
    return {
        name
        for base in cls.__mro__
        if base.__module__.startswith("airflow_provider_salesloft")
        for name, parameter in inspect.signature(base.__init__).parameters.items()  # type: ignore[misc]
        if name != "self" and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    }


@pytest.mark.parametrize("operator", PUBLIC_OPERATORS, ids=lambda cls: cls.__name__)
def test_every_argument_is_documented(operator: type) -> None:
    assert set(documented(operator)) == arguments(operator)


@pytest.mark.parametrize("operator", PUBLIC_OPERATORS, ids=lambda cls: cls.__name__)
def test_templated_marks_exactly_the_template_fields(operator: type) -> None:
    marked = {name for name, text in documented(operator).items() if re.search(r"[(;] ?templated\b", text)}
    assert marked == set(operator.template_fields)  # type: ignore[attr-defined]


@pytest.mark.parametrize("operator", PUBLIC_OPERATORS, ids=lambda cls: cls.__name__)
def test_docstring_says_what_it_pushes_and_the_reference_shows_it(operator: type) -> None:
    assert "XCom" in (operator.__doc__ or "")
    assert (
        f"::: {operator.__module__}.{operator.__name__}" in (DOCS / "reference" / "operators.md").read_text()
    )


def test_hook_and_trigger_public_methods_have_docstrings() -> None:
    for cls in (SalesloftHook, SalesloftBulkJobTrigger):
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_") and member.__module__.startswith("airflow_provider_salesloft"):
                assert inspect.getdoc(member), f"{cls.__name__}.{name} has no docstring"
