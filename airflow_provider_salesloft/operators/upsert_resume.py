"""A bulk upsert that survives a lost worker: where its job got to, kept in Airflow's task state store.

Airflow 3.3 (AIP-103) gives each task instance a key/value store that outlives its tries
(``context["task_state_store"]``). :class:`UpsertPeopleOperator` keeps one entry there, under
:data:`STORE_KEY`, while its bulk job is not read yet::

    {"job_id": 701, "name": "airflow dag.task run try 1", "held": 5000, "sending": 5000,
     "digest": "<sha256 of the first held + sending records as sent>", "api_calls": 4}

It is written before each upload (``held``: records the job surely holds, ``sending``: the upload in flight)
and once more before the job is started; before the job is created it is ``{"creating": name, "api_calls":
n}`` (a retry finds that empty open job by its name instead of creating a second one). A retry reads it back
and, when Salesloft still knows the job by that id and name and the first ``held + sending`` records of this
try's input hash to ``digest``, it skips what the job holds (``total`` says whether the upload in flight
arrived), uploads the rest and starts the job, or, if it started already, only waits for it. Anything else
(no entry, a job Salesloft no longer knows, other input, an unexpected ``total``) starts a new job, logged.
The entry is removed once the job's results are read, so clearing a finished task runs the upsert again.

Nothing secret is stored: ids, counts, the job's name and a SHA-256 digest. Lines before 3.3 have no store:
a retry starts a new job there (and says so in its log).

Why not ``airflow.sdk.bases.resumablejobmixin.ResumableJobMixin``: it exists on 3.3+ only (a base class of
the operator cannot be), it keeps an id only once the job is submitted (a bulk job is created, then filled
by uploads, then started: the uploads need a cursor and a check that the input is the same), and it has no
deferred path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from airflow_provider_salesloft.exceptions import SalesloftNotFoundError
from airflow_provider_salesloft.operators.person_upserts import PeopleUpserter
from airflow_provider_salesloft.person_fields import MAX_RECORDS_PER_UPLOAD
from airflow_provider_salesloft.validation import MAX_ID

#: The task state store key of the upsert's bulk job.
STORE_KEY = "salesloft_bulk_upsert"
#: Records per upload (Salesloft's limit; smaller in tests).
UPLOAD_SIZE = MAX_RECORDS_PER_UPLOAD


class RecordDigest:
    """A running SHA-256 over records as they are sent, in order, and their count."""

    def __init__(self, records: Iterable[Mapping[str, Any]] = ()) -> None:
        self._hash = hashlib.sha256()
        self.count = 0
        for record in records:
            self.add(record)

    def add(self, record: Mapping[str, Any]) -> None:
        """Take one more record."""
        self._hash.update(json.dumps(record, sort_keys=True, default=str).encode() + b"\n")
        self.count += 1

    def hexdigest(self) -> str:
        """The digest of every record taken so far (more can be taken after)."""
        return self._hash.hexdigest()


class JobStore:
    """This task instance's bulk-job entry in the task state store; without a store, nothing is kept.

    :param store: ``context["task_state_store"]`` (None before Airflow 3.3).
    :param log: the operator's logger.
    :param calls: this try's API calls so far (saved with the calls of earlier tries).
    """

    def __init__(self, store: Any, log: Any, calls: Callable[[], int] = lambda: 0) -> None:
        self.store = store
        self.log = log
        self.calls = calls
        self.earlier_calls = 0

    @classmethod
    def of(cls, context: Mapping[str, Any], log: Any, calls: Callable[[], int] = lambda: 0) -> JobStore:
        """The store of the running task (logged when this Airflow has none)."""
        store = context.get("task_state_store")
        if store is None:
            log.info(
                "Salesloft upsert: this Airflow has no task state store (3.3+): "
                "a retry of this task starts a new bulk job and uploads every record again"
            )
        return cls(store, log, calls)

    def load(self) -> dict[str, Any] | None:
        """The entry an earlier try left, if it is well formed."""
        if self.store is None:
            return None
        entry = self.store.get(STORE_KEY)
        if entry is None:
            return None
        if _creating(entry):
            self.earlier_calls = entry["api_calls"]
            return entry
        if not _well_formed(entry):
            self.log.warning("Salesloft upsert: ignoring a malformed task state entry %r", entry)
            return None
        self.earlier_calls = entry["api_calls"]
        return entry

    def save_creating(self, name: str) -> None:
        """Record that a job of this name is being created (its id is not known until the answer)."""
        if self.store is not None:
            self.store.set(STORE_KEY, {"creating": name, "api_calls": self.earlier_calls + self.calls()})

    def save(self, job_id: int, name: str, held: int, sending: int, digest: str) -> None:
        """Record where the job got to (before the upload of ``sending`` records is sent)."""
        if self.store is not None:
            entry = {"job_id": job_id, "name": name, "held": held, "sending": sending, "digest": digest}
            self.store.set(STORE_KEY, {**entry, "api_calls": self.earlier_calls + self.calls()})

    def forget(self) -> None:
        """Remove the entry: the job's results are read."""
        if self.store is not None:
            self.store.delete(STORE_KEY)


def _well_formed(entry: Any) -> bool:
    """Whether ``entry`` can be this operator's: a job id a job can have (a positive 64-bit int, not a
    bool), counts that are not negative, a name and a digest (anything else, written by hand through the
    store's API or by another task, is ignored rather than read: a bad id failed every try for good, a
    negative count resumed a job at the wrong record)."""
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("name", "digest")):
        return False
    counts = [entry.get(k) for k in ("held", "sending", "api_calls")]
    job_id = entry.get("job_id")
    return all(type(v) is int and v >= 0 for v in counts) and type(job_id) is int and 0 < job_id <= MAX_ID


def _creating(entry: Any) -> bool:
    """Whether ``entry`` says a job of its name was being created (see :meth:`JobStore.save_creating`)."""
    if not isinstance(entry, dict) or set(entry) != {"creating", "api_calls"}:
        return False
    calls = entry["api_calls"]
    return isinstance(entry["creating"], str) and type(calls) is int and calls >= 0


def _created(upserter: PeopleUpserter, jobs: JobStore, name: str) -> tuple[tuple[int, str], int, bool] | None:
    """The empty open job an earlier try created under ``name`` before it could keep its id, if any."""
    job = upserter.hook.find_open_bulk_job(name)
    if job is None or job.get("total") != 0:
        return None
    jobs.log.info("Salesloft upsert: resuming bulk job %s, created by an earlier try (empty)", job["id"])
    return (int(job["id"]), name), 0, False


def start_or_resume(
    upserter: PeopleUpserter, name: str, people: Iterable[Mapping[str, Any]], jobs: JobStore
) -> int:
    """The id of a started bulk job holding every person's record: the job an earlier try left, resumed
    where it got to, or a new one (see the module's docstring)."""
    hook, log = upserter.hook, jobs.log
    records = upserter.job_records(people)
    taken: list[dict[str, Any]] = []  # records read to compare with the stored job's
    digest = RecordDigest()
    resumed = _resumable(upserter, jobs, records, digest, taken, name)
    if resumed is None:
        jobs.save_creating(name)  # a try lost before the id is kept: the retry finds the job by name
        job_id, held, started = int(hook.create_bulk_job(name)["id"]), 0, False
        digest = RecordDigest(taken)
    else:
        (job_id, name), held, started = resumed
    if started:
        return job_id

    def to_send() -> Iterator[dict[str, Any]]:
        yield from taken[held:]  # in the digest already
        for record in records:
            digest.add(record)
            yield record

    uploaded = held
    if resumed is None:  # from now on a retry finds this job
        jobs.save(job_id, name, 0, 0, RecordDigest().hexdigest())
    sending = to_send()
    while batch := list(islice(sending, UPLOAD_SIZE)):
        jobs.save(job_id, name, uploaded, len(batch), digest.hexdigest())
        uploaded += hook.add_bulk_job_data(job_id, batch, uploaded_before=uploaded)
    jobs.save(job_id, name, uploaded, 0, digest.hexdigest())
    hook.start_bulk_job(job_id)
    log.info("Salesloft bulk job %s started with %d records", job_id, uploaded)
    return job_id


def _resumable(
    upserter: PeopleUpserter,
    jobs: JobStore,
    records: Iterator[dict[str, Any]],
    digest: RecordDigest,
    taken: list[dict[str, Any]],
    name: str,
) -> tuple[tuple[int, str], int, bool] | None:
    """``((job id, name), records it holds, started)`` of the job an earlier try of this task instance
    (``name``: this try's job name) left, if this input is that job's; records read to tell are in
    ``taken`` (hashed into ``digest``)."""
    entry = jobs.load()
    if entry is None:
        return None
    stored = entry.get("creating", entry.get("name"))
    if not str(stored).startswith(name.rsplit(" try ", 1)[0] + " try "):  # DAG, task, map index, run
        jobs.log.warning("Salesloft upsert: bulk job %r is not this task's: starting a new job", stored)
        return None
    if "creating" in entry:
        return _created(upserter, jobs, entry["creating"])
    job_id, log = entry["job_id"], jobs.log
    try:
        job = upserter.hook.get_bulk_job(job_id)
    except SalesloftNotFoundError:
        log.warning("Salesloft upsert: Salesloft no longer knows bulk job %s: starting a new job", job_id)
        return None
    if job.get("name") != entry["name"]:
        log.warning("Salesloft upsert: bulk job %s is not this task's: starting a new job", job_id)
        return None
    want = entry["held"] + entry["sending"]
    for record in islice(records, want):
        digest.add(record)
        taken.append(record)
    from airflow_provider_salesloft.hooks.bulk_jobs import STARTED_STATES  # the hook's modules load requests

    started = job.get("state") in STARTED_STATES
    if started and digest.count == want and (extra := next(records, None)) is not None:
        taken.append(extra)  # more input than the job holds
        digest.add(extra)
    total = job.get("total")
    if digest.count != want or digest.hexdigest() != entry["digest"] or len(taken) > want:
        log.warning(
            "Salesloft upsert: this input is not the one bulk job %s was filled from: starting a new job",
            job_id,
        )
        return None
    if total not in (want, entry["held"]) or (started and total != want):
        log.warning(
            "Salesloft upsert: bulk job %s holds %r records, not %d or %d: starting a new job",
            job_id,
            total,
            entry["held"],
            want,
        )
        return None
    log.info(
        "Salesloft upsert: resuming bulk job %s of an earlier try (%s, %s of %d records uploaded)",
        job_id,
        job.get("state"),
        total,
        want,
    )
    return (job_id, entry["name"]), int(total), started
