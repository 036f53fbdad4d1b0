"""tests/own_warnings.py: a test whose code made our package raise a DeprecationWarning fails."""

from __future__ import annotations

import warnings
from typing import Any

import own_warnings


def _function_in(module: str, source: str, **names: Any) -> Any:
    namespace: dict[str, Any] = {"__name__": module, **names}
    exec(source, namespace)
    return namespace["call"]


def _deprecated_library_call() -> None:
    """What Airflow does: warn with stacklevel=1, which names the library, not its caller."""
    warnings.warn("old path", DeprecationWarning, stacklevel=1)


def test_a_deprecation_our_code_calls_is_recorded_even_when_attributed_to_the_library() -> None:
    ours = _function_in(
        "airflow_provider_salesloft.hooks.fake",
        "def call():\n    library()\n",
        library=(_deprecated_library_call),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours()
    found = list(own_warnings._seen)
    own_warnings._seen.clear()  # this test's warning is wanted: do not fail it at teardown
    assert found == ["DeprecationWarning from airflow_provider_salesloft.hooks.fake: old path"]


def test_a_deprecation_others_raise_is_not_ours() -> None:
    theirs = _function_in(
        "some_library.module", "def call():\n    library()\n", library=(_deprecated_library_call)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs()
    assert own_warnings._seen == []
