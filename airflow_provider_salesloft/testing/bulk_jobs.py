"""Bulk jobs as the simulated Salesloft runs them (``person/upsert``, the documented type).

A job is created ``open``, takes up to :data:`MAX_RECORDS_PER_UPLOAD` records per upload, starts
``executing`` when marked ready, and processes its records at ``Faults.bulk_job_records_per_s`` (the
counts rise as it works); each record is upserted as ``POST /v2/person_upserts`` would, and a record that
fails becomes an error result. Results are served only once the job is ``done``, read with an ``id[gt]``
cursor, 100 at most a page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_salesloft.testing.api import ApiError, as_list, invalid, not_found, optional_int_or_none
from airflow_provider_salesloft.testing.people import upsert_person
from airflow_provider_salesloft.testing.state import SalesloftState, now_iso

#: Records one ``job_data`` upload may carry.
MAX_RECORDS_PER_UPLOAD = 5000
JOB_TYPES = ("person/upsert",)


@dataclass
class BulkJob:
    """One bulk job and its records."""

    id: int
    type: str
    name: str | None
    created_at: str
    state: str = "open"
    records: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0
    handled: int = 0  # records processed (a lost result is processed but not in ``results``)
    marked_ready_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    started: float = 0.0  # monotonic time processing began
    first_record_id: int = 0  # job data ids: from this one, in upload order
    updated_at: str = ""

    def render(self) -> dict[str, Any]:
        """The job as ``GET /v2/bulk_jobs/{id}`` shows it."""
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "state": self.state,
            "ready_to_execute": self.state != "open",
            "total": len(self.records),
            "processed": len(self.results),
            "errors": self.errors,
            "scopes": [],
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
            "marked_ready_at": self.marked_ready_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


class BulkJobs:
    """Every bulk job of the team.

    :param state: the team's records (the jobs' upserts change them).
    :param records_per_s: how fast jobs run, asked on every read (0: at once).
    :param lose_result: asked per processed record: True drops its result (``Faults.lost_result_share``).
    """

    def __init__(
        self,
        state: SalesloftState,
        records_per_s: Callable[[], float],
        lose_result: Callable[[], bool] = lambda: False,
    ) -> None:
        self.state = state
        self.records_per_s = records_per_s
        self.lose_result = lose_result
        self.jobs: dict[int, BulkJob] = {}
        self._next_job_id = 700
        self._next_result_id = 0

    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        """``POST /v2/bulk_jobs``."""
        kind = params.get("type")
        if kind not in JOB_TYPES:
            raise invalid("type", f"must be one of {', '.join(JOB_TYPES)}")
        self._next_job_id += 1
        name = params.get("name")
        job = BulkJob(self._next_job_id, str(kind), None if name is None else str(name), now_iso())
        job.first_record_id = job.id * 1_000_000 + 1
        self.jobs[job.id] = job
        return job.render()

    def job(self, ident: int) -> BulkJob:
        """A job by id, its processing brought up to now (404 when missing)."""
        job = self.jobs.get(ident)
        if job is None:
            raise not_found()
        self._advance(job)
        return job

    def add_data(self, ident: int, params: dict[str, Any]) -> dict[str, Any]:
        """``POST /v2/bulk_jobs/{id}/job_data``."""
        job = self.job(ident)
        records = params.get("data")
        if not isinstance(records, list) or not records:
            raise invalid("data", "must be a non-empty list of records")
        if len(records) > MAX_RECORDS_PER_UPLOAD:
            raise invalid("data", f"can have at most {MAX_RECORDS_PER_UPLOAD} records")
        if job.state != "open":
            raise invalid("bulk_job", "is not open: data can only be added to open jobs")
        job.records.extend(record if isinstance(record, dict) else {"value": record} for record in records)
        job.updated_at = now_iso()
        return {"records": len(records)}

    def update(self, ident: int, params: dict[str, Any]) -> dict[str, Any]:
        """``PUT /v2/bulk_jobs/{id}``: ``ready_to_execute`` starts the job; a new ``name`` renames it.

        Salesloft's definition: "May only be updated if the bulk job is still in an 'open' state": any
        update of a started job is a 422.
        """
        job = self.job(ident)
        if job.state != "open":
            raise invalid("bulk_job", f"is {job.state}: may only be updated while open")
        if str(params.get("ready_to_execute")).lower() == "true":
            job.state = "executing"
            job.marked_ready_at = job.started_at = job.updated_at = now_iso()
            job.started = time.monotonic()
            self._advance(job)
        if params.get("name") is not None:
            job.name = str(params["name"])
        return job.render()

    def list_jobs(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``GET /v2/bulk_jobs``: filters ``state[]``; by id after ``id[gt]``, ``per_page`` at most (the
        definition lists no page numbers)."""
        states = {str(value) for value in as_list(params.get("state[]") or [])}
        found = []
        for ident in sorted(self.jobs):
            job = self.job(ident)
            if not states or job.state in states:
                found.append(job.render())
        return _after_cursor(found, params)

    def job_data(self, ident: int, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``GET /v2/bulk_jobs/{id}/job_data``: the uploaded records (``pending`` until processed), filter
        ``status[]``, by id after ``id[gt]``."""
        job = self.job(ident)
        statuses = {str(value) for value in as_list(params.get("status[]") or [])}
        rows = []
        for index, record in enumerate(job.records):
            done = job.results[index] if index < len(job.results) else None
            row = {
                "id": job.first_record_id + index,
                "status": done["status"] if done else "pending",
                "error": done["error"] if done else None,
                "record": record,
                "resource": done["resource"] if done else None,
            }
            if not statuses or row["status"] in statuses:
                rows.append(row)
        return _after_cursor(rows, params)

    def results(self, ident: int, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``GET /v2/bulk_jobs/{id}/results``: nothing until ``done``; then by id after ``id[gt]``."""
        job = self.job(ident)
        if job.state != "done":
            return []
        return _after_cursor(job.results, params)

    def _advance(self, job: BulkJob) -> None:
        """Process the records the job's speed allows by now."""
        if job.state != "executing":
            return
        rate = self.records_per_s()
        due = len(job.records) if rate <= 0 else int((time.monotonic() - job.started) * rate)
        for record in job.records[job.handled : min(due, len(job.records))]:
            job.handled += 1
            self._next_result_id += 1
            result: dict[str, Any] = {"id": self._next_result_id, "record": record}
            try:
                upserted = upsert_person(self.state, dict(record))
            except ApiError as error:
                job.errors += 1
                result.update(status="error", error=_message(error), resource=None)
            else:
                person = upserted["person"]
                result.update(
                    status="success",
                    error=None,
                    resource={"person": person, "upsert_type": upserted["upsert_type"]},
                )
            if not self.lose_result():
                job.results.append(result)
        if job.handled >= len(job.records):
            job.state = "done"
            job.finished_at = job.updated_at = now_iso()


def _after_cursor(records: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """The records after ``id[gt]``, ``per_page`` (1-100, default 25) at most: Salesloft's cursor lists."""
    after = optional_int_or_none(params, "id[gt]") or 0
    per_page = min(max(optional_int_or_none(params, "per_page") or 25, 1), 100)
    return [record for record in records if record["id"] > after][:per_page]


def _message(error: ApiError) -> str:
    """An error answer as one line, as bulk results state errors."""
    errors = error.body.get("errors")
    if isinstance(errors, dict):
        return "; ".join(f"{name} {' '.join(map(str, messages))}" for name, messages in errors.items())
    return str(error.body.get("error") or error.status)
