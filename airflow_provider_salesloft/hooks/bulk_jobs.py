"""The hook's bulk-job actions: create a job, upload its records, start it, follow it, read its results.

Every write is safe to repeat after a lost answer: a created job is found again by its name (give each job
a unique one), an upload is checked against the job's ``total`` before it is sent again, and a start is
checked against the job's ``state``. Salesloft's API definition: ``PUT /v2/bulk_jobs/{id}`` "May only be
updated if the bulk job is still in an 'open' state", so a start sent again to a job that did start is
refused; an ``executing`` or ``done`` job is taken as started.

Salesloft's lists of jobs, job data and results have no page numbers ("Pagination is not supported, but
cursor based polling is via use of the ``id[gt]`` filter"): each is read with that cursor.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from airflow_provider_salesloft.exceptions import (
    SalesloftBulkJobTimeoutError,
    SalesloftInvalidArgumentError,
    SalesloftUnexpectedAnswerError,
    SalesloftValidationError,
)
from airflow_provider_salesloft.hooks.actions import HookActions
from airflow_provider_salesloft.hooks.paging import MAX_PER_PAGE, unwrap
from airflow_provider_salesloft.hooks.transport import query_params, record_of
from airflow_provider_salesloft.person_fields import MAX_RECORDS_PER_UPLOAD
from airflow_provider_salesloft.validation import coerce_id

#: The bulk-job type this provider runs (the one Salesloft documents).
PERSON_UPSERT_JOB = "person/upsert"
#: Job states in which a job has started (``PUT`` is refused in them: "only ... in an 'open' state").
STARTED_STATES = ("executing", "done")


class BulkJobActions(HookActions):
    """``/v2/bulk_jobs`` (mixed into :class:`~.salesloft.SalesloftHook`)."""

    def create_bulk_job(self, name: str, job_type: str = PERSON_UPSERT_JOB) -> dict[str, Any]:
        """``POST /v2/bulk_jobs``: a new job in state ``open``.

        :param name: the job's name; make it unique (e.g. DAG, task, run and try): a create whose answer was
            lost is recognised by it among the open jobs instead of creating a second job.
        :param job_type: the job's type.
        """
        if not isinstance(name, str) or not name.strip():
            raise SalesloftInvalidArgumentError("name", name, "must be a non-empty, unique job name")

        def reconcile() -> dict[str, Any] | None:  # shaped as Salesloft's answer
            job = self.find_open_bulk_job(name, job_type)
            return None if job is None else {"data": job}

        body = {"type": job_type, "name": name}
        answer = self.transport.request("POST", "/v2/bulk_jobs", body=body, reconcile=reconcile)
        return _job_of(answer, "POST", "/v2/bulk_jobs")

    def find_open_bulk_job(self, name: str, job_type: str = PERSON_UPSERT_JOB) -> dict[str, Any] | None:
        """``GET /v2/bulk_jobs`` ``state=open``: the open job of that name and type, if any (the first)."""
        for job in self.iter_bulk_jobs(state=["open"]):
            if job.get("name") == name and job.get("type") == job_type:
                return job
        return None

    def add_bulk_job_data(
        self, job_id: int, records: Sequence[Mapping[str, Any]], uploaded_before: int | None = None
    ) -> int:
        """``POST /v2/bulk_jobs/{id}/job_data``: upload up to 5,000 records; return how many Salesloft took.

        :param uploaded_before: records this job held before this upload. When given, an upload whose answer
            was lost is checked against the job's ``total`` and not sent again if it arrived; when not, it is
            sent again (an upsert repeated by its key changes nothing, but the job then lists it twice).
        """
        ident = coerce_id("job_id", job_id)
        if not records or len(records) > MAX_RECORDS_PER_UPLOAD:
            raise SalesloftInvalidArgumentError(
                "records", f"{len(records)} records", f"must hold 1 to {MAX_RECORDS_PER_UPLOAD} records"
            )
        path = f"/v2/bulk_jobs/{ident}/job_data"

        def reconcile() -> dict[str, Any] | None:  # shaped as Salesloft's answer
            if uploaded_before is None:
                return None
            total = self.get_bulk_job(ident).get("total")
            arrived = isinstance(total, int) and total >= uploaded_before + len(records)
            return {"data": {"records": len(records)}} if arrived else None

        body = {"data": [dict(record) for record in records]}
        taken = record_of(self.transport.request("POST", path, body=body, reconcile=reconcile), "POST", path)
        count = taken.get("records")
        if not isinstance(count, int) or count != len(records):
            raise SalesloftUnexpectedAnswerError(
                200, "POST", path, f"Salesloft took {count!r} of the {len(records)} records sent"
            )
        return count

    def start_bulk_job(self, job_id: int) -> dict[str, Any]:
        """``PUT /v2/bulk_jobs/{id}`` ``ready_to_execute``: the job starts ``executing``; return the job.

        A start whose answer was lost is not sent again blindly: the job is read first, and ``executing`` or
        ``done`` means it started. A start refused with a 422 is checked the same way (the job may have
        started through an earlier attempt whose answer was lost: "May only be updated if the bulk job is
        still in an 'open' state").
        """
        ident = coerce_id("job_id", job_id)
        path = f"/v2/bulk_jobs/{ident}"

        def started() -> dict[str, Any] | None:  # shaped as Salesloft's answer
            job = self.get_bulk_job(ident)
            return {"data": job} if job.get("state") in STARTED_STATES else None

        try:
            answer = self.transport.request("PUT", path, body={"ready_to_execute": True}, reconcile=started)
        except SalesloftValidationError:
            found = started()
            if found is None:
                raise
            answer = found
        return _job_of(answer, "PUT", path)

    def get_bulk_job(self, job_id: int) -> dict[str, Any]:
        """``GET /v2/bulk_jobs/{id}``: state (open, executing, done), ``total``, ``processed``, ``errors``."""
        path = f"/v2/bulk_jobs/{coerce_id('job_id', job_id)}"
        return _job_of(self.transport.request("GET", path), "GET", path)

    def iter_bulk_jobs(self, state: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """``GET /v2/bulk_jobs``: every job, or those in ``state`` (open, executing, done), by ``id[gt]``."""
        filters = query_params({"state": list(state)}) if state else {}
        return self._by_id_cursor("/v2/bulk_jobs", filters)

    def iter_bulk_job_data(
        self, job_id: int, status: Sequence[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """``GET /v2/bulk_jobs/{id}/job_data``: the records uploaded to a job, optionally only those whose
        ``status`` is one of ``status`` (pending, success, error, retrying)."""
        path = f"/v2/bulk_jobs/{coerce_id('job_id', job_id)}/job_data"
        return self._by_id_cursor(path, query_params({"status": list(status)}) if status else {})

    def iter_bulk_job_results(
        self, job_id: int, expected: int | None = None, per_page: int = MAX_PER_PAGE
    ) -> Iterator[dict[str, Any]]:
        """``GET /v2/bulk_jobs/{id}/results``: every result of a ``done`` job (``id``, ``status``,
        ``error``, ``record``, ``resource``), read with the ``id[gt]`` cursor.

        :param expected: the job's ``processed`` count, if known: reading stops once that many results
            arrived (saving the empty page that would otherwise end it).
        """
        path = f"/v2/bulk_jobs/{coerce_id('job_id', job_id)}/results"
        return self._by_id_cursor(path, {}, expected=expected, per_page=per_page)

    def _by_id_cursor(
        self,
        path: str,
        filters: Mapping[str, Any],
        expected: int | None = None,
        per_page: int = MAX_PER_PAGE,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a list read with an ``id[gt]`` cursor (no page numbers), until an empty answer
        or ``expected`` records."""
        last, seen = 0, 0
        while expected is None or seen < expected:
            query = {**filters, "per_page": per_page, "id[gt]": last}
            page = unwrap(self.transport.request("GET", path, params=query))
            if not isinstance(page, list):
                raise SalesloftUnexpectedAnswerError(200, "GET", path, "the answer holds no list of records")
            if not page:
                return
            ids: list[int] = [
                ident
                for record in page
                if isinstance(record, dict) and isinstance(ident := record.get("id"), int) and ident > last
            ]
            if len(ids) != len(page):
                raise SalesloftUnexpectedAnswerError(
                    200,
                    "GET",
                    path,
                    f"records after id {last} came without increasing ids: the cursor is ignored",
                )
            yield from page
            seen += len(page)
            last = max(ids)

    def wait_for_bulk_job(
        self,
        job_id: int,
        poll_interval_s: float = 10.0,
        timeout_s: float = 3600.0,
    ) -> dict[str, Any]:
        """Poll ``GET /v2/bulk_jobs/{id}`` until the job is ``done``; return it.

        Looks come 1, 2, 4, ... seconds apart, up to ``poll_interval_s`` (see :func:`poll_delays`).

        :raises SalesloftBulkJobTimeoutError: not done within ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        delays = poll_delays(poll_interval_s)
        while True:
            job = self.get_bulk_job(job_id)
            if job.get("state") == "done":
                return job
            delay = next(delays)
            if time.monotonic() + delay > deadline:
                raise SalesloftBulkJobTimeoutError(int(job_id), job, timeout_s)
            self.log.info(
                "Salesloft bulk job %s: %s, %s of %s records processed; next look in %.1f s",
                job_id,
                job.get("state"),
                job.get("processed"),
                job.get("total"),
                delay,
            )
            self.transport.pacer.pause(delay)  # a stopping task ends the wait at once


#: The first look at a started job comes this soon (a small job is often done by then).
FIRST_POLL_S = 1.0


def poll_delays(poll_interval_s: float) -> Iterator[float]:
    """Seconds between looks at a running job: 1, 2, 4, ... up to ``poll_interval_s``, then that.

    A small job is seen done within a second or two, a large one costs about one call per interval.
    """
    delay = min(FIRST_POLL_S, poll_interval_s)
    while True:
        yield delay
        delay = min(delay * 2, poll_interval_s)


def _job_of(answer: Any, method: str, path: str) -> dict[str, Any]:
    """The job of an answer; an answer without a job id is an error."""
    job = record_of(answer, method, path)
    if not isinstance(job.get("id"), int):
        raise SalesloftUnexpectedAnswerError(200, method, path, "the answer holds no bulk job")
    return job
