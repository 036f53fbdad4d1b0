"""Real Salesloft data in real DAG runs (issue #11): do-not-contact people, several people with one email,
which addresses match, long lookups, invisible records, scopes, lists without paging, ``processing``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag, single_conf
from support import FAST_SIMULATOR

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.testing import DEFAULT_API_KEY, SalesloftSimulator

pytestmark = [pytest.mark.e2e, FAST_SIMULATOR]

REAL_ROWS = [
    {"email": "optout1@example.com"},  # do-not-contact
    {"person_id": 9002},  # do-not-contact, given by id
    {"email": "unreachable@example.com"},  # restricted on every channel
    {"email": "no-calls@example.com"},  # restricted on calls only: added, with a note
    {"email": "shared@example.com"},  # two people have it
    {"email": "second7@example.org"},  # person 9007's secondary address
    {"email": "person8@example.com"},
]


def sync(dag_id: str, tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    out, report = tmp_path / "summary.json", tmp_path / "report.jsonl"
    conf = {"rows": rows, "out": str(out), "report": str(report)}
    result = run_dag(dag_id, conf, "salesloft_test_sync")
    summary = received(out) or {}  # None when the task failed before its summary
    if report.exists():
        summary["report"] = [json.loads(line) for line in report.read_text().splitlines()]
    return result, summary


def counts(summary: dict[str, Any]) -> dict[str, int]:
    names = (
        "added",
        "person_not_found",
        "do_not_contact",
        "ambiguous_email",
        "duplicates",
        "invalid",
        "failed",
    )
    return {name: summary[name] for name in names if summary[name]}


def test_real_data_rows_end_right_and_the_strict_task_succeeds(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    result, summary = sync("salesloft_test_sync_rows_strict", tmp_path, REAL_ROWS)

    assert result["state"] == "success"  # max_failed_rows=0: opt-outs and duplicates are not failures
    assert counts(summary) == {"added": 2, "person_not_found": 1, "do_not_contact": 3, "ambiguous_email": 1}
    assert sorted(salesloft_simulator.memberships_on(11)) == [1008, 9004]
    assert salesloft_simulator.stats.calls_by_route["POST /v2/cadence_memberships"] == 2  # none for opt-outs
    lines = {line["index"]: line for line in summary["report"]}
    assert lines[3]["reason"] == "added; contact restrictions: call"
    assert lines[1]["reason"] == "person 9002 is marked do-not-contact in Salesloft"
    assert "2 people have this email (9005, 9006)" in lines[4]["reason"]
    assert lines[5]["outcome"] == "person_not_found"  # this simulator matches primary addresses only


@pytest.mark.salesloft_simulator(email_lookup="all")
def test_secondary_addresses_match_when_salesloft_returns_them(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    rows = [{"email": "second7@example.org"}, {"email": " Personal7@home.example "}]
    result, summary = sync("salesloft_test_sync_rows_strict", tmp_path, rows)

    assert result["state"] == "success"
    assert counts(summary) == {"added": 1, "duplicates": 1}  # both addresses are person 9007's
    assert sorted(salesloft_simulator.memberships_on(11)) == [9007]


def test_most_recently_updated_picks_one_of_several_people(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path
) -> None:
    result, summary = sync("salesloft_test_sync_rows_newest", tmp_path, [{"email": "SHARED@example.com"}])
    assert result["state"] == "success"
    assert (summary["added"], summary["duplicate_emails_resolved"]) == (1, 1)
    assert sorted(salesloft_simulator.memberships_on(11)) == [9006]  # updated in 2025, the other in 2024

    # Had the other one been on the cadence already, the row would be that one's.
    salesloft_simulator.state.clear_memberships()
    salesloft_simulator.state.add_to_cadence(1, {"person_id": 9005, "cadence_id": 11}, "422")
    result, summary = sync("salesloft_test_sync_rows_newest", tmp_path, [{"email": "shared@example.com"}])
    assert (summary["already_on_cadence"], summary["added"]) == (1, 0)
    assert sorted(salesloft_simulator.memberships_on(11)) == [9005]


@pytest.mark.salesloft_simulator(people=300, max_url_bytes=3000)
def test_long_lookups_are_split_and_never_fail_the_sync(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Any
) -> None:
    rows = [{"email": f"{'x' * 60}-{n}@example.org"} for n in range(100)] + [
        {"email": f"person{n}@example.com"} for n in range(1, 101)
    ]
    result, summary = sync("salesloft_test_sync_rows_strict", tmp_path, rows)

    assert result["state"] == "success"
    assert counts(summary) == {"added": 100, "person_not_found": 100}
    assert "splitting it" in task_logs()  # the simulated proxy refused a batch, which was split
    # 200 emails in batches of <= 6,000 bytes of query, each refused batch halved: a handful of calls
    assert salesloft_simulator.stats.calls_by_route["GET /v2/people"] <= 16


@pytest.mark.salesloft_simulator(omit_paging=True)
def test_lists_without_paging_metadata(salesloft_simulator: SalesloftSimulator, tmp_path: Path) -> None:
    for person in range(1001, 1131):  # 130 members: two pages of 100 without next_page to follow
        salesloft_simulator.state.add_to_cadence(1, {"person_id": person, "cadence_id": 11}, "422")
    rows = [{"person_id": person} for person in range(1001, 1141)]
    result, summary = sync("salesloft_test_sync_rows_strict", tmp_path, rows)

    assert result["state"] == "success"
    assert (summary["already_on_cadence"], summary["added"]) == (130, 10)
    assert salesloft_simulator.stats.adds == 10


def test_do_not_contact_person_fails_the_single_add_clearly(
    salesloft_simulator: SalesloftSimulator, out_file: Path, task_logs: Any
) -> None:
    result = run_dag("salesloft_test_single", single_conf(out_file, person_id=9001), "salesloft_test_single")
    assert result["tasks"][("add", -1)] == "failed"
    logs = task_logs()
    assert "person 9001 is marked do-not-contact in Salesloft and cannot be added to cadence 10" in logs
    # one traceback, not chained to the refused add's (a chain would print the 422's traceback first)
    assert "exceptions.SalesloftValidationError" not in logs


def test_404_names_the_ids_and_invisibility(
    salesloft_simulator: SalesloftSimulator, out_file: Path, task_logs: Any
) -> None:
    result = run_dag("salesloft_test_single", single_conf(out_file, cadence_id=999), "salesloft_test_single")
    assert result["tasks"][("add", -1)] == "failed"
    logs = task_logs()
    assert "cadence_id 999 not found or not visible to the connection's user" in logs  # only the missing one
    assert "person_id 1001" not in logs


@pytest.mark.salesloft_simulator(add_state="processing")
def test_an_add_still_processing_is_a_success(
    salesloft_simulator: SalesloftSimulator, out_file: Path
) -> None:
    result = run_dag("salesloft_test_single", single_conf(out_file, person_id=1005), "salesloft_test_single")
    assert result["state"] == "success"
    assert received(out_file)["membership_state"] == "processing"  # what Salesloft said, as it said it


@pytest.mark.salesloft_simulator(scopes={DEFAULT_API_KEY: ("people:read",)})
def test_missing_scopes_are_named(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Any
) -> None:
    ok, message = SalesloftHook().test_connection()
    assert not ok
    assert message.startswith("Connected as Ada Admin (ada@example.com), but")
    assert message.endswith("lacks the scopes the operators need: cadences:read")

    result, _ = sync("salesloft_test_sync_rows", tmp_path, [{"person_id": 1001}])
    assert result["tasks"][("sync", -1)] == "failed"
    assert "probably lacks the scope cadences:read" in task_logs()
