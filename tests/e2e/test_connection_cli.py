"""``airflow connections test`` against the simulator, as a user runs it: the hook's message reaches the
CLI (with ``-v`` on success, since Airflow silences logging otherwise; always on failure)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

pytestmark = pytest.mark.e2e


def connections_test(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow", "connections", "test", *flags, "salesloft_default"],
        env={**os.environ, "AIRFLOW__CORE__TEST_CONNECTION": "Enabled"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_cli_shows_who_the_connection_acts_as(salesloft_simulator: SalesloftSimulator) -> None:
    result = connections_test("-v")

    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Connection success!" in output
    assert "Salesloft connection test: Connected as Ada Admin (ada@example.com)" in output


@pytest.mark.salesloft_simulator(scopes={DEFAULT_API_KEY: ("people:read",)})
def test_the_cli_shows_missing_scopes(salesloft_simulator: SalesloftSimulator) -> None:
    result = connections_test()

    assert "Connection failed!" in result.stdout  # (Airflow 2.11 still exits 0; 3.x exits 1)
    assert "lacks the scopes the operators need: cadences:read" in result.stdout
