"""The test session's Airflow home and what tests share.

Importing this module sets up a private ``AIRFLOW_HOME`` (SQLite metadata db, a DAGs folder with the test
and example DAGs) before anything imports Airflow, so every test (and ``dag.test()``) uses the session's
own database, never the developer's. ``conftest.py`` imports it first; tests import what they need.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(
    os.environ.get("SALESLOFT_TEST_AIRFLOW_HOME") or tempfile.mkdtemp(prefix="salesloft-airflow-home-")
)
DAGS_FOLDER = HOME / "dags"

#: Simulator settings for DAG tests that are not about the rate limit: a generous limit, short windows and
#: fast backoff, so that faults cost milliseconds.
FAST_RETRY = {"retry_backoff_base_s": 0.05, "retry_backoff_max_s": 0.2}
FAST_SIMULATOR = pytest.mark.salesloft_simulator(
    rate_window_s=5.0, rate_limit=10_000, connection_extras=FAST_RETRY
)


def _lay_out_home() -> None:
    if DAGS_FOLDER.exists():
        return
    DAGS_FOLDER.mkdir(parents=True)
    for source in [
        *sorted((ROOT / "tests" / "dags").glob("*.py")),
        *sorted((ROOT / "example_dags").glob("*.py")),
    ]:
        shutil.copy(source, DAGS_FOLDER / source.name)
    for extra in (ROOT / "example_dags").iterdir():
        if extra.is_dir() and not extra.name.startswith((".", "__")):
            shutil.copytree(extra, DAGS_FOLDER / extra.name)


_lay_out_home()
os.environ.update(
    SALESLOFT_TEST_AIRFLOW_HOME=str(HOME),
    AIRFLOW_HOME=str(HOME),
    AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__UNIT_TEST_MODE="False",
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{HOME}/airflow.db",
    AIRFLOW__CORE__FERNET_KEY="n3hBn-lX8nUw4hdAvLZyBqxqsvA1HQXp5ZuOTvzXzjc=",
    AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
)
os.environ.pop("AIRFLOW_CONN_SALESLOFT_DEFAULT", None)


def database_text() -> str:
    """Every XCom value and rendered template field in the metadata db, as text (for secret scans)."""
    with sqlite3.connect(HOME / "airflow.db") as db:
        rows = [*db.execute("SELECT * FROM xcom"), *db.execute("SELECT * FROM rendered_task_instance_fields")]
    return "\n".join(repr(row) for row in rows)


def delete_variable(key: str) -> None:
    """Delete an Airflow Variable straight from the session's metadata db."""
    with sqlite3.connect(HOME / "airflow.db") as db:
        db.execute("DELETE FROM variable WHERE key = ?", (key,))
