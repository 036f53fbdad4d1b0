"""Secrets never reach logs, exceptions, XCom or rendered template fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dag_runner import run_dag, single_conf
from support import FAST_SIMULATOR, database_text

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]

API_KEY = "sk-live-SECRET-9f8e7d6c5b4a3210"


@pytest.mark.salesloft_simulator(
    api_keys=(API_KEY,), seed=3, error_503_share=0.2, lost_response_share=0.2, rate_window_s=1.0
)
def test_api_key_appears_nowhere(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task_logs: Any
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_DEFAULT",
        salesloft_simulator.connection_uri_json(API_KEY, retry_backoff_base_s=0.01, retry_backoff_max_s=0.05),
    )
    leads = [{"person_id": p, "cadence_id": 10} for p in range(1001, 1011)]
    mapped = run_dag("salesloft_test_mapped", {"leads": leads, "out": str(tmp_path / "m.json")})
    assert mapped["state"] == "success"
    conf = single_conf(tmp_path / "s.json")
    run_dag("salesloft_test_single_fail", conf, "salesloft_test_single")  # fails: already on cadence
    salesloft_simulator.api_keys.clear()  # the key is revoked: 401, with the key in the request
    run_dag("salesloft_test_single", conf, "salesloft_test_single")

    logs = task_logs()
    assert "Salesloft answered 401" in logs
    assert "retrying in" in logs  # faults were injected and logged
    assert API_KEY not in logs
    assert API_KEY not in database_text()


def test_connection_secrets_are_registered_with_the_masker(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.common.compat.sdk import redact

    monkeypatch.setenv(
        "AIRFLOW_CONN_SL_MASK",
        salesloft_simulator.connection_uri_json(
            "api-key-to-mask-123456",
            client_secret="client-secret-to-mask",
            refresh_token="refresh-token-to-mask",
        ),
    )
    SalesloftHook(salesloft_conn_id="sl_mask").connection  # noqa: B018 - reading it registers the secrets

    for secret in ("api-key-to-mask-123456", "client-secret-to-mask", "refresh-token-to-mask"):
        assert secret not in str(redact(f"value: {secret}"))


@pytest.mark.salesloft_simulator(api_keys=(API_KEY,))
def test_a_bulk_result_quoting_the_key_leaks_nowhere(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task_logs: Any
) -> None:
    """a20: a bulk job's result ``error`` is text from the server, like an error answer: a server that quotes
    the request's credentials there (as ``echo_authorization`` does in error answers) leaks nothing into the
    summary XCom, the task log or the database."""
    import airflow_provider_salesloft.testing.bulk_jobs as bulk_jobs

    stated = bulk_jobs._message
    monkeypatch.setattr(
        bulk_jobs,
        "_message",
        lambda error: f"{stated(error)} (request had Authorization: Bearer {API_KEY}; key {API_KEY})",
    )
    monkeypatch.setenv("AIRFLOW_CONN_SALESLOFT_DEFAULT", salesloft_simulator.connection_uri_json(API_KEY))
    out = tmp_path / "u.json"
    rows = [{"email": "new1@example.com"}, {"email": "bad@example.c0m"}]  # the second: refused by Salesloft
    run = run_dag("salesloft_test_upsert_bulk", {"rows": rows, "out": str(out)}, "salesloft_test_upsert")
    assert run["tasks"][("upsert", -1)] == "success"
    summary = json.loads(out.read_text())
    assert summary["failed"] == 1
    assert "email_address" in summary["samples"]["failed"][0]["reason"]  # Salesloft's reason is kept
    assert API_KEY not in json.dumps(summary)
    assert API_KEY not in task_logs()
    assert API_KEY not in database_text()
