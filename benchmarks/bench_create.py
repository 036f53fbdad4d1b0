"""Benchmarks of create-and-enroll and of person upserts against the simulator (run by ``make bench``).

Measured side by side, in one run, against a simulator in its own process (20-50 ms latency per call;
bulk jobs process 500 records a second):

1. create-and-enroll of 1,000 new leads (``create_missing_people=True``) at 600 calls/min: API calls per
   enrolled person, the share of the limit used in the windows the sync fully covered, and 429s; next to
   the common way (look up, create, add: one call each, per lead), measured at a high limit;
2. an upsert of 20,000 rows with ``deferrable=True``: calls in all, and how long the worker was held
   (``execute()`` until it deferred, then ``execute_complete()``) against the time the job took, which the
   trigger spent waiting instead;
3. peak memory growth of an upsert of 100,000 rows read from SQL, and the size of its summary XCom.

``--quick`` keeps the rates but uses 10-second windows, so the whole benchmark takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_sync import RESULTS, FakeTI, peak_rss, setup_airflow_home, simulator


def context() -> dict[str, Any]:
    return {"run_id": "bench", "ti": FakeTI()}


def new_leads(count: int, prefix: str = "lead") -> list[dict[str, Any]]:
    return [{"email": f"{prefix}{n}@example.com", "first_name": f"Lead {n}"} for n in range(count)]


# -- 1. create and enroll ------------------------------------------------------------------------------------
def create_and_enroll(rows: int, window_s: float) -> dict[str, Any]:
    from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

    per_window = round(600 * window_s / 60)
    with simulator(rate_limit=per_window, rate_window_s=window_s, latency_ms=(20, 50)) as (_, admin):
        started = time.monotonic()
        summary = SyncCadenceMembershipsOperator(
            task_id="bench_create",
            rows=new_leads(rows),
            cadence_id=10,
            create_missing_people=True,
            rate_limit_share=1.0,
            max_failed_rows=10**9,
        ).execute(context())
        elapsed = time.monotonic() - started
        stats = admin("/_sim/stats")
    used = [cost for _, cost in sorted(stats["cost_by_window"].items(), key=lambda kv: int(kv[0]))]
    full = used[1:-1]
    enrolled = summary["created_and_added"]
    return {
        "rows": rows,
        "limit_per_min": 600,
        "window_s": window_s,
        "created_and_added": enrolled,
        "api_calls": stats["calls"],
        "calls_per_enrolled": round(stats["calls"] / max(enrolled, 1), 4),
        "calls_by_route": stats["calls_by_route"],
        "calls_per_full_window": full,
        "share_of_limit_used": round(sum(full) / (per_window * len(full)), 4) if full else None,
        "rate_limited": stats["rate_limited"],
        "share_429": round(stats["rate_limited"] / max(stats["calls"], 1), 4),
        "elapsed_s": round(elapsed, 1),
    }


def common_way(rows: int) -> dict[str, Any]:
    """Per lead: look the email up, create the person, add them (the hook's plain calls, one at a time)."""
    from airflow_provider_salesloft.hooks.salesloft import SalesloftHook

    with simulator(rate_limit=1_000_000, latency_ms=(20, 50)) as (_, admin):
        hook = SalesloftHook()
        started = time.monotonic()
        for lead in new_leads(rows, prefix="common"):
            found = hook.find_people_by_email([lead["email"]])
            person = found[0] if found else hook.create_person({"email_address": lead["email"]})
            hook.create_cadence_membership(person["id"], 10)
        elapsed = time.monotonic() - started
        stats = admin("/_sim/stats")
    return {
        "rows": rows,
        "api_calls": stats["calls"],
        "calls_per_enrolled": round(stats["calls"] / rows, 4),
        "elapsed_s": round(elapsed, 1),
        "minutes_at_600_per_min": round(stats["calls"] / 600, 2),
    }


# -- 2. a deferred upsert of 20,000 rows ---------------------------------------------------------------------
def deferred_upsert(rows: int) -> dict[str, Any]:
    from airflow.exceptions import TaskDeferred

    from airflow_provider_salesloft.operators import UpsertPeopleOperator

    with simulator(rate_limit=600, latency_ms=(20, 50)) as (_, admin):
        operator = UpsertPeopleOperator(
            task_id="bench_upsert", rows=new_leads(rows, prefix="bulk"), deferrable=True, poll_interval_s=10
        )
        ctx = context()
        started = time.monotonic()
        try:
            operator.execute(ctx)
            raise AssertionError("the operator did not defer")
        except TaskDeferred as deferred:
            worker_before = time.monotonic() - started
            trigger, method = deferred.trigger, deferred.method_name
        waited_from = time.monotonic()

        async def first_event() -> Any:
            async for event in trigger.run():
                return event.payload
            return None

        event = asyncio.run(first_event())
        trigger_s = time.monotonic() - waited_from
        resumed = time.monotonic()
        summary = getattr(UpsertPeopleOperator(task_id="bench_upsert", rows=[], deferrable=True), method)(
            ctx, event
        )
        worker_after = time.monotonic() - resumed
        stats = admin("/_sim/stats")
    return {
        "rows": rows,
        "created": summary["created"],
        "api_calls": stats["calls"],
        "calls_by_route": stats["calls_by_route"],
        "worker_held_s": round(worker_before + worker_after, 1),
        "waited_in_triggerer_s": round(trigger_s, 1),
        "summary_bytes": len(json.dumps(summary)),
    }


# -- 3. memory -----------------------------------------------------------------------------------------------
def memory(rows: int) -> dict[str, Any]:
    database = Path(tempfile.mkdtemp(prefix="salesloft-bench-sql-")) / "people.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE people (email TEXT, first_name TEXT, title TEXT)")
        db.executemany(
            "INSERT INTO people VALUES (?, ?, 'Buyer')",
            ((f"mem{n}@example.com", f"Mem {n}") for n in range(rows)),
        )
    os.environ["AIRFLOW_CONN_BENCH_PEOPLE"] = json.dumps({"conn_type": "sqlite", "host": str(database)})
    from airflow_provider_salesloft.operators import UpsertPeopleOperator

    with simulator(rate_limit=10_000_000, bulk_job_records_per_s=0) as _:
        started = time.monotonic()
        summary, baseline, peak = peak_rss(
            UpsertPeopleOperator(
                task_id="bench_memory",
                sql="SELECT email, first_name, title FROM people",
                sql_conn_id="bench_people",
                poll_interval_s=1,
            ).execute,
            context(),
        )
    return {
        "rows": rows,
        "created": summary["created"],
        "elapsed_s": round(time.monotonic() - started, 1),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak, 1),
        "growth_mb": round(peak - baseline, 1),
        "summary_bytes": len(json.dumps(summary)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10-second windows instead of 60 (same rates)")
    parser.add_argument("--rows", type=int, default=1000, help="new leads to create and enroll")
    parser.add_argument("--upsert-rows", type=int, default=20_000)
    parser.add_argument("--memory-rows", type=int, default=100_000)
    parser.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_airflow_home()
    if args.memory_only:  # a fresh process, so earlier runs do not hide the peak
        print(json.dumps(memory(args.memory_rows)))
        return 0
    window = 10.0 if args.quick else 60.0
    results: dict[str, Any] = {"quick": args.quick, "machine": f"{os.cpu_count()} cores"}
    print(f"== create and enroll {args.rows} new leads at 600/min (window {window:.0f} s)", flush=True)
    ours = results["create_and_enroll"] = create_and_enroll(args.rows, window)
    theirs = results["common_way"] = common_way(args.rows)
    print(
        f"   create_missing_people: {ours['api_calls']} calls, {ours['calls_per_enrolled']} per enrolled "
        f"person, {ours['share_of_limit_used']:.1%} of the limit used per full window "
        f"{ours['calls_per_full_window']}, 429s {ours['share_429']:.2%}, {ours['elapsed_s']} s\n"
        f"   the common way (lookup, create, add): {theirs['api_calls']} calls, "
        f"{theirs['calls_per_enrolled']} per enrolled person "
        f"({theirs['api_calls'] / max(ours['api_calls'], 1):.2f}x the calls; "
        f"{theirs['minutes_at_600_per_min']} min at 600/min)",
        flush=True,
    )
    print(f"== upsert {args.upsert_rows} rows, deferrable", flush=True)
    upsert = results["deferred_upsert"] = deferred_upsert(args.upsert_rows)
    print(
        f"   {upsert['api_calls']} calls in all {upsert['calls_by_route']}; worker held "
        f"{upsert['worker_held_s']} s, trigger waited {upsert['waited_in_triggerer_s']} s; "
        f"summary {upsert['summary_bytes']} bytes",
        flush=True,
    )
    print(f"== memory: upsert of {args.memory_rows} rows from SQL", flush=True)
    child = subprocess.run(
        [sys.executable, __file__, "--memory-only", "--memory-rows", str(args.memory_rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    memory_result = results["memory"] = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"   peak RSS grew {memory_result['growth_mb']} MB in {memory_result['elapsed_s']} s; "
        f"summary {memory_result['summary_bytes']} bytes",
        flush=True,
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "create.json").write_text(json.dumps(results, indent=2))
    print(f"results: {RESULTS / 'create.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
