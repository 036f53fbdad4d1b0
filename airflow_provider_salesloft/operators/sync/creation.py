"""``create_missing_people``: the rows no email found wait here until their person is created."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_provider_salesloft.exceptions import SalesloftError, error_summary
from airflow_provider_salesloft.hooks.stopping import stop_on_exit
from airflow_provider_salesloft.operators.person_upserts import PeopleUpserter, UpsertResult, use_bulk
from airflow_provider_salesloft.operators.sync.people import Person, unreachable_reason
from airflow_provider_salesloft.operators.sync.rows import Outcome, PlannedRow, RowOutcome

if TYPE_CHECKING:
    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
    from airflow_provider_salesloft.operators.prechecks import Prechecks
    from airflow_provider_salesloft.operators.sync.named import NamedPeople
    from airflow_provider_salesloft.operators.sync.report import SyncReport

#: Decides a row once its person is known: its outcome, or None when the person should be added.
Decide = Callable[[PlannedRow, list[Person]], "RowOutcome | None"]


@dataclass(frozen=True)
class CreateOptions:
    """How ``create_missing_people`` creates people.

    :param field_map: column -> person field (see :mod:`~airflow_provider_salesloft.person_fields`).
    :param bulk_threshold: people from which one bulk job is used (None: whichever costs fewer calls).
    :param poll_interval_s: seconds between looks at the bulk job.
    :param timeout_s: how long to wait for the bulk job.
    :param job_name: the bulk job's unique name.
    """

    field_map: dict[str, str]
    bulk_threshold: int | None
    poll_interval_s: float
    timeout_s: float
    job_name: str


class MissingPeople:
    """The rows whose email no Salesloft person has, grouped by lower-cased email, until they are created.

    Every row that waits here ends with an outcome: added after its person is created (returned by
    :meth:`create` for the caller to add), or recorded in ``report`` with the reason it was not.

    :param hook: the Salesloft hook.
    :param report: where the outcomes of rows that are not added are recorded.
    :param prechecks: the run's cadence and step checks (each checked once).
    :param named: whom the rows name: a created person is named too, so a mirror keeps them.
    :param options: how to create them.
    """

    def __init__(
        self,
        hook: SalesloftHook,
        report: SyncReport,
        prechecks: Prechecks,
        named: NamedPeople,
        options: CreateOptions,
    ) -> None:
        self.hook = hook
        self.report = report
        self.prechecks = prechecks
        self.named = named
        self.options = options
        self.waiting: dict[str, list[PlannedRow]] = {}  # lower-cased email -> rows waiting for a person
        self.bulk_job_id: int | None = None

    def __bool__(self) -> bool:
        return bool(self.waiting)

    def wait_for_person(self, row: PlannedRow) -> None:
        """Keep ``row`` until its email's person is created."""
        self.waiting.setdefault(str(row.email).lower(), []).append(row)

    def create(self, pool: ThreadPoolExecutor, decide: Decide) -> list[PlannedRow]:
        """Create the waiting people (one call each, or one bulk job): return the rows to add now; every
        other waiting row's outcome is recorded."""
        upserter = PeopleUpserter(self.hook, "email_address", prechecks=self.prechecks)
        people = [
            (email, {**(rows[0].fields or {}), "email_address": rows[0].email})
            for email, rows in self.waiting.items()
        ]
        try:
            if use_bulk(len(people), self.options.bulk_threshold):
                job_id = upserter.start_job(self.options.job_name, (fields for _, fields in people))
                self.bulk_job_id = job_id
                options = self.options
                job = self.hook.wait_for_bulk_job(job_id, options.poll_interval_s, options.timeout_s)
                processed = job.get("processed")
                results = upserter.job_results(job_id, processed if isinstance(processed, int) else None)
            else:
                results = upserter.one_by_one(pool, people)
            with stop_on_exit(self.hook.pacer):
                to_add = [row for result in results for row in self._created(result, decide)]
        except SalesloftError as error:  # the job could not be run or read: every waiting row says why
            to_add = []
            self._fail_waiting(f"could not create the person: {error_summary(error)}")
        self._fail_waiting("Salesloft returned no result for this person's creation")
        return to_add

    def would_create(self) -> None:
        """Dry run: record what :meth:`create` would do for every waiting row."""
        for rows in self.waiting.values():
            self._would_create(rows)
        self.waiting.clear()

    def _created(self, result: UpsertResult, decide: Decide) -> list[PlannedRow]:
        """Decide the rows waiting for ``result``'s person: the ones to add now (others are recorded)."""
        rows = self.waiting.pop(result.key, [])
        if result.person is None:
            for row in rows:
                self.report.record(
                    row.outcome(
                        Outcome.INVALID if result.invalid else Outcome.FAILED,
                        reason=f"could not create the person: {result.error}",
                    )
                )
            return []
        to_add = []
        for row in rows:
            self.named.name(row.cadence_id, [result.person])
            row.created = result.upsert_type == "create"
            outcome = decide(row, [result.person])
            if outcome is None:
                to_add.append(row)
            else:
                self.report.record(outcome)
        return to_add

    def _would_create(self, rows: list[PlannedRow]) -> None:
        """The rows of one email that would be created and added (repeated cadences: duplicates)."""
        cadences: set[int] = set()
        for row in rows:
            if row.cadence_id in cadences:
                self.report.record(row.outcome(Outcome.DUPLICATES))
                continue
            cadences.add(row.cadence_id)
            problem = self.prechecks.row_problem(row.cadence_id, row.step_id)
            unreachable = unreachable_reason({"id": "to be created", **(row.fields or {})})
            if problem is not None:
                self.report.record(row.outcome(Outcome.INVALID, reason=problem))
            elif unreachable is not None:
                self.report.record(
                    row.outcome(Outcome.DO_NOT_CONTACT, reason=f"would be created; {unreachable}")
                )
            else:
                self.report.record(
                    row.outcome(Outcome.CREATED_AND_ADDED, reason="dry run: would be created and added")
                )

    def _fail_waiting(self, reason: str) -> None:
        for rows in self.waiting.values():
            for row in rows:
                self.report.record(row.outcome(Outcome.FAILED, reason=reason))
        self.waiting.clear()
