"""The bulk-job trigger's polls, run as Airflow's triggerer runs them (issue #23, 3.1's triggerer crash)."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync

from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.testing import SalesloftSimulator
from airflow_provider_salesloft.triggers.bulk_job import SalesloftBulkJobTrigger


async def run_trigger(
    trigger: SalesloftBulkJobTrigger,
) -> tuple[list[dict[str, Any]], asyncio.AbstractEventLoop]:
    """Every event of the trigger, and the event loop it ran on (a triggerer's loop)."""
    events = [event.payload async for event in trigger.run()]
    return events, asyncio.get_running_loop()


def test_task_sdk_calls_from_a_poll_run_on_the_triggerers_own_loop(
    salesloft_simulator: SalesloftSimulator, monkeypatch: Any
) -> None:
    """Airflow 3's triggerer client sends each Task SDK message (a connection or Variable read, the token
    store's write) with ``async_to_sync`` on one stream guarded by an asyncio lock of the triggerer's loop.
    Sync code the trigger runs must therefore land its ``async_to_sync`` calls on that loop; from a thread
    of ``asyncio.to_thread`` they ran on a new loop beside it and Airflow 3.1's triggerer died of interleaved
    frames (apache/airflow#64620). Each poll here makes such a call, as the hook's Task SDK reads do."""
    salesloft_simulator.set_faults(bulk_job_records_per_s=2)  # about a second: two polls or more
    hook = SalesloftHook("salesloft_default")
    job = hook.create_bulk_job("trigger-loop-1")
    hook.add_bulk_job_data(job["id"], [{"email_address": f"loop{n}@example.com"} for n in range(2)])
    hook.start_bulk_job(job["id"])

    loops: list[asyncio.AbstractEventLoop] = []

    async def task_sdk_send() -> None:  # where Airflow's TriggerCommsDecoder.asend would run
        loops.append(asyncio.get_running_loop())

    get_bulk_job = SalesloftHook.get_bulk_job

    def polled(self: SalesloftHook, job_id: int) -> dict[str, Any]:
        async_to_sync(task_sdk_send)()
        return get_bulk_job(self, job_id)

    monkeypatch.setattr(SalesloftHook, "get_bulk_job", polled)
    trigger = SalesloftBulkJobTrigger("salesloft_default", job["id"], 1.0, deadline=4e9, carry={"n": 1})
    events, trigger_loop = asyncio.run(run_trigger(trigger))

    assert [(e["status"], e["job_id"], e["job"]["state"], e["carry"]) for e in events] == [
        ("done", job["id"], "done", {"n": 1})
    ]
    assert len(loops) >= 2, loops  # polled while the job ran, and once it was done
    assert all(loop is trigger_loop for loop in loops), "a Task SDK call ran on another event loop"
