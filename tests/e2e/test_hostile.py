"""Hostile and broken servers in real DAG runs (issue #10): malformed add answers, a proxy that quotes
credentials in its errors, and a proxy with a bad clock. What the downstream tasks receive is asserted, and
that no secret reaches any log, XCom, rendered field or report file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag, single_conf
from support import FAST_RETRY, database_text

from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = pytest.mark.e2e

API_KEY = "sk-live-HOSTILE-7e6d5c4b3a291807"
PEOPLE = list(range(1101, 1121))


@pytest.mark.salesloft_simulator(
    seed=5, rate_limit=100_000, rate_window_s=5.0, malformed_add_share=0.5, connection_extras=FAST_RETRY
)
def test_malformed_add_answers_still_push_the_right_memberships(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    out = tmp_path / "mapped.json"
    leads = [{"person_id": person, "cadence_id": 11} for person in PEOPLE]
    result = run_dag("salesloft_test_mapped", {"leads": leads, "out": str(out)})

    assert result["state"] == "success"
    on_cadence = salesloft_simulator.memberships_on(11)
    assert received(out)["membership_ids"] == [on_cadence[person]["id"] for person in PEOPLE]  # never None
    assert salesloft_simulator.stats.malformed_answers > 0  # the fault was injected
    assert salesloft_simulator.stats.adds == len(PEOPLE)  # nobody added twice


@pytest.mark.salesloft_simulator(
    api_keys=(API_KEY,), rate_limit=100_000, rate_window_s=5.0, echo_authorization=True
)
def test_a_proxy_quoting_credentials_leaks_nothing(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task_logs: Any
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SALESLOFT_DEFAULT", salesloft_simulator.connection_uri_json(API_KEY))
    report = tmp_path / "report.jsonl"
    rows = [
        {"person_id": 999_999},  # 404, quoted
        {"person_id": 1001, "user_id": 77},  # 404, quoted
        {"person_id": 1002, "cadence_id": 999},  # the pre-check's 404, quoted: invalid
        {"person_id": 1003},
    ]
    out = tmp_path / "summary.json"
    conf = {"rows": rows, "out": str(out), "report": str(report)}
    result = run_dag("salesloft_test_sync_rows", conf, "salesloft_test_sync")

    assert result["state"] == "success"
    summary = received(out)
    assert (summary["added"], summary["person_not_found"], summary["failed"], summary["invalid"]) == (
        1,
        1,
        1,
        1,
    )
    assert "***" in report.read_text()  # the quoted key was there, and was redacted
    for place in (task_logs(), database_text(), report.read_text(), out.read_text()):
        assert API_KEY not in place


@pytest.mark.parametrize(
    "date", [{"date_offset_s": 300}, {"date_header": "missing"}, {"date_header": "zoneless"}]
)
@pytest.mark.salesloft_simulator(rate_limit=100_000, rate_window_s=5.0, connection_extras=FAST_RETRY)
def test_a_bad_date_header_never_fails_a_fresh_add_nor_doubles_an_old_one(
    salesloft_simulator: SalesloftSimulator, out_file: Path, task_logs: Any, date: dict[str, Any]
) -> None:
    salesloft_simulator.set_faults(**date)
    conf = single_conf(out_file, person_id=1041)

    fresh = run_dag("salesloft_test_single_fail", conf, "salesloft_test_single")  # fail if already on
    assert fresh["state"] == "success"  # a fresh add is never taken for an old one
    membership_id = received(out_file)["membership_id"]
    assert membership_id == salesloft_simulator.memberships_on(10)[1041]["id"]

    salesloft_simulator.age_memberships(3600)  # an hour later, the same add again
    again = run_dag("salesloft_test_single_fail", conf, "salesloft_test_single")
    assert again["tasks"][("add", -1)] == "failed"
    assert f"Person 1041 is already on cadence 10 (membership {membership_id})" in task_logs()
    assert salesloft_simulator.stats.adds == 1
