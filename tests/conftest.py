"""Test session setup: a private AIRFLOW_HOME with a SQLite metadata db and a DAGs folder, made once.

The environment is set before anything imports Airflow, so every test (and ``dag.test()``) uses this
session's own database, never the developer's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_HOME = Path(tempfile.mkdtemp(prefix="salesloft-airflow-home-"))
_DAGS = _HOME / "dags"
_DAGS.mkdir()
for source in [
    *sorted((ROOT / "tests" / "dags").glob("*.py")),
    *sorted((ROOT / "example_dags").glob("*.py")),
]:
    shutil.copy(source, _DAGS / source.name)
for folder in ("example_dags",):
    for extra in (ROOT / folder).iterdir():
        if extra.is_dir() and not extra.name.startswith((".", "__")):
            shutil.copytree(extra, _DAGS / extra.name)

os.environ.update(
    AIRFLOW_HOME=str(_HOME),
    AIRFLOW__CORE__DAGS_FOLDER=str(_DAGS),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__UNIT_TEST_MODE="False",
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{_HOME}/airflow.db",
    AIRFLOW__CORE__FERNET_KEY="n3hBn-lX8nUw4hdAvLZyBqxqsvA1HQXp5ZuOTvzXzjc=",
    AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
)
os.environ.pop("AIRFLOW_CONN_SALESLOFT_DEFAULT", None)

DAGS_FOLDER = _DAGS
HOME = _HOME


def pytest_sessionstart(session: pytest.Session) -> None:
    """Create the metadata database once for the whole session."""
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{result.stdout}\n{result.stderr}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's AIRFLOW_HOME."""
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture
def simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A fresh simulator; the ``salesloft_default`` connection points at it."""
    from airflow_provider_salesloft.testing import SalesloftSimulator

    with SalesloftSimulator(rate_window_s=5.0, rate_limit=10_000) as sim:
        monkeypatch.setenv(
            "AIRFLOW_CONN_SALESLOFT_DEFAULT",
            sim.connection_uri_json(retry_backoff_base_s=0.05, retry_backoff_max_s=0.2),
        )
        yield sim


@pytest.fixture
def out_file(tmp_path: Path) -> Path:
    """Where a test DAG's downstream task writes what it received."""
    return tmp_path / "received.json"


def read_received(path: Path) -> object:
    """What the downstream task wrote."""
    return json.loads(path.read_text())


@pytest.fixture
def task_logs(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> object:
    """A callable returning everything the run logged or printed so far (Airflow 2 logs through logging,
    Airflow 3's task runner through structlog to stdout)."""

    seen: list[str] = []

    def collect() -> str:
        out, err = capfd.readouterr()
        seen.extend([out, err])
        return caplog.text + "".join(seen)

    return collect
