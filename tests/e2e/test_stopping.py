"""Airflow stops a sync or an upsert while it works: no request after the end, a partial summary.

Real ``dag.test()`` runs, paced slowly by the simulator's rate limit (150 rows take far longer than the
test), stopped the two ways Airflow stops a task: ``execution_timeout`` and SIGTERM (what a task marked
failed, or a worker shutting down, receives; Airflow 3 then only calls ``on_kill()``). Checked from the
simulator's own records: every write it made is in the summary the downstream task received, none came after
the task ended, rows were left not done, and the log holds the partial summary.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dag_runner import received, run_dag

from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = [pytest.mark.e2e, pytest.mark.salesloft_simulator(rate_limit=4, rate_window_s=1.0)]

ROWS = 150
CADENCE = 11
UPSERTS = "POST /v2/person_upserts"


def run_stopped(
    dag_id: str,
    out: Path,
    rows: list[dict[str, Any]],
    logs: Callable[[], str],
    sigterm_when: Callable[[], bool] | None = None,
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    r"""Run ``dag_id``; with ``sigterm_when``, send this process SIGTERM once that holds (the task works).

    Return the run (None when the stop ended ``dag.test()`` itself: on Airflow 2.11 ``AirflowTaskTerminated``
    and ``AirflowTaskTimeout`` are ``BaseException``\ s, which it lets through) and the summary the downstream
    task received (else the one logged).
    """
    previous = signal.getsignal(signal.SIGTERM)
    ended = threading.Event()

    def terminate_when_working() -> None:
        while not ended.is_set():
            if sigterm_when is not None and sigterm_when():
                os.kill(os.getpid(), signal.SIGTERM)
                return
            ended.wait(0.05)

    watcher = threading.Thread(target=terminate_when_working, daemon=True)
    if sigterm_when is not None:
        watcher.start()
    result: dict[str, Any] | None = None
    try:
        result = run_dag(dag_id, {"rows": rows, "out": str(out)}, file_stem="salesloft_test_stop")
    except BaseException as error:
        if type(error).__name__ not in ("AirflowTaskTerminated", "AirflowTaskTimeout"):
            raise
    finally:
        ended.set()
        signal.signal(signal.SIGTERM, previous)
    if result is not None:
        return result, received(out)
    logged = re.search(r"partial summary: (\{.*?\})$", logs(), re.MULTILINE)
    assert logged, "no partial summary in the log"
    return None, json.loads(logged.group(1))


def assert_ended_cleanly(result: dict[str, Any] | None, summary: dict[str, Any], logs: str) -> None:
    if result is not None:
        assert result["tasks"][("work", -1)] == "failed", result
        assert result["tasks"][("record", -1)] == "success", result
    assert summary["stopped"]
    assert summary["rows_not_done"] > 0, summary  # it stopped early, rather than finish every row
    assert "partial summary" in logs
    # No worker thread is left that could still send a request after the task ended.
    assert not [
        t.name for t in threading.enumerate() if t.name.startswith(("salesloft-sync", "salesloft-upsert"))
    ]


@pytest.mark.parametrize("how", ["sigterm", "execution_timeout"])
def test_a_stopped_sync_adds_no_one_after_it_ends(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Callable[[], str], how: str
) -> None:
    sim = salesloft_simulator
    rows = [{"person_id": 1000 + n} for n in range(1, ROWS + 1)]
    dag_id = "salesloft_test_stop_sync" + ("_timeout" if how == "execution_timeout" else "")
    result, summary = run_stopped(
        dag_id,
        tmp_path / "out.json",
        rows,
        task_logs,
        (lambda: sim.stats.adds >= 3) if how == "sigterm" else None,
    )
    on_cadence = set(sim.memberships_on(CADENCE))
    assert_ended_cleanly(result, summary, task_logs())
    # Every add Salesloft made is one the summary counts, and each row is either done or not done.
    assert summary["added"] == sim.stats.adds == len(on_cadence) > 0
    assert summary["rows"] + summary["rows_not_done"] == ROWS
    sim.stop()  # every request the simulator got has been answered: still nobody added after the end
    assert set(sim.memberships_on(CADENCE)) == on_cadence


@pytest.mark.parametrize("how", ["sigterm", "execution_timeout"])
def test_a_stopped_upsert_writes_nothing_after_it_ends(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Callable[[], str], how: str
) -> None:
    sim = salesloft_simulator
    rows = [{"email": f"stop{n}@example.org", "first_name": f"Stop{n}"} for n in range(ROWS)]
    dag_id = "salesloft_test_stop_upsert" + ("_timeout" if how == "execution_timeout" else "")
    result, summary = run_stopped(
        dag_id,
        tmp_path / "out.json",
        rows,
        task_logs,
        (lambda: sim.stats.calls_by_route[UPSERTS] >= 3) if how == "sigterm" else None,
    )
    created = sim.stats.people_created
    assert_ended_cleanly(result, summary, task_logs())
    # Every person Salesloft created is one the summary counts, and each row is either done or not done.
    assert summary["created"] == created > 0
    assert summary["failed"] == 0
    assert summary["created"] + summary["rows_not_done"] == ROWS
    sim.stop()
    assert sim.stats.people_created == created


def test_a_stopped_mirror_removes_no_one_after_it_ends_nor_counts_unsent_removals_as_failed(
    salesloft_simulator: SalesloftSimulator, tmp_path: Path, task_logs: Callable[[], str]
) -> None:
    """a20: stopped while its removals wait out ``processing`` memberships, a mirror ends with a partial
    summary: the removals not sent are not done (they were counted ``removal_failed``, the task failing with
    "N rows failed" and no ``stopped``), and none is sent after the end."""
    sim = salesloft_simulator
    sim.set_faults(processing_refuses_removal=True, rate_limit=1000)
    for person in range(1001, 1006):  # members the input leaves out, refusing removal while processing
        sim.state.add_to_cadence(1, {"person_id": person, "cadence_id": CADENCE}, "422", "processing")
    rows = [{"person_id": person} for person in range(1006, 1016)]
    deletes = "DELETE /v2/cadence_memberships/:id"
    result, summary = run_stopped(
        "salesloft_test_stop_mirror",
        tmp_path / "out.json",
        rows,
        task_logs,
        lambda: sim.stats.calls_by_route[deletes] >= 5,  # every removal refused once: all of them waiting
    )
    if result is not None:
        assert result["tasks"][("work", -1)] == "failed", result
    assert summary["stopped"], summary
    assert summary["removal_failed"] == 0, summary  # refused while processing, then stopped: not done
    assert summary["removed"] == 0 and summary["removals_not_done"] == 5, summary
    sent = sim.stats.calls_by_route[deletes]
    sim.stop()
    assert sim.stats.calls_by_route[deletes] == sent
    assert set(range(1001, 1006)) <= set(sim.memberships_on(CADENCE))
    assert not [t.name for t in threading.enumerate() if t.name.startswith("salesloft-sync")]
