"""Reading and writing Airflow Variables from anywhere the hook runs.

Two channels, chosen by where the code runs (never both, so no path Airflow deprecates is taken):

- inside an Airflow 3 task or trigger (the Task SDK has a channel to its supervisor): the Task SDK's
  ``Variable``, whose answer stands, "absent" included;
- anywhere else (Airflow 2; a server process, a test or a benchmark on Airflow 3): the metadata database
  through ``airflow.models.Variable``, which Airflow deprecates only where the Task SDK channel exists.
"""

from __future__ import annotations

import sys
from typing import Any


def in_task_sdk_runtime() -> bool:
    """True inside an Airflow 3 task or triggerer, where the Task SDK talks to a supervisor.

    Airflow sets ``SUPERVISOR_COMMS`` on the task runner module in the task process and in the triggerer's
    trigger runner; Airflow 2 has no such module.
    """
    runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
    return getattr(runner, "SUPERVISOR_COMMS", None) is not None


def _variable_class() -> Any:
    """The ``Variable`` to use here: the Task SDK's inside a task or trigger, else the database model."""
    if in_task_sdk_runtime():
        from airflow.sdk import Variable

        return Variable
    from airflow.models.variable import Variable as DatabaseVariable

    return DatabaseVariable


def read_variable(key: str) -> str | None:
    """The Variable's value, or None when it is absent (or empty)."""
    value = _variable_class().get(key, None)
    return str(value) if value else None


def write_variable(key: str, value: str) -> None:
    """Create or replace the Variable."""
    _variable_class().set(key, value)


def delete_variable(key: str) -> None:
    """Delete the Variable (no error when it is absent)."""
    _variable_class().delete(key)
