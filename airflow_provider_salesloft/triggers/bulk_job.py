"""Wait for a Salesloft bulk job in the triggerer, so a deferred task holds no worker slot meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent
from asgiref.sync import sync_to_async


class SalesloftBulkJobTrigger(BaseTrigger):
    """Poll ``GET /v2/bulk_jobs/{id}`` until the job is ``done``, then fire one event.

    The event is ``{"status": "done" | "timeout" | "error", "job_id", "job", "message", "carry"}``; it
    carries the job id and ``carry`` (what the resuming task needs) itself, since the ``kwargs`` of
    ``defer()`` do not reach the resume method on every Airflow line.

    Each poll is one call through :class:`~airflow_provider_salesloft.hooks.salesloft.SalesloftHook`,
    run in a thread: auth (API key or OAuth with the shared token store), pacing, retries and error
    decoding are the hook's, written once. The thread is asgiref's ``sync_to_async`` (as Airflow's own
    triggers and ``aget_connection`` use for sync code), not ``asyncio.to_thread``: the hook reads the
    connection and the token store through the Task SDK, whose triggerer client sends with
    ``async_to_sync`` on Airflow 3.1; only from a ``sync_to_async`` thread does that run on the
    triggerer's own event loop, behind its lock. From a plain thread it ran on a new loop beside it, the
    triggerer's frames interleaved and its runner died ("Response read out of order",
    apache/airflow#64620).

    :param salesloft_conn_id: the Salesloft connection.
    :param job_id: the bulk job.
    :param poll_interval_s: longest wait between polls (the first come sooner: see
        :func:`~airflow_provider_salesloft.hooks.bulk_jobs.poll_delays`).
    :param deadline: wall-clock time (``time.time()``) after which the trigger gives up.
    :param carry: JSON-serialisable state handed back to the task in the event.
    :param rate_limit_share: the deferring task's share of the team's rate limit, which the polls keep to as
        well (None: the connection's extra ``rate_limit_share``).
    """

    def __init__(
        self,
        salesloft_conn_id: str,
        job_id: int,
        poll_interval_s: float,
        deadline: float,
        carry: dict[str, Any] | None = None,
        rate_limit_share: float | None = None,
    ) -> None:
        super().__init__()
        self.salesloft_conn_id = salesloft_conn_id
        self.job_id = int(job_id)
        self.poll_interval_s = float(poll_interval_s)
        self.deadline = float(deadline)
        self.carry = carry or {}
        self.rate_limit_share = rate_limit_share

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The trigger's class path and arguments (stored in Airflow's database)."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "salesloft_conn_id": self.salesloft_conn_id,
                "job_id": self.job_id,
                "poll_interval_s": self.poll_interval_s,
                "deadline": self.deadline,
                "carry": self.carry,
                "rate_limit_share": self.rate_limit_share,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until done, past the deadline, or failed; yield one event."""
        from airflow_provider_salesloft.exceptions import SalesloftError
        from airflow_provider_salesloft.hooks.bulk_jobs import poll_delays
        from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

        hook = SalesloftHook(self.salesloft_conn_id, pool_size=1, rate_limit_share=self.rate_limit_share)
        # Not thread-sensitive: a poll may sleep (pacing, retries); it must not hold the one thread every
        # thread-sensitive call of the triggerer (other triggers included) shares.
        get_bulk_job = sync_to_async(hook.get_bulk_job, thread_sensitive=False)
        delays = poll_delays(self.poll_interval_s)
        event: dict[str, Any] = {"job_id": self.job_id, "carry": self.carry}
        try:
            while True:
                job = await get_bulk_job(self.job_id)
                if job.get("state") == "done":
                    event.update(status="done", job=job, message=None)
                    break
                delay = next(delays)
                if time.time() + delay > self.deadline:
                    event.update(
                        status="timeout",
                        job=job,
                        message=f"bulk job {self.job_id} not done by its deadline (state "
                        f"{job.get('state')!r}, {job.get('processed')} of {job.get('total')} processed)",
                    )
                    break
                self.log.info(
                    "Salesloft bulk job %s: %s, %s of %s processed",
                    self.job_id,
                    job.get("state"),
                    job.get("processed"),
                    job.get("total"),
                )
                await asyncio.sleep(delay)
        except SalesloftError as error:  # typed errors hold no secret (see the hook)
            event.update(status="error", job=None, message=str(error))
        finally:
            await sync_to_async(hook.close, thread_sensitive=False)()
        yield TriggerEvent(event)
