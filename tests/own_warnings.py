"""Pytest plugin: a DeprecationWarning raised from ``airflow_provider_salesloft`` fails the test.

pytest's ``filterwarnings`` matches the module a warning is *attributed* to, which is the one the warning's
``stacklevel`` points at. Airflow raises some of its deprecations with ``stacklevel=1`` (for instance
``Variable.get from airflow.models is deprecated``), which attributes them to Airflow itself although our
code made the call. So ``warnings.warn`` is wrapped for the session: a deprecation whose attributed frame or
that frame's caller runs in our package is recorded (wherever it was raised: a task, a trigger's thread,
a hook), and the test that raised it fails at teardown. Recording rather than raising keeps an
``except Exception`` on the way from hiding it.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

OUR_PACKAGE = "airflow_provider_salesloft"

_seen: list[str] = []
_lock = threading.Lock()


def _category(message: Any, category: type[Warning] | None) -> type[Warning]:
    if isinstance(message, Warning):
        return type(message)
    return category or UserWarning


def _frame_module(depth: int) -> str:
    try:
        frame = sys._getframe(depth)
    except ValueError:  # fewer frames than the stacklevel asks for
        return ""
    return str(frame.f_globals.get("__name__", ""))


def from_our_package(stacklevel: int, extra_depth: int) -> str | None:
    """The module of ours the warning comes from, or None: the frame ``stacklevel`` names, or its caller.

    ``extra_depth`` is the number of frames between the caller of ``warnings.warn`` and this function.
    """
    for depth in (stacklevel, stacklevel + 1):
        module = _frame_module(depth + extra_depth)
        if module == OUR_PACKAGE or module.startswith(OUR_PACKAGE + "."):
            return module
    return None


_original_warn = warnings.warn


def _checked_warn(
    message: Any, category: type[Warning] | None = None, stacklevel: int = 1, *args: Any, **kwargs: Any
) -> None:
    if issubclass(_category(message, category), DeprecationWarning):
        # frames: this function (0) -> from_our_package (+1), _frame_module (+2) -> the caller of warn (1)
        module = from_our_package(max(int(stacklevel), 1), 2)
        if module is not None:
            with _lock:
                _seen.append(f"{_category(message, category).__name__} from {module}: {message}")
    _original_warn(message, category, stacklevel + 1, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_deprecation_from_our_package() -> Iterator[None]:
    """Fail the test if it made our package raise a DeprecationWarning."""
    with _lock:
        _seen.clear()
    yield
    with _lock:
        found = list(dict.fromkeys(_seen))
        _seen.clear()
    if found:
        pytest.fail("DeprecationWarning raised from our package:\n" + "\n".join(found), pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    """Wrap ``warnings.warn`` for the whole session."""
    warnings.warn = _checked_warn  # type: ignore[assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    """Put ``warnings.warn`` back."""
    warnings.warn = _original_warn
