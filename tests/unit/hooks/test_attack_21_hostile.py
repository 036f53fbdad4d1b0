"""Attacks on issue 21's bulk-job and removal steps, against loopback servers that follow Salesloft's
definition but lose answers and change state at the worst moments."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from hostile import HostileServer, Reply, Seen

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

FAST = {"retry_backoff_base_s": 0.01, "retry_backoff_max_s": 0.02}
UNPROCESSABLE = Reply(422, {"errors": {"base": ["May only be updated if the bulk job is still open"]}})


def hook_on(server: HostileServer, monkeypatch: pytest.MonkeyPatch) -> SalesloftHook:
    conn = {"conn_type": "salesloft", "host": server.url, "password": "sk-attack", "extra": FAST}
    monkeypatch.setenv("AIRFLOW_CONN_SL_ATTACK", json.dumps(conn))
    return SalesloftHook(salesloft_conn_id="sl_attack")


class BulkJob:
    """One ``person/upsert`` job as the definition describes it: ``PUT`` only while ``open``; a start that
    arrived leaves it ``open`` (ready_to_execute) until ``executing_after_reads`` reads later."""

    def __init__(self, lose_puts: int, executing_after_reads: int) -> None:
        self.lock = threading.Lock()
        self.state = "open"
        self.ready = False
        self.lose_puts = lose_puts
        self.reads_left = executing_after_reads
        self.puts_carried_out = 0

    def job(self) -> dict[str, Any]:
        return {"id": 7, "type": "person/upsert", "state": self.state, "ready_to_execute": self.ready}

    def __call__(self, seen: Seen) -> Reply:
        with self.lock:
            if seen.method == "GET" and seen.path == "/v2/bulk_jobs/7":
                if self.ready and self.state == "open":
                    if self.reads_left <= 0:
                        self.state = "executing"
                    self.reads_left -= 1
                return Reply(200, {"data": self.job()})
            if seen.method == "PUT" and seen.path == "/v2/bulk_jobs/7":
                if self.state != "open":
                    return UNPROCESSABLE
                self.ready = True
                self.puts_carried_out += 1
                if self.lose_puts > 0:
                    self.lose_puts -= 1
                    return Reply(drop=True)
                return Reply(200, {"data": self.job()})
            return Reply(404, {"error": "Not Found"})


@pytest.mark.parametrize("lose_puts", [1, 2, 3])
@pytest.mark.parametrize("executing_after_reads", [0, 1, 2, 5])
def test_a_start_whose_answer_is_lost_is_never_a_failure(
    monkeypatch: pytest.MonkeyPatch, lose_puts: int, executing_after_reads: int
) -> None:
    """Lost answers to the start, while the job goes open -> executing between the reads and the
    re-sent starts: the start succeeds (the job started once), never a 422 failing the task."""
    job = BulkJob(lose_puts, executing_after_reads)
    with HostileServer(job) as server:
        started = hook_on(server, monkeypatch).start_bulk_job(7)
    assert started["id"] == 7
    assert job.ready


@pytest.mark.parametrize("lose_first_delete", [False, True])
def test_a_removal_refused_while_processing_forever_ends_with_salesloft_reason(
    monkeypatch: pytest.MonkeyPatch, lose_first_delete: bool
) -> None:
    """A membership ``processing`` forever: the removal is tried again (bounded by ``processing_wait_s``),
    then refused with Salesloft's own reason; the person stays on the cadence (never reported removed)."""
    from airflow_provider_salesloft.exceptions import SalesloftValidationError

    membership = {"id": 50001, "currently_on_cadence": True, "current_state": "processing"}
    lost = [lose_first_delete]

    def script(seen: Seen) -> Reply:
        if seen.method == "DELETE" and seen.path == "/v2/cadence_memberships/50001":
            if lost[0]:
                lost[0] = False
                return Reply(drop=True)
            return Reply(422, {"errors": {"base": ["Cadence-related changes cannot be made at this time"]}})
        if seen.method == "GET" and seen.path == "/v2/cadence_memberships/50001":
            return Reply(200, {"data": membership})
        return Reply(404, {"error": "Not Found"})

    with HostileServer(script) as server, pytest.raises(SalesloftValidationError) as info:
        hook_on(server, monkeypatch).delete_cadence_membership(50001, processing_wait_s=1.5)
    assert "still processing" in str(info.value)
    assert "Cadence-related changes cannot be made at this time" in str(info.value)


def test_the_processing_wait_starts_at_the_refusal_not_before_a_rate_limited_first_try(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first DELETE is rate limited (429, Retry-After 1 s, longer than the whole processing wait), then
    refused while processing, then accepted: the removal must get its retry after the refusal."""
    membership = {"id": 50001, "currently_on_cadence": True, "current_state": "processing"}
    answers = [
        Reply(429, {"error": "rate limited"}, {"Retry-After": "1"}),
        Reply(422, {"errors": {"base": ["Cadence-related changes cannot be made at this time"]}}),
        Reply(204),
    ]

    def script(seen: Seen) -> Reply:
        if seen.method == "DELETE":
            answer = answers.pop(0)
            if answer.status == 204:
                membership.update(currently_on_cadence=False, current_state="finished")
            return answer
        if seen.method == "GET" and seen.path == "/v2/cadence_memberships/50001":
            return Reply(200, {"data": membership})
        return Reply(404, {"error": "Not Found"})

    with HostileServer(script) as server:
        hook_on(server, monkeypatch).delete_cadence_membership(50001, processing_wait_s=0.5)
    assert membership["currently_on_cadence"] is False
    assert answers == []
