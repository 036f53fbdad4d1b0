"""Reading and writing Airflow Variables from anywhere the hook runs: inside a task (through the Task SDK
on Airflow 3) and outside one (a server process, a test, a benchmark: through the metadata database)."""

from __future__ import annotations


def read_variable(key: str) -> str | None:
    """The Variable's value through the Task SDK, or (outside a task on Airflow 3) the metadata database;
    None when it is absent."""
    from airflow.providers.common.compat.sdk import Variable

    value = Variable.get(key, None)
    if value:
        return str(value)
    try:
        from airflow.models.variable import Variable as CoreVariable

        core_value = CoreVariable.get(key, None)
    except Exception:  # a worker without database access: the SDK's answer stands
        return None
    return str(core_value) if core_value else None


def write_variable(key: str, value: str) -> None:
    """Write through the Task SDK, or the metadata database outside a task."""
    from airflow.providers.common.compat.sdk import Variable

    try:
        Variable.set(key, value)
    except Exception:  # outside a task on Airflow 3 the SDK has no channel to the server
        from airflow.models.variable import Variable as CoreVariable

        CoreVariable.set(key, value)


def delete_variable(key: str) -> None:
    """Delete through the Task SDK, or the metadata database outside a task."""
    from airflow.providers.common.compat.sdk import Variable

    try:
        Variable.delete(key)
    except Exception:
        from airflow.models.variable import Variable as CoreVariable

        CoreVariable.delete(key)
