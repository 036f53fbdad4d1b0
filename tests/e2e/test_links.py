"""The "Salesloft cadence" extra link points at the cadence the task worked on."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from dag_runner import run_dag, single_conf
from support import FAST_SIMULATOR, HOME

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]


def xcom_values(dag_id: str, task_id: str, run_id: str) -> dict[str, Any]:
    with sqlite3.connect(HOME / "airflow.db") as db:
        rows = db.execute(
            "SELECT key, value FROM xcom WHERE dag_id = ? AND task_id = ? AND run_id = ?",
            (dag_id, task_id, run_id),
        ).fetchall()
    values: dict[str, Any] = {}
    for key, value in rows:
        raw = value.decode() if isinstance(value, bytes) else value
        values[key] = json.loads(raw) if isinstance(raw, str) else raw
    return values


def test_link_uses_app_url_from_connection(
    salesloft_simulator: Any, out_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_DEFAULT",
        salesloft_simulator.connection_uri_json(app_url="https://app.salesloft.example/"),
    )
    result = run_dag("salesloft_test_single", single_conf(out_file, cadence_id=11), "salesloft_test_single")
    assert result["state"] == "success"

    values = xcom_values("salesloft_test_single", "add", result["run_id"])
    assert values["salesloft_cadence_url"] == "https://app.salesloft.example/app/cadence/11"
    if "_link_SalesloftCadenceLink" in values:  # Airflow 3 resolves links on the worker, after execute()
        assert values["_link_SalesloftCadenceLink"] == "https://app.salesloft.example/app/cadence/11"


def test_link_class_reads_the_pushed_url() -> None:
    from airflow_provider_salesloft.links import SalesloftCadenceLink
    from airflow_provider_salesloft.operators import (
        CreateCadenceMembershipOperator,
        SyncCadenceMembershipsOperator,
    )

    for operator in (CreateCadenceMembershipOperator, SyncCadenceMembershipsOperator):
        assert any(isinstance(link, SalesloftCadenceLink) for link in operator.operator_extra_links)
    assert SalesloftCadenceLink().name == "Salesloft cadence"


def test_failed_task_has_an_empty_link_and_no_lookup_error(
    salesloft_simulator: Any, out_file: Path, task_logs: Any
) -> None:
    result = run_dag("salesloft_test_single", single_conf(out_file, person_id="abc"), "salesloft_test_single")

    assert result["tasks"][("add", -1)] == "failed"
    assert "salesloft_cadence_url" not in xcom_values("salesloft_test_single", "add", result["run_id"])
    assert "XCom not found" not in task_logs()  # Airflow 3 asked the operator, not the XCom table
