"""Attack on issue 22's "one share for every operator": a deferred upsert's polls, in the triggerer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_provider_salesloft.hooks import salesloft
from airflow_provider_salesloft.testing import SalesloftSimulator
from airflow_provider_salesloft.triggers.bulk_job import SalesloftBulkJobTrigger
from unit.operators.test_upsert_resume import Store, run_try


class RecordingHook:
    """Stands in for the hook the trigger builds: records its arguments, says the job is done."""

    built: list[dict[str, Any]] = []

    def __init__(self, conn_id: str, **kwargs: Any) -> None:
        self.built.append(kwargs)

    def get_bulk_job(self, job_id: int) -> dict[str, Any]:
        return {"id": job_id, "state": "done"}

    def close(self) -> None:
        pass


@pytest.mark.salesloft_simulator(rate_limit=1_000_000, bulk_job_records_per_s=2)
def test_a_deferred_upserts_polls_keep_to_the_tasks_share(
    salesloft_simulator: SalesloftSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``UpsertPeopleOperator(rate_limit_share=0.2, deferrable=True)``: the trigger's polls run at 0.2 too.
    Before: the trigger built its hook without the share, so the polls ran at the connection's (0.9)."""
    from airflow.providers.common.compat.sdk import TaskDeferred

    with pytest.raises(TaskDeferred) as deferred:
        run_try(Store(), 1, deferrable=True, rate_limit_share=0.2)
    trigger = deferred.value.trigger
    assert isinstance(trigger, SalesloftBulkJobTrigger)
    _, kwargs = trigger.serialize()
    assert kwargs["rate_limit_share"] == 0.2
    revived = SalesloftBulkJobTrigger(**kwargs)  # as the triggerer builds it from the database
    monkeypatch.setattr(salesloft, "SalesloftHook", RecordingHook)
    RecordingHook.built.clear()

    async def first_event() -> Any:
        return await revived.run().__anext__()

    event = asyncio.run(first_event())
    assert event.payload["status"] == "done"
    assert RecordingHook.built == [{"pool_size": 1, "rate_limit_share": 0.2}]


def test_a_trigger_serialized_before_the_share_was_carried_still_runs() -> None:
    """A trigger row written by 0.5.0 (no ``rate_limit_share``): the polls use the connection's share."""
    trigger = SalesloftBulkJobTrigger("salesloft_default", 7, 1.0, 0.0)
    assert trigger.rate_limit_share is None
