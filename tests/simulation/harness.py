"""Run a :class:`~world.World` against the simulator over loopback HTTP; check the promises after every run.

A world runs three times: once with its faults, then twice on a healthy server (a rerun finishes the work;
the rerun after it must change nothing). After every run:

- no person an input row names is removed, and nobody is added whom no row names;
- nobody is put on the cadence twice, and no person is created twice (across reruns too);
- every row has exactly one outcome, and the summary's counts equal what the simulator recorded;
- a mirror with an ``invalid`` row, or more failures than ``max_failed_rows``, removes nobody;
- the run ends within a bound that follows from the rate limit, in counts: requests, 429s and the windows
  of the simulator's ledger (:func:`check_pace`).
"""

from __future__ import annotations

import copy
import math
import os
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator, UpsertPeopleOperator
from airflow_provider_salesloft.operators.sync.rows import CREATE_OUTCOMES, OUTCOMES
from airflow_provider_salesloft.operators.upsert_people import UPSERT_OUTCOMES
from airflow_provider_salesloft.testing import SalesloftSimulator
from airflow_provider_salesloft.testing.state import SalesloftState

from .world import CADENCE, EXTRA_PEOPLE, REGULAR_PEOPLE, World

#: When the world's people were created (long before any run).
OLD = "2024-01-01T00:00:00.000000+00:00"
#: Fast retries, so that faults cost milliseconds (the pacing itself is the simulator's rate limit).
CONNECTION_EXTRAS = {"retry_backoff_base_s": 0.01, "retry_backoff_max_s": 0.05, "timeout": 10}


class FakeTI:
    """Collects what the operator pushes (``execute()`` is called directly: one DAG run per world would cost
    seconds)."""

    try_number = 1

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


@dataclass
class Run:
    """What one run of the operator left: its summary (None when it failed before pushing one), its error,
    and the share of the team's rate limit its hook used."""

    summary: dict[str, Any] | None
    error: BaseException | None
    share: float = 1.0


def build_simulator(world: World) -> SalesloftSimulator:
    """The world's Salesloft: its people, the cadence's members, its faults (not yet switched on)."""
    sim = SalesloftSimulator(
        people=REGULAR_PEOPLE, email_lookup=world.email_lookup, rate_window_s=world.window_s
    )
    for ident, (email, fields) in EXTRA_PEOPLE.items():
        sim.state.add_person(ident, email, **fields)
    for person in sim.state.people.values():  # people a team has had for long, as real ones: not "created
        person["created_at"] = OLD  # during the call" to a lost answer's check, whatever the clock's doubt
    for person, user in sorted(world.members.items()):
        sim.state.add_to_cadence(user, {"person_id": person, "cadence_id": CADENCE}, "422")
    return sim


def execute(sim: SalesloftSimulator, operator_class: Any, **arguments: Any) -> Run:
    """Build an operator on a connection to ``sim`` and run its ``execute()`` once."""
    conn_id = f"sim_{uuid.uuid4().hex[:12]}"
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = sim.connection_uri_json(**CONNECTION_EXTRAS)
    operator = operator_class(task_id="simulated", salesloft_conn_id=conn_id, **arguments)
    ti = FakeTI()
    try:
        summary = operator.execute({"ti": ti, "run_id": "simulation"})
        error: BaseException | None = None
    except Exception as raised:  # the invariants hold however the run ends
        summary, error = ti.pushed.get("return_value"), raised
    finally:
        os.environ.pop(f"AIRFLOW_CONN_{conn_id.upper()}", None)
        operator.hook.close()
    return Run(summary, error, operator.hook.pacer.share)


def run_operator(world: World, sim: SalesloftSimulator) -> Run:
    """Execute the world's operator once against ``sim``."""
    rows = copy.deepcopy(world.rows)
    if world.operation == "upsert":
        return execute(sim, UpsertPeopleOperator, rows=rows, poll_interval_s=0.05, **world.options)
    return execute(
        sim,
        SyncCadenceMembershipsOperator,
        rows=rows,
        cadence_id=CADENCE,
        mode=world.operation,
        bulk_poll_interval_s=0.05,
        **world.options,
    )


def snapshot(state: SalesloftState) -> dict[str, Any]:
    """What a run may change: who is on which cadence (with the membership's id), and the people."""
    with state.lock:
        return {
            "on": {
                (m["person_id"], m["cadence_id"]): m["id"]
                for m in state.memberships.values()
                if m["currently_on_cadence"]
            },
            "people": {ident: copy.deepcopy(person) for ident, person in state.people.items()},
        }


def strict_id(value: Any) -> int | None:
    """A person id as any reader would take it from a row (digits, maybe spaced), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def named_people(world: World, state: SalesloftState) -> set[int]:
    """Everyone an input row names: its person_id, and everyone Salesloft matches its email with."""
    named: set[int] = set()
    for row in world.rows:
        if not isinstance(row, dict):
            continue
        ident = strict_id(row.get("person_id"))
        if ident is not None:
            named.add(ident)
        email = row.get("email")
        if isinstance(email, str) and email.strip():
            wanted = email.strip().lower()
            for person in state.find_people({"email_addresses[]": [wanted]}):
                if wanted in {
                    str(person.get(f) or "").strip().lower()
                    for f in ("email_address", "personal_email_address", "secondary_email_address")
                }:
                    named.add(int(person["id"]))
    return named


def check_run(
    world: World, sim: SalesloftSimulator, before: dict[str, Any], run: Run, adds_before: int
) -> None:
    """Every promise, after one run."""
    after = snapshot(sim.state)
    named = named_people(world, sim.state)
    removed = {pair for pair in before["on"] if pair not in after["on"]}
    added = {pair for pair in after["on"] if pair not in before["on"]}
    context = f"run ended with {run.error!r}; summary {run.summary}"

    assert not {p for p, _ in removed} & named, f"named people removed: {sorted(removed)}; {context}"
    assert {p for p, _ in added} <= named, f"added people no row names: {sorted(added - named)}; {context}"
    # Nobody twice: one committed add per person newly on; no email created twice.
    assert sim.stats.adds - adds_before == len(added), (
        f"{sim.stats.adds - adds_before} adds for {len(added)} people"
    )
    new_people = [p for ident, p in after["people"].items() if ident not in before["people"]]
    new_emails = Counter(str(p.get("email_address") or "").strip().lower() for p in new_people)
    old_emails = {str(p.get("email_address") or "").strip().lower() for p in before["people"].values()}
    twice = [email for email, count in new_emails.items() if count > 1 or email in old_emails]
    assert not twice, f"people created twice: {twice}; {context}"

    summary = run.summary
    if summary is None:
        return
    outcomes = UPSERT_OUTCOMES if world.operation == "upsert" else OUTCOMES
    extra = CREATE_OUTCOMES if world.options.get("create_missing_people") else ()
    counted = sum(summary[name] for name in (*outcomes, *extra))
    assert summary["rows"] == len(world.rows) == counted, (
        f"{len(world.rows)} rows, outcomes {counted}: {summary}"
    )
    if world.operation == "upsert":
        assert summary["created"] <= len(new_people) <= summary["created"] + summary["failed"], summary
        return
    # An add whose answer was lost, and whose every check failed too, ends failed (or created) in doubt.
    added_reported = summary["added"] + summary.get("created_and_added", 0)
    add_in_doubt = added_reported + summary["failed"] + summary.get("created", 0)
    assert added_reported <= len(added) <= add_in_doubt, f"{sorted(added)}: {summary}"
    assert summary.get("created_and_added", 0) + summary.get("created", 0) <= len(new_people), summary
    if world.operation == "mirror":
        # A removal whose answer was lost, and whose check failed too, is reported failed (in doubt).
        in_doubt = summary["removed"] + summary["removal_failed"]
        assert summary["removed"] <= len(removed) <= in_doubt, f"{sorted(removed)}: {summary}"
        if (
            summary["invalid"]
            or summary["failed"] + summary["invalid"] + summary.get("created", 0)
            > world.options["max_failed_rows"]
        ):
            assert not removed and summary["mirror_refused"], summary


#: The simulator's counters of the answers its dice spoiled (503s, dropped or lost answers, malformed adds,
#: lost bulk results): each may cost a retry and a check of whether the spoiled write was carried out.
INJECTED_FAULTS = ("errors_503", "dropped", "lost_responses", "malformed_answers", "lost_results")


@dataclass(frozen=True)
class Ledger:
    """What the simulator counted during one run (its own counters, never the harness's clock).

    :param calls: API requests it received (429s included).
    :param injected: answers its dice spoiled (see :data:`INJECTED_FAULTS`).
    :param refused: requests it refused for the rate limit (429).
    :param cost_by_window: window number -> the cost the run was charged in it (its window ledger).
    """

    calls: int
    injected: int
    refused: int
    cost_by_window: dict[int, int]

    @property
    def cost(self) -> int:
        """The rate-limit cost the run was charged."""
        return sum(self.cost_by_window.values())

    @property
    def windows(self) -> list[int]:
        """The cost charged in each window from the run's first charged window to its last (0: none)."""
        if not self.cost_by_window:
            return []
        first, last = min(self.cost_by_window), max(self.cost_by_window)
        return [self.cost_by_window.get(window, 0) for window in range(first, last + 1)]


def counters(sim: SalesloftSimulator) -> dict[str, Any]:
    """A copy of the simulator's counters."""
    with sim.state.lock:
        return {**sim.stats.as_dict(), "cost_by_window": Counter(sim.stats.cost_by_window)}


def ledger(before: dict[str, Any], after: dict[str, Any]) -> Ledger:
    """What the simulator counted between ``before`` and ``after`` (see :func:`counters`)."""
    return Ledger(
        calls=after["calls"] - before["calls"],
        injected=sum(after[name] - before[name] for name in INJECTED_FAULTS),
        refused=after["rate_limited"] - before["rate_limited"],
        cost_by_window=dict(after["cost_by_window"] - before["cost_by_window"]),
    )


#: Requests any run may send whatever its input (the cadence and its step, the users, the bulk job's start,
#: polls and first result page, the first page of each listing).
FIXED_REQUESTS = 12
#: Requests one row may cost: its share of the lookups (a batch split in two when the URL is too long), its
#: add or its person's creation, and its removal.
REQUESTS_PER_ROW = 4
#: Listings one run may read whole: the cadence's members, the email and the id lookups.
LISTINGS = 3
#: Requests one spoiled answer may cost: the retry, and the check (up to two pages) of whether it was
#: carried out.
REQUESTS_PER_FAULT = 3
#: 429s a run may get per window it spans: the probe that finds where a window begins, and the request it had
#: on the wire while its window ended.
REFUSALS_PER_WINDOW = 2
#: Windows a run without rate-limit headers must spend up to a 429, whatever it does: nothing else tells it
#: the limit. The first one it sees (counted from the run's start, mid-window: it only bounds the limit), and
#: the one that measures it (counted whole, from a turn the first 429 let it locate).
COLD_WINDOWS = 2
#: The operators' default ``max_concurrency`` (requests in flight at once), for a world that sets none.
DEFAULT_IN_FLIGHT = 8
#: Windows a run may span beyond those its cost needs (and, in 1-s windows, those it spent working below
#: its share): the run starts anywhere in a window, so its first one may be partial.
WINDOW_SLACK = 1
#: Windows from this length on are long enough for any machine to send a share of the small limits the
#: worlds use (25 or 60 a window) well within one: a window charged below the share then means the run was
#: held back, not busy, and is not excused. In shorter windows the run's own work (lookups, latency, a
#: loaded machine) may leave windows below the share; only windows with nothing sent are then an idle.
PACED_WINDOW_S = 2.0


def request_bound(world: World, members: int, ledger: Ledger) -> int:
    """The most requests a run of ``world`` may send, from its rows, the pages its listings can take and the
    faults the simulator injected (429s are bounded on their own, by the windows)."""
    rows = len(world.rows)
    page = world.faults.get("page_size_cap") or 100
    # An email may match 3 people; every listed record may be a page of its own with page_size_cap 1.
    listed = members + 3 * rows
    pages = LISTINGS * (-(-listed // page) + 1)
    removals = members if world.operation == "mirror" else 0  # one DELETE per member the input leaves out
    return (
        FIXED_REQUESTS
        + REQUESTS_PER_ROW * rows
        + pages
        + removals
        + REQUESTS_PER_FAULT * ledger.injected
        + ledger.refused
    )


def cold_refusals(world: World, headers: bool) -> int:
    """429s a run may get beyond :data:`REFUSALS_PER_WINDOW` per window: none with rate-limit headers (the
    answers tell what is left). Without them, each of the :data:`COLD_WINDOWS` is spent up to a 429, and every
    request in flight at that moment gets a 429 too: the run's in-flight requests (its operator's
    ``max_concurrency``) per cold window."""
    if headers:
        return 0
    return COLD_WINDOWS * int(world.options.get("max_concurrency", DEFAULT_IN_FLIGHT))


def check_pace(
    world: World, before: dict[str, Any], run: Run, ledger: Ledger, limit: int, headers: bool = True
) -> None:
    """The run ends within a bound that follows from the rate limit, stated in counts (the simulator's own
    counters and window ledger), never in seconds:

    - it sent at most :func:`request_bound` requests (no retrying without bound);
    - it got at most :data:`REFUSALS_PER_WINDOW` 429s per window it spans (no hammering a spent window), plus,
      when the server sent no rate-limit headers (``headers`` false), :func:`cold_refusals`: the requests
      in flight when each of the :data:`COLD_WINDOWS` it must spend up to a 429 (the first one, and the one
      that measures the limit) ran out. The probes for the first turn (one per probe gap, a fifth of a
      window) come within the per-window allowance: later windows, paced at the share, get none;
    - the windows it spans are at most ``ceil(cost / (limit * share))`` (the windows its cost needs) plus
      :data:`WINDOW_SLACK`; in windows shorter than :data:`PACED_WINDOW_S`, at most the windows it sent
      anything in (it was working there, if below its share) plus :data:`WINDOW_SLACK`, when that is more.
      So it never sits out a window, and in long windows never sends less than its share with work left.
    """
    context = f"{ledger}; run ended with {run.error!r}"
    bound = request_bound(world, len(before["on"]), ledger)
    assert ledger.calls <= bound, f"{ledger.calls} requests, at most {bound} allowed; {context}"
    windows = ledger.windows
    refusals = REFUSALS_PER_WINDOW * max(len(windows), 1) + cold_refusals(world, headers)
    assert ledger.refused <= refusals, f"429s beyond the bound ({refusals}); {context}"
    share = limit * run.share
    needed = math.ceil(ledger.cost / share)
    # In short windows the run's own work may leave a window below its share (never one with nothing sent).
    working = sum(1 for cost in windows if cost) if world.window_s < PACED_WINDOW_S else 0
    allowed = max(needed, working) + WINDOW_SLACK
    assert len(windows) <= allowed, (
        f"spanned {len(windows)} windows {windows}: {needed} needed by its cost at {share:g} a window, "
        f"{working} excused as windows it worked in, {WINDOW_SLACK} slack; {context}"
    )


def check_world(world: World) -> None:
    """Run ``world`` with its faults, then twice on a healthy server; check every promise after each run."""
    with build_simulator(world) as sim:
        sim.set_faults(**world.faults)
        for attempt in range(3):
            before, adds, counted = snapshot(sim.state), sim.stats.adds, counters(sim)
            run = run_operator(world, sim)
            faults = sim.faults
            check_pace(
                world,
                before,
                run,
                ledger(counted, counters(sim)),
                faults.rate_limit,
                faults.rate_limit_headers,
            )
            if attempt == 0:
                sim.set_faults(**{name: value for name, value in HEALTHY.items() if name in world.faults})
            check_run(world, sim, before, run, adds)
            if attempt == 2 and world.operation != "upsert":
                assert snapshot(sim.state) == before, f"a rerun of a finished run wrote: {run.summary}"
            if attempt == 2 and world.operation == "upsert":
                assert run.summary is not None and run.summary["created"] == 0, run.summary


#: The healthy value of every fault a world may switch on.
HEALTHY: dict[str, Any] = {
    "page_size_cap": 0,
    "omit_paging": False,
    "lost_response_share": 0.0,
    "error_503_share": 0.0,
    "drop_share": 0.0,
    "latency_ms": (0.0, 0.0),
    "lost_result_share": 0.0,
    "add_state": "staged",
    "already_on_cadence": "422",
    "rate_limit": 600,
    "rate_limit_headers": True,
    "malformed_add_share": 0.0,
    "max_url_bytes": 0,
}


def regression_test(world: World) -> str:
    """A failing world as a ready-to-paste regression test (for ``tests/simulation/test_regressions.py``)."""
    name = uuid.uuid5(uuid.NAMESPACE_OID, repr(world)).hex[:8]
    return f"def test_world_{name}() -> None:\n    check_world({world!r})\n"
