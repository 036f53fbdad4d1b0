"""The plan-then-write loop of one sync: resolve, de-duplicate, skip who is on, then add the rest."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from airflow_provider_salesloft.exceptions import (
    SalesloftAPIError,
    SalesloftNotFoundError,
    SalesloftValidationError,
)
from airflow_provider_salesloft.hooks.salesloft import SalesloftHook
from airflow_provider_salesloft.operators.sync.report import SyncReport
from airflow_provider_salesloft.operators.sync.rows import Outcome, PlannedRow, RowOutcome, parse_row


def chunks(rows: Iterable[Any], size: int) -> Iterator[list[tuple[int, Any]]]:
    """Number the rows and group them ``size`` at a time."""
    chunk: list[tuple[int, Any]] = []
    for index, row in enumerate(rows):
        chunk.append((index, row))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def error_reason(error: BaseException) -> str:
    """A row's failure reason: Salesloft's status and message, or the error's own text."""
    if isinstance(error, SalesloftAPIError):
        return f"{error.status_code}: {error.message}"
    return str(error) or error.__class__.__name__


class SyncRun:
    """The state of one sync's ``execute``: which pairs were seen, who is on each cadence.

    :param hook: the Salesloft hook (its pool sized for ``concurrency``).
    :param report: where every row's outcome is recorded.
    :param defaults: the operator's ``cadence_id``, ``user_id`` and ``step_id``.
    :param dry_run: plan only: no writes.
    :param concurrency: adds in flight at once.
    """

    def __init__(
        self,
        hook: SalesloftHook,
        report: SyncReport,
        defaults: Mapping[str, int | None],
        dry_run: bool,
        concurrency: int,
    ) -> None:
        self.hook = hook
        self.report = report
        self.defaults = defaults
        self.dry_run = dry_run
        self.concurrency = concurrency
        self.seen_pairs: set[tuple[int, int]] = set()
        self.members: dict[int, set[int]] = {}  # cadence -> people on it (listed once per cadence)
        self.missing_cadences: dict[int, str] = {}  # cadence -> why it cannot be used
        self._visible_users: set[int] | None = None  # listed once, only if a 404 needs explaining
        self._lookup_lock = threading.Lock()

    def run(self, numbered_chunks: Iterable[list[tuple[int, Any]]]) -> None:
        """Plan and write chunk after chunk."""
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="salesloft-sync") as pool:
            for chunk in numbered_chunks:
                planned: list[PlannedRow] = []
                for index, row in chunk:
                    parsed = parse_row(index, row, self.defaults)
                    if isinstance(parsed, RowOutcome):
                        self.report.record(parsed)
                    else:
                        planned.append(parsed)
                self._apply(pool, self.plan(planned))
                self.report.maybe_log_progress(self.hook.pacer.stats.requests)

    # -- planning ----------------------------------------------------------------------------------------
    def plan(self, rows: list[PlannedRow]) -> list[PlannedRow]:
        """Resolve emails, drop repeats, skip people already on their cadence: return the rows to add."""
        self._resolve_emails([row for row in rows if row.person_id is None])
        to_add: list[PlannedRow] = []
        for row in rows:
            if row.person_id is None:
                self.report.record(
                    row.outcome(Outcome.PERSON_NOT_FOUND, reason="no Salesloft person has this email")
                )
                continue
            pair = (row.person_id, row.cadence_id)
            if pair in self.seen_pairs:
                self.report.record(row.outcome(Outcome.DUPLICATES))
                continue
            self.seen_pairs.add(pair)
            problem = self._cadence_problem(row.cadence_id)
            if problem is not None:
                self.report.record(row.outcome(Outcome.FAILED, reason=problem))
            elif row.person_id in self._members(row.cadence_id):
                self.report.record(row.outcome(Outcome.ALREADY_ON_CADENCE))
            else:
                to_add.append(row)
        return to_add

    def _resolve_emails(self, rows: list[PlannedRow]) -> None:
        emails = list(dict.fromkeys(row.email.lower() for row in rows if row.email))
        found: dict[str, int] = {}
        for person in self.hook.find_people_by_email(emails):  # 100 emails a call
            address = str(person.get("email_address") or "").lower()
            if address and address not in found:
                found[address] = int(person["id"])
        for row in rows:
            row.person_id = found.get(row.email.lower()) if row.email else None

    def _cadence_problem(self, cadence_id: int) -> str | None:
        if cadence_id not in self.missing_cadences and cadence_id not in self.members:
            try:
                self.hook.get_cadence(cadence_id)
            except SalesloftNotFoundError as error:
                self.missing_cadences[cadence_id] = (
                    f"cadence {cadence_id} not found or not visible: {error.message}"
                )
        return self.missing_cadences.get(cadence_id)

    def _members(self, cadence_id: int) -> set[int]:
        if cadence_id not in self.members:
            self.members[cadence_id] = {
                int(membership["person"]["id"])
                for membership in self.hook.iter_cadence_memberships(
                    cadence_id=cadence_id, currently_on_cadence=True
                )
                if isinstance(membership.get("person"), Mapping)
            }
        return self.members[cadence_id]

    # -- writing -----------------------------------------------------------------------------------------
    def _apply(self, pool: ThreadPoolExecutor, rows: list[PlannedRow]) -> None:
        if self.dry_run:
            for row in rows:
                self.report.record(row.outcome(Outcome.ADDED, reason="dry run: would be added"))
            return
        pending: set[Future[RowOutcome]] = set()
        for row in rows:
            pending.add(pool.submit(self._add, row))
            if len(pending) >= self.concurrency * 2:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                self._collect(done)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            self._collect(done)

    def _collect(self, done: Iterable[Future[RowOutcome]]) -> None:
        for future in done:
            outcome = future.result()
            self.report.record(outcome)
            if (
                outcome.outcome in (Outcome.ADDED, Outcome.ALREADY_ON_CADENCE)
                and outcome.person_id
                and outcome.cadence_id
            ):
                self.members.setdefault(outcome.cadence_id, set()).add(outcome.person_id)
        self.report.maybe_log_progress(self.hook.pacer.stats.requests)

    def _add(self, row: PlannedRow) -> RowOutcome:
        """Add one person; never raises: every error becomes the row's outcome."""
        assert row.person_id is not None
        try:
            membership, added_now = self.hook.ensure_cadence_membership(
                row.person_id, row.cadence_id, user_id=row.user_id, step_id=row.step_id
            )
            outcome = Outcome.ADDED if added_now else Outcome.ALREADY_ON_CADENCE
            return row.outcome(outcome, membership.get("id"))
        except SalesloftValidationError as error:
            return row.outcome(Outcome.FAILED, reason=error_reason(error))
        except SalesloftNotFoundError as error:
            return self._explain_not_found(row, error)
        except Exception as error:  # every row is accounted for, whatever went wrong
            return row.outcome(Outcome.FAILED, reason=error_reason(error))

    def _explain_not_found(self, row: PlannedRow, error: SalesloftNotFoundError) -> RowOutcome:
        """A 404 on an add: find out which record is missing (the cadence was checked when planning)."""
        hidden = "not found or not visible to the connection's user"
        if row.user_id is not None and row.user_id not in self._users():
            return row.outcome(Outcome.FAILED, reason=f"user_id {row.user_id} {hidden}")
        if row.email is None and row.step_id is None:
            return row.outcome(Outcome.PERSON_NOT_FOUND, reason=f"person {row.person_id} {hidden}")
        # The person was found by email a moment ago, or a step was named: say what may be missing.
        suspects = [f"person {row.person_id}" + (" (found by email)" if row.email else "")]
        if row.step_id is not None:
            suspects.append(f"step_id {row.step_id}")
        return row.outcome(Outcome.FAILED, reason=f"{' or '.join(suspects)} {hidden} ({error_reason(error)})")

    def _users(self) -> set[int]:
        with self._lookup_lock:
            if self._visible_users is None:
                self._visible_users = {
                    int(user["id"]) for user in self.hook.iter_users() if isinstance(user.get("id"), int)
                }
            return self._visible_users
