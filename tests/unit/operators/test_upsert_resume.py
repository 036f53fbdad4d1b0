"""A retried bulk upsert resumes its job from the task state store (Airflow 3.3+, AIP-103).

The operator runs here with ``execute()`` called directly and a store that behaves like
``context["task_state_store"]`` (get / set / delete, JSON values); the try is lost at every request it
sends to the simulator in turn, before the request leaves or after its answer came (a worker killed then),
and a second try with the same store finishes. Invariants, whatever the point of loss: the records of every
job together are the input's valid records, each once; one job holds them; every person exists once; the
second try's summary counts every person. (``tests/e2e/test_upsert_resume.py`` runs it in real DAG runs
with Airflow's own store; ``tests/deploy/`` kills a real worker.)
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_salesloft.hooks.transport import SalesloftTransport
from airflow_provider_salesloft.operators import UpsertPeopleOperator, upsert_resume
from airflow_provider_salesloft.operators.upsert_resume import STORE_KEY, JobStore, RecordDigest
from airflow_provider_salesloft.testing import SalesloftSimulator

pytestmark = pytest.mark.salesloft_simulator(
    rate_limit=1_000_000, connection_extras={"retry_backoff_base_s": 0.01}
)


def people_rows(prefix: str, count: int = 23) -> list[dict[str, Any]]:
    """``count`` new people, then an invalid row and a duplicate (never sent)."""
    rows: list[dict[str, Any]] = [
        {"email": f"{prefix}{n}@example.com", "first_name": f"N{n}"} for n in range(count)
    ]
    return [*rows, {"email": "not an address"}, {"email": f"{prefix}0@example.com"}]


ROWS = people_rows("resume")
VALID = 23


class WorkerLost(BaseException):
    """The try ends here, as when its process is killed (nothing catches a BaseException for good)."""


class Store:
    """``context["task_state_store"]`` as Airflow 3.3 gives it: JSON values, kept across tries."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.writes = 0

    def get(self, key: str, default: Any = None) -> Any:
        return json.loads(self.values[key]) if key in self.values else default

    def set(self, key: str, value: Any) -> None:
        self.values[key] = json.dumps(value)
        self.writes += 1

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class FakeTI:
    def __init__(self, try_number: int, map_index: int = -1) -> None:
        self.try_number = try_number
        self.map_index = map_index
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def run_try(
    store: Store | None,
    try_number: int,
    lose_at: int = 0,
    after: bool = False,
    rows: list[dict[str, Any]] = ROWS,
    map_index: int = -1,
    task_id: str = "upsert",
    **options: Any,
) -> Any:
    """One try of the task; with ``lose_at``, the worker is lost at its ``lose_at``-th request."""
    context = {"ti": FakeTI(try_number, map_index), "run_id": "manual__resume", "task_state_store": store}
    operator = UpsertPeopleOperator(
        task_id=task_id,
        rows=rows,
        bulk_threshold=2,
        poll_interval_s=0.02,
        **{"max_failed_rows": 10, **options},
    )
    real = SalesloftTransport.request
    sent = 0

    def request(self: SalesloftTransport, *args: Any, **kwargs: Any) -> Any:
        nonlocal sent
        sent += 1
        if sent == lose_at and not after:
            raise WorkerLost
        answer = real(self, *args, **kwargs)
        if sent == lose_at:
            raise WorkerLost
        return answer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SalesloftTransport, "request", request)
        return operator.execute(context), sent  # type: ignore[arg-type]


def uploaded_emails(sim: SalesloftSimulator, rows: list[dict[str, Any]]) -> Counter[str]:
    mine = {row["email"] for row in rows[:-2]}
    return Counter(
        str(r["email_address"])
        for job in sim.bulk_jobs.jobs.values()
        for r in job.records
        if r.get("email_address") in mine
    )


def assert_done_once(
    sim: SalesloftSimulator, summary: dict[str, Any], rows: list[dict[str, Any]] = ROWS
) -> None:
    emails = [row["email"] for row in rows[:-2]]
    assert uploaded_emails(sim, rows) == Counter(emails)  # no record uploaded twice, none missing
    assert (
        len(
            {
                job.id
                for job in sim.bulk_jobs.jobs.values()
                if any(r.get("email_address") in emails for r in job.records)
            }
        )
        == 1
    )
    ids = {str(p["email_address"]): [] for p in sim.state.people.values()}
    for person in sim.state.people.values():
        ids[str(person["email_address"])].append(person["id"])
    assert all(len(ids[email]) == 1 for email in emails)  # every row created once
    assert (summary["created"], summary["invalid"], summary["duplicates"]) == (len(emails), 1, 1)
    assert summary["method"] == "bulk" and summary["person_ids"][: len(emails)] == [
        ids[email][0] for email in emails
    ]


@pytest.fixture
def small_uploads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upsert_resume, "UPLOAD_SIZE", 5)  # 23 records: 5 uploads


def test_an_undisturbed_run_keeps_its_job_only_until_its_results_are_read(
    salesloft_simulator: SalesloftSimulator, small_uploads: None
) -> None:
    store = Store()
    summary, _ = run_try(store, 1)

    assert_done_once(salesloft_simulator, summary)
    assert store.writes == 8  # before and after the create, before each of 5 uploads, before the start
    assert store.values == {}  # read: a cleared task upserts again


@pytest.mark.parametrize("after", [False, True], ids=["before-request", "after-answer"])
def test_a_try_lost_at_any_request_is_resumed_by_the_next(
    salesloft_simulator: SalesloftSimulator, small_uploads: None, after: bool
) -> None:
    """Every point of loss in turn: create, each upload, start, polls, result pages (the number of polls
    varies: a point past the try's last request loses nothing)."""
    _, calls = run_try(Store(), 1, rows=people_rows("count"))
    assert calls >= 9
    lost = 0
    for lose_at in range(1, calls + 3):
        rows = people_rows(f"lost{lose_at}{after}-")
        store = Store()
        jobs_at_start = len(salesloft_simulator.bulk_jobs.jobs)
        try:
            summary, _ = run_try(store, 1, lose_at=lose_at, after=after, rows=rows)
        except WorkerLost:
            lost += 1
            jobs_before = len(salesloft_simulator.bulk_jobs.jobs) - jobs_at_start
            summary, _ = run_try(store, 2, rows=rows)
            created = len(salesloft_simulator.bulk_jobs.jobs) - jobs_at_start - jobs_before
            # The one job is resumed (found by its name when the try was lost before it kept the id).
            expected = 1 if jobs_before == 0 else 0
            assert created == expected, (lose_at, created)

        assert_done_once(salesloft_simulator, summary, rows)
        assert store.values == {}
    assert lost >= 9


EXAMPLES = count(1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.integers(2, 30),
    upload_size=st.integers(1, 12),
    lose_at=st.integers(1, 30),
    after=st.booleans(),
)
def test_any_input_upload_size_and_point_of_loss(
    salesloft_simulator: SalesloftSimulator, people: int, upload_size: int, lose_at: int, after: bool
) -> None:
    """The same invariants over generated input sizes, upload sizes and points of loss."""
    rows = people_rows(f"generated{next(EXAMPLES)}-", people)
    store = Store()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(upsert_resume, "UPLOAD_SIZE", upload_size)
        try:
            summary, _ = run_try(store, 1, lose_at=lose_at, after=after, rows=rows)
        except WorkerLost:  # else the first try ended before its ``lose_at``-th request
            summary, _ = run_try(store, 2, rows=rows)

    assert_done_once(salesloft_simulator, summary, rows)
    assert store.values == {}


@pytest.mark.salesloft_simulator(bulk_job_records_per_s=2)
def test_a_deferred_try_that_ended_defers_again_on_the_same_job(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    from airflow.providers.common.compat.sdk import TaskDeferred

    store = Store()
    with pytest.raises(TaskDeferred) as first:
        run_try(store, 1, deferrable=True)
    uploads = salesloft_simulator.stats.calls_by_route["POST /v2/bulk_jobs/:id/job_data"]
    with pytest.raises(TaskDeferred) as second:  # the trigger timed out, say: the task is retried
        run_try(store, 2, deferrable=True)

    assert second.value.trigger.job_id == first.value.trigger.job_id  # type: ignore[attr-defined]
    assert salesloft_simulator.stats.calls_by_route["POST /v2/bulk_jobs"] == 1
    assert salesloft_simulator.stats.calls_by_route["POST /v2/bulk_jobs/:id/job_data"] == uploads
    assert second.value.trigger.carry["tally"]["rows"] == len(ROWS)  # type: ignore[attr-defined]


def test_other_input_starts_a_new_job(
    salesloft_simulator: SalesloftSimulator, small_uploads: None, task_logs: Any
) -> None:
    store = Store()
    with pytest.raises(WorkerLost):
        run_try(store, 1, lose_at=4)  # create, two uploads, lost at the third
    changed = [dict(row) for row in ROWS]
    changed[1]["first_name"] = "Changed"
    summary, _ = run_try(store, 2, rows=changed)

    assert "is not the one bulk job" in task_logs()
    assert len(salesloft_simulator.bulk_jobs.jobs) == 2 and summary["created"] == VALID


def test_a_job_salesloft_no_longer_knows_starts_a_new_job(
    salesloft_simulator: SalesloftSimulator, small_uploads: None, task_logs: Any
) -> None:
    store = Store()
    with pytest.raises(WorkerLost):
        run_try(store, 1, lose_at=4)
    salesloft_simulator.bulk_jobs.jobs.clear()
    summary, _ = run_try(store, 2)

    assert "no longer knows bulk job" in task_logs()
    assert summary["created"] == VALID and len(salesloft_simulator.bulk_jobs.jobs) == 1


def test_without_a_store_a_retry_starts_over_and_says_so(
    salesloft_simulator: SalesloftSimulator, task_logs: Any
) -> None:
    """Airflow 2.11 and 3.0-3.2: no ``task_state_store`` in the context; today's behaviour."""
    with pytest.raises(WorkerLost):
        run_try(None, 1, lose_at=3)
    summary, _ = run_try(None, 2)

    assert "no task state store" in task_logs()
    assert summary["created"] == VALID
    assert len(salesloft_simulator.bulk_jobs.jobs) == 2
    assert uploaded_emails(salesloft_simulator, ROWS) == Counter({row["email"]: 2 for row in ROWS[:VALID]})


def test_the_store_holds_no_record_and_no_secret(salesloft_simulator: SalesloftSimulator) -> None:
    store = Store()
    with pytest.raises(WorkerLost):
        run_try(store, 1, lose_at=3)
    text = json.dumps(store.get(STORE_KEY))

    assert set(json.loads(text)) == {"job_id", "name", "held", "sending", "digest", "api_calls"}
    assert "example.com" not in text and salesloft_simulator.connection_uri_json() not in text
    assert (
        json.loads(text)["digest"]
        == RecordDigest(
            {"email_address": row["email"], "first_name": row["first_name"], "upsert_key": "email_address"}
            for row in ROWS[:VALID]
        ).hexdigest()
    )


def test_a_malformed_entry_is_ignored(salesloft_simulator: SalesloftSimulator) -> None:
    store = Store()
    store.set(STORE_KEY, {"job_id": "701"})
    assert JobStore(store, __import__("logging").getLogger("t")).load() is None
    summary, _ = run_try(store, 1)
    assert summary["created"] == VALID


@pytest.mark.parametrize("job_id", [True, 0, -5, 2**70], ids=["bool", "zero", "negative", "beyond-64-bits"])
def test_an_entry_naming_no_possible_job_is_ignored_not_fatal(
    salesloft_simulator: SalesloftSimulator, task_logs: Any, job_id: Any
) -> None:
    """An entry written by hand (the store has a public REST API) or by something else: a job id no job can
    have made every try fail before (``SalesloftInvalidArgumentError`` from the job read), for good, as
    nothing removed the entry."""
    store = Store()
    entry = {"job_id": job_id, "name": "x", "held": 0, "sending": 0, "digest": "", "api_calls": 0}
    store.set(STORE_KEY, entry)
    summary, _ = run_try(store, 2)

    assert "malformed task state entry" in task_logs()
    assert_done_once(salesloft_simulator, summary)
    assert store.values == {}


@pytest.mark.parametrize(("held", "sending"), [(5, -5), (0, -5)])
def test_an_entry_with_negative_counts_is_ignored(
    salesloft_simulator: SalesloftSimulator, small_uploads: None, task_logs: Any, held: int, sending: int
) -> None:
    """``held`` + ``sending`` records are compared with the input, ``held`` of them skipped. Negative counts
    (by hand) made a job holding 5 records resume at record 0 (the job ran 28 records for 23 people), or
    failed every try (``islice`` refuses a negative stop)."""
    store = Store()
    with pytest.raises(WorkerLost):
        run_try(store, 1, lose_at=3)  # create, one upload of 5, lost at the second
    entry = store.get(STORE_KEY)
    store.set(STORE_KEY, {**entry, "held": held, "sending": sending, "digest": RecordDigest().hexdigest()})
    summary, _ = run_try(store, 2)

    assert "malformed task state entry" in task_logs()
    ran = [job for job in salesloft_simulator.bulk_jobs.jobs.values() if job.state != "open"]
    assert len(ran) == 1
    sent = Counter(str(r["email_address"]) for r in ran[0].records)
    assert sent == Counter(r["email"] for r in ROWS[:VALID])
    assert (summary["created"], summary["invalid"], summary["duplicates"]) == (VALID, 1, 1)


def test_mapped_instances_never_share_a_bulk_job(
    salesloft_simulator: SalesloftSimulator, small_uploads: None
) -> None:
    """Mapped instances of one task each have their own store entry, and need their own job name: with one
    name (DAG, task, run, try), instance 1's create whose answer was lost was "found again" as instance 0's
    open job, left half filled by a lost worker: instance 1 counted instance 0's 5 records as its own (28
    created of 23), and instance 0's retry uploaded them again into a new job."""
    mine, theirs = people_rows("mapped0-"), people_rows("mapped1-")
    store0 = Store()
    with pytest.raises(WorkerLost):
        run_try(store0, 1, lose_at=3, rows=mine, map_index=0)  # create, one upload of 5, lost
    salesloft_simulator.faults.update(
        {"lost_response_share": 1.0, "lost_response_routes": ("POST /v2/bulk_jobs",)}
    )
    summary1, _ = run_try(Store(), 1, rows=theirs, map_index=1)
    salesloft_simulator.faults.update({"lost_response_share": 0.0})
    summary0, _ = run_try(store0, 2, rows=mine, map_index=0)

    assert summary1["created"] == VALID
    assert_done_once(salesloft_simulator, summary0, mine)


def test_a_try_lost_right_after_the_create_leaves_no_second_job(
    salesloft_simulator: SalesloftSimulator,
) -> None:
    """The job's name is kept before the create is sent: a try lost once the create was answered but before
    the job's id was kept no longer makes the retry create a second job (an empty open one was left)."""
    store = Store()
    with pytest.raises(WorkerLost):
        run_try(store, 1, lose_at=1, after=True)  # the create, answered
    summary, _ = run_try(store, 2)

    assert_done_once(salesloft_simulator, summary)
    assert len(salesloft_simulator.bulk_jobs.jobs) == 1
    assert store.values == {}


@pytest.mark.parametrize("lose_at", [1, 3], ids=["creating", "mid-upload"])
def test_another_tasks_entry_is_not_resumed(
    salesloft_simulator: SalesloftSimulator, small_uploads: None, task_logs: Any, lose_at: int
) -> None:
    """An entry that names another task's job (copied by hand through the store's API; same rows) is not this
    task's: its job is left to its task. Before, only the job's name was compared with the entry's own, so the
    other task's half-filled job was filled and started by this one."""
    theirs = Store()
    with pytest.raises(WorkerLost):
        run_try(theirs, 1, lose_at=lose_at, after=True, task_id="other_upsert")
    mine = Store()
    mine.set(STORE_KEY, theirs.get(STORE_KEY))
    summary, _ = run_try(mine, 2)

    assert "is not this task's" in task_logs()
    other = [job for job in salesloft_simulator.bulk_jobs.jobs.values() if "other_upsert" in str(job.name)]
    assert [job.state for job in other] == ["open"]  # left to the other task's retry
    assert summary["bulk_job_id"] != other[0].id and summary["created"] == VALID


def test_a_try_failed_on_its_results_is_retried_on_the_same_job(
    salesloft_simulator: SalesloftSimulator, small_uploads: None
) -> None:
    """A try that fails after its job ran (more failed rows than ``max_failed_rows``) keeps its entry: the
    retry reads the same job's results again instead of uploading every record into a second job."""
    salesloft_simulator.set_faults(lost_result_share=1.0)  # no record gets a result: every row failed
    store = Store()
    for try_number in (1, 2):
        with pytest.raises(Exception, match="failed"):
            run_try(store, try_number, max_failed_rows=0)

    assert len(salesloft_simulator.bulk_jobs.jobs) == 1
    assert uploaded_emails(salesloft_simulator, ROWS) == Counter(row["email"] for row in ROWS[:-2])
