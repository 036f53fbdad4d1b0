"""Test session setup: the private Airflow home (see ``support``), its metadata db, shared fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import support  # sets up AIRFLOW_HOME before anything imports Airflow
from hypothesis import settings

# CI explores the same examples on every run (the property tests are reproducible there; `make fuzz` and local
# runs explore new ones), with no per-example deadline on a busy 2-core machine.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

pytest_plugins = [
    "airflow_provider_salesloft.testing.pytest_plugin",
    "contract.plugin",
    "own_warnings",
    "smoke",
]
#: The real-deployment tests (PostgreSQL, scheduler, ...) run only from ``make test-deploy``.
collect_ignore = [] if os.environ.get("SALESLOFT_TEST_DEPLOY") else ["deploy"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Create the metadata database once for the whole session."""
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{result.stdout}\n{result.stderr}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's AIRFLOW_HOME."""
    shutil.rmtree(support.HOME, ignore_errors=True)


@pytest.fixture
def out_file(tmp_path: Path) -> Path:
    """Where a test DAG's downstream task writes what it received."""
    return tmp_path / "received.json"


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
