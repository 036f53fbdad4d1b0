"""SyncCadenceMembershipsOperator in real DAG runs: every row accounted for, one call per add, reruns free."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag

from airflow_provider_salesloft.operators.sync import OUTCOMES
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.salesloft_simulator(
        people=1000, rate_limit=100_000, rate_window_s=5.0, connection_extras={"retry_backoff_base_s": 0.05}
    ),
]

KNOWN, ALREADY_ON, UNKNOWN, DUPLICATES, INVALID = 890, 40, 45, 40, 20
#: Real data: seeded do-not-contact people (one restricted on every channel), and two people sharing an email.
DO_NOT_CONTACT = ["optout1@example.com", "OPTOUT2@example.com", "unreachable@example.com"]
AMBIGUOUS = ["shared@example.com", "SHARED@EXAMPLE.COM"]
LONG_UNKNOWN = 20  # of the unknown emails, this many are ~200 characters long (URL length)


def make_leads(path: Path) -> dict[str, int]:
    """1,000 rows: known (mixed-case emails and person ids), unknown (some very long), do-not-contact,
    duplicate emails, repeated, and invalid (non-emails included); return counts."""
    rows: list[tuple[Any, ...]] = []
    for n in range(1, KNOWN + 1):
        if n % 5 == 0:
            rows.append((None, 1000 + n, None))  # keyed by person_id
        else:
            email = f"person{n}@example.com"
            rows.append((email.upper() if n % 3 == 0 else email, None, None))
    rows += [(f"nobody{n}@example.org", None, None) for n in range(UNKNOWN - LONG_UNKNOWN)]
    rows += [(f"{'long-' * 38}{n}@example.org", None, None) for n in range(LONG_UNKNOWN)]
    rows += [(email, None, None) for email in DO_NOT_CONTACT + AMBIGUOUS]
    rows += [rows[n * 7] for n in range(DUPLICATES)]
    invalid = [
        (None, None, None),
        ("", None, None),
        (None, "abc", None),
        (None, -3, None),
        ("person5@example.com", None, "x"),
        ("_is_null", None, None),  # a filter keyword, never an address
        ("not-an-email", None, None),
    ]
    rows += [invalid[n % len(invalid)] for n in range(INVALID)]
    assert len(rows) == 1000
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE leads (position INTEGER, email TEXT, person_id, cadence_id)")
        db.executemany("INSERT INTO leads VALUES (?, ?, ?, ?)", [(i, *row) for i, row in enumerate(rows)])
    return {"rows": len(rows)}


@pytest.fixture
def leads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "leads.db"
    make_leads(path)
    monkeypatch.setenv(
        "AIRFLOW_CONN_SALESLOFT_TEST_LEADS", json.dumps({"conn_type": "sqlite", "host": str(path)})
    )
    return path


def pre_add(sim: SalesloftSimulator, count: int) -> set[int]:
    """Put the first ``count`` known people on cadence 10 before the sync."""
    people = {1000 + n for n in range(1, count + 1)}
    for person in people:
        sim.state.add_to_cadence(1, {"person_id": person, "cadence_id": 10}, "422")
    return people


def sync(dag_id: str, tmp_path: Path, **conf: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path / f"{dag_id}.json"
    result = run_dag(
        dag_id, {"out": str(out), "report": str(tmp_path / "report.jsonl"), **conf}, "salesloft_test_sync"
    )
    return result, received(out)


def test_sql_sync_accounts_for_every_row(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path
) -> None:
    pre_add(salesloft_simulator, ALREADY_ON)

    result, summary = sync("salesloft_test_sync", tmp_path)

    assert result["state"] == "success"
    assert {key: summary[key] for key in ("rows", *OUTCOMES)} == {
        "rows": 1000,
        "added": KNOWN - ALREADY_ON,
        "already_on_cadence": ALREADY_ON,
        "person_not_found": UNKNOWN,
        "duplicates": DUPLICATES,
        "invalid": INVALID,
        "failed": 0,
        "do_not_contact": len(DO_NOT_CONTACT),
        "ambiguous_email": len(AMBIGUOUS),
    }
    assert sorted(salesloft_simulator.memberships_on(10)) == [1000 + n for n in range(1, KNOWN + 1)]
    assert salesloft_simulator.stats.adds == KNOWN - ALREADY_ON  # nobody added twice
    posts = salesloft_simulator.stats.calls_by_route["POST /v2/cadence_memberships"]
    assert posts == KNOWN - ALREADY_ON  # no POST for people already on, unknown, duplicated or invalid
    assert summary["api_calls"] == salesloft_simulator.stats.calls
    assert summary["api_calls"] / summary["added"] <= 1.02
    # 100 emails or ids a call (ids: to know do-not-contact people before writing), per chunk of 250 rows
    assert salesloft_simulator.stats.calls_by_route["GET /v2/people"] <= 14
    assert {line["outcome"] for line in summary["samples"]["do_not_contact"]} == {"do_not_contact"}
    assert "2 people have this email (9005, 9006)" in summary["samples"]["ambiguous_email"][0]["reason"]
    assert len(summary["failures"]) == INVALID
    assert all(f["reason"] for f in summary["failures"])
    assert summary["dry_run"] is False
    assert len(json.dumps(summary)) < 64 * 1024

    report = [json.loads(line) for line in (tmp_path / "report.jsonl").read_text().splitlines()]
    assert sorted(line["row"] if "row" in line else line["index"] for line in report) == list(range(1000))


def test_rerun_adds_nothing_and_costs_only_lookups(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path
) -> None:
    sync("salesloft_test_sync", tmp_path)
    calls_before, adds_before = salesloft_simulator.stats.calls, salesloft_simulator.stats.adds

    result, summary = sync("salesloft_test_sync", tmp_path)

    assert result["state"] == "success"
    assert summary["added"] == 0
    assert summary["already_on_cadence"] == KNOWN
    assert salesloft_simulator.stats.adds == adds_before
    rerun_calls = salesloft_simulator.stats.calls - calls_before
    assert salesloft_simulator.stats.calls_by_route["POST /v2/cadence_memberships"] == KNOWN
    assert rerun_calls == summary["api_calls"] <= 25  # email lookups + one cadence check + member pages


def test_dry_run_writes_nothing(salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path) -> None:
    pre_add(salesloft_simulator, ALREADY_ON)

    result, summary = sync("salesloft_test_sync_dry", tmp_path)

    assert result["state"] == "success"
    assert summary["dry_run"] is True
    assert summary["added"] == KNOWN - ALREADY_ON  # would be added
    assert summary["already_on_cadence"] == ALREADY_ON
    assert salesloft_simulator.stats.calls_by_route["POST /v2/cadence_memberships"] == 0
    assert salesloft_simulator.stats.adds == 0
    assert len(salesloft_simulator.memberships_on(10)) == ALREADY_ON


def test_failed_rows_fail_the_task_after_pushing_summary(
    salesloft_simulator: SalesloftSimulator, leads: Path, tmp_path: Path, task_logs: Any
) -> None:
    result, summary = sync("salesloft_test_sync_strict", tmp_path)

    assert result["tasks"][("sync", -1)] == "failed"
    assert summary["invalid"] == INVALID  # the summary was pushed before failing
    assert summary["added"] == KNOWN  # and every other row was still done
    assert "20 rows failed or were invalid (max_failed_rows=0)" in task_logs()


@pytest.mark.salesloft_simulator(
    seed=11,
    rate_limit=20,
    rate_window_s=1.0,
    error_503_share=0.08,
    drop_share=0.03,
    lost_response_share=0.05,
    latency_ms=(5, 20),
    connection_extras={"retry_max_attempts": 12, "retry_backoff_base_s": 0.02, "retry_backoff_max_s": 0.2},
)
def test_rows_from_upstream_xcom_with_faults(salesloft_simulator: SalesloftSimulator, tmp_path: Path) -> None:
    sim = salesloft_simulator
    rows = [{"person_id": 1000 + n} for n in range(1, 61)] + [
        {"email": "person3@example.com"},
        {"person_id": 999_999},
    ]
    result, summary = sync("salesloft_test_sync_rows", tmp_path, rows=rows)

    assert result["state"] == "success"
    assert (summary["added"], summary["duplicates"], summary["person_not_found"]) == (60, 1, 1)
    assert sorted(sim.memberships_on(11)) == [1000 + n for n in range(1, 61)]
    assert sim.stats.adds == 60
    assert sim.stats.errors_503 + sim.stats.dropped + sim.stats.lost_responses > 0


def test_404s_are_told_apart_and_every_non_success_outcome_is_sampled(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    rows = [
        {"person_id": 999_999},  # no such person
        {"person_id": 1001, "user_id": 77},  # the person exists, the user does not
        {"email": "person3@example.com", "user_id": 2},  # a visible user: added
        {"email": "nobody@example.org"},  # no person has this email
        {"person_id": 1001, "user_id": 77},  # the same pair again
        {"person_id": "abc"},
    ]
    result, summary = sync("salesloft_test_sync_rows", tmp_path, rows=rows)

    assert result["state"] == "success"  # max_failed_rows=1000 in this DAG
    counts = {
        name: summary[name] for name in ("added", "person_not_found", "duplicates", "invalid", "failed")
    }
    assert counts == {"added": 1, "person_not_found": 2, "duplicates": 1, "invalid": 1, "failed": 1}
    reasons = {
        line["index"]: line.get("reason", "") for lines in summary["samples"].values() for line in lines
    }
    assert reasons[0] == "person 999999 not found or not visible to the connection's user"
    assert reasons[1] == "user_id 77 not found or not visible to the connection's user"
    assert reasons[3] == "no Salesloft person has this email"
    assert set(summary["samples"]) == {"person_not_found", "duplicates", "invalid", "failed"}
    assert [line["index"] for line in summary["failures"]] == [5, 1]  # failed and invalid, as before
    assert salesloft_simulator.stats.calls_by_route["GET /v2/users"] == 1  # users listed once, to explain
    assert len(json.dumps(summary)) < 64_000
