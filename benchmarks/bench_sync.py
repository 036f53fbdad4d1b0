"""Benchmarks of the warehouse-to-cadence sync against the simulator (run by ``make bench``).

Measured side by side, in one run, against a simulator in its own process (so its memory is not counted)
with 20-50 ms latency per call:

1. throughput as a share of the rate limit, at 600/min and at 6000/min, and the share of calls answered 429;
2. API calls per added person, for an email-keyed sync of 1,000 rows;
3. the same 1,000 adds done the common way (a loop of ``HttpHook.run()`` calls, a lookup then an add per
   row) and with ``CreateCadenceMembershipOperator`` mapped over the rows, as ratios to the sync;
4. peak memory growth of a 100,000-row sync read from SQL (SQLite).

Throughput is measured on the simulator's own per-window accounting: the calls charged in every window the
sync fully covered, over the limit of those windows (partial first and last windows are left out).
``--quick`` keeps the per-minute rates but uses 10-second windows (100 or 1,000 per window) so the whole
benchmark takes a few minutes; the default uses real 60-second windows.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


def setup_airflow_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="salesloft-bench-"))
    (home / "dags").mkdir()
    for source in (Path(__file__).parent / "dags").glob("*.py"):
        (home / "dags" / source.name).write_text(source.read_text())
    os.environ.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
    )
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    return home


@contextmanager
def simulator(**options: Any) -> Any:
    """A simulator in its own process; yields (url, admin) where admin(path, body) talks to /_sim/."""
    args = [sys.executable, "-m", "airflow_provider_salesloft.testing", "--port", "0"]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        args += [flag, *map(str, value)] if isinstance(value, tuple) else [flag, str(value)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        info: dict[str, Any] = {}
        for line in process.stdout:  # "listening on <url>", then a ready-to-paste export line
            if line.startswith("Salesloft simulator listening on "):
                info["url"] = line.split()[-1]
            elif line.startswith("export AIRFLOW_CONN_SALESLOFT_DEFAULT="):
                info["connection"] = json.loads(line.split("=", 1)[1].strip().strip("'"))
            elif line.startswith("Ctrl-C to stop"):
                break

        def admin(path: str, body: dict[str, Any] | None = None) -> Any:
            request = urllib.request.Request(
                info["url"] + path,
                data=None if body is None else json.dumps(body).encode(),
                method="GET" if body is None else "POST",
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request) as answer:
                return json.load(answer)

        os.environ["AIRFLOW_CONN_SALESLOFT_DEFAULT"] = json.dumps(info["connection"])
        yield info["url"], admin
    finally:
        process.terminate()
        process.wait()


class FakeTI:
    """Stands in for the task instance when an operator's execute() is called directly."""

    try_number = 1

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def sync_rows(rows: list[dict[str, Any]] | None = None, **options: Any) -> dict[str, Any]:
    from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

    operator = SyncCadenceMembershipsOperator(
        task_id="bench_sync", rows=rows, cadence_id=10, max_failed_rows=10**9, **options
    )
    return operator.execute({"ti": FakeTI()})


def email_rows(count: int) -> list[dict[str, Any]]:
    return [{"email": f"person{n}@example.com"} for n in range(1, count + 1)]


# -- 1. throughput -------------------------------------------------------------------------------------------
def throughput(limit_per_min: int, window_s: float, windows: float, share: float) -> dict[str, Any]:
    per_window = round(limit_per_min * window_s / 60)
    rows = int(per_window * windows * share) + 50
    with simulator(people=rows + 10, rate_limit=per_window, rate_window_s=window_s, latency_ms=(20, 50)) as (
        _,
        admin,
    ):
        started = time.monotonic()
        summary = sync_rows(email_rows(rows), rate_limit_share=share)
        elapsed = time.monotonic() - started
        stats = admin("/_sim/stats")
    used = [cost for _, cost in sorted(stats["cost_by_window"].items(), key=lambda kv: int(kv[0]))]
    full = used[1:-1]  # windows the sync covered entirely
    utilisation = sum(full) / (per_window * len(full)) if full else float("nan")
    return {
        "limit_per_min": limit_per_min,
        "window_s": window_s,
        "rate_limit_share": share,
        "rows": rows,
        "added": summary["added"],
        "full_windows": len(full),
        "calls_per_full_window": full,
        "share_of_limit_used": round(utilisation, 4),
        "share_of_allowed_used": round(utilisation / share, 4),
        "calls": stats["calls"],
        "rate_limited": stats["rate_limited"],
        "share_429": round(stats["rate_limited"] / max(stats["calls"], 1), 4),
        "elapsed_s": round(elapsed, 1),
    }


# -- 2 and 3. calls per add, and the other ways to do the same adds -----------------------------------------
def common_way(rows: int) -> dict[str, Any]:
    """What integrations do today: per row, look the person up, then add; HttpHook, retried with tenacity."""
    import tenacity
    from airflow.providers.http.hooks.http import HttpHook

    connection = json.loads(os.environ["AIRFLOW_CONN_SALESLOFT_DEFAULT"])
    os.environ["AIRFLOW_CONN_BENCH_HTTP"] = json.dumps(
        {
            "conn_type": "http",
            "host": connection["host"],
            "extra": {"Authorization": f"Bearer {connection['password']}", "Accept": "application/json"},
        }
    )
    retry = {
        "wait": tenacity.wait_exponential(multiplier=0.5, max=30),
        "stop": tenacity.stop_after_attempt(8),
        "retry": tenacity.retry_if_exception_type(Exception),
        "reraise": True,
    }
    lookup, add = (
        HttpHook(method="GET", http_conn_id="bench_http"),
        HttpHook(method="POST", http_conn_id="bench_http"),
    )
    started = time.monotonic()
    for row in email_rows(rows):
        people = lookup.run_with_advanced_retry(
            retry, "/v2/people", data={"email_addresses[]": row["email"]}
        ).json()
        person = people["data"][0]["id"]
        add.run_with_advanced_retry(
            retry, "/v2/cadence_memberships", json={"person_id": person, "cadence_id": 10}
        )
    return {"elapsed_s": round(time.monotonic() - started, 1)}


def mapped_operator(rows: int) -> dict[str, Any]:
    """CreateCadenceMembershipOperator.partial().expand_kwargs() over the rows, in a real dag.test() run."""
    import importlib.util

    path = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]) / "bench_mapped.py"
    spec = importlib.util.spec_from_file_location("bench_mapped", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    leads = [{"person_id": 1000 + n, "cadence_id": 10} for n in range(1, rows + 1)]
    started = time.monotonic()
    run = module.dag.test(run_conf={"leads": leads})
    state = str(getattr(run.state, "value", run.state))
    return {"elapsed_s": round(time.monotonic() - started, 1), "state": state}


def compare_ways(rows: int, skip_mapped: bool) -> dict[str, Any]:
    options = {"people": rows + 10, "rate_limit": 100_000, "rate_window_s": 60, "latency_ms": (20, 50)}
    results: dict[str, Any] = {"rows": rows, "rate_limit_per_min": options["rate_limit"]}
    ways = [
        ("sync", lambda: sync_rows(email_rows(rows), rate_limit_share=1.0)),
        ("common_way", lambda: common_way(rows)),
    ]
    if not skip_mapped:
        ways.append(("mapped_operator", lambda: mapped_operator(rows)))
    for name, run in ways:
        with simulator(**options) as (_, admin):
            started = time.monotonic()
            outcome = run()
            elapsed = time.monotonic() - started
            stats = admin("/_sim/stats")
        added = stats["adds"]
        results[name] = {
            "elapsed_s": round(elapsed, 1),
            "api_calls": stats["calls"],
            "added": added,
            "calls_per_added": round(stats["calls"] / max(added, 1), 4),
            "minutes_at_600_per_min": round(stats["calls"] / 600, 2),
            **({"state": outcome["state"]} if isinstance(outcome, dict) and "state" in outcome else {}),
        }
    base = results["sync"]
    for name, _ in ways[1:]:
        results[name]["time_ratio_to_sync"] = round(
            results[name]["elapsed_s"] / max(base["elapsed_s"], 1e-9), 1
        )
        results[name]["calls_ratio_to_sync"] = round(
            results[name]["api_calls"] / max(base["api_calls"], 1), 2
        )
    return results


# -- 5. mirror ---------------------------------------------------------------------------------------------
def mirror(members: int = 10_000, changes: int = 500) -> dict[str, Any]:
    """Mirror a ``members``-strong cadence onto an input that adds ``changes`` people, drops ``changes``."""
    from airflow_provider_salesloft.testing import SalesloftSimulator

    with SalesloftSimulator(people=members + changes + 10, rate_limit=100_000, rate_window_s=60) as sim:
        for person in range(1001, 1001 + members):
            sim.state.add_to_cadence(1, {"person_id": person, "cadence_id": 10}, "422")
        os.environ["AIRFLOW_CONN_SALESLOFT_DEFAULT"] = sim.connection_uri_json()
        kept = range(1 + changes, members + changes + 1)  # drops the first `changes`, adds as many new
        started = time.monotonic()
        summary = sync_rows(
            [{"email": f"person{n}@example.com"} for n in kept],
            mode="mirror",
            max_removals=0.1,
            chunk_size=1000,
        )
        elapsed = time.monotonic() - started
        calls = sim.stats.calls
    return {
        "members": members,
        "added": summary["added"],
        "removed": summary["removed"],
        "api_calls": calls,
        "calls_by_kind": "lookups + member pages + writes",
        "elapsed_s": round(elapsed, 1),
    }


# -- 4. memory ---------------------------------------------------------------------------------------------
def memory(rows: int) -> dict[str, Any]:
    database = Path(tempfile.mkdtemp(prefix="salesloft-bench-sql-")) / "leads.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE leads (email TEXT, cadence_id INTEGER)")
        db.executemany(
            "INSERT INTO leads VALUES (?, 10)", ((f"person{n}@example.com",) for n in range(1, rows + 1))
        )
    os.environ["AIRFLOW_CONN_BENCH_LEADS"] = json.dumps({"conn_type": "sqlite", "host": str(database)})
    from airflow_provider_salesloft.operators import SyncCadenceMembershipsOperator

    with simulator(people=rows + 10, rate_limit=10_000_000) as _:
        started = time.monotonic()
        summary, baseline, peak = peak_rss(
            SyncCadenceMembershipsOperator(
                task_id="bench_memory",
                sql="SELECT email, cadence_id FROM leads",
                sql_conn_id="bench_leads",
                rate_limit_share=1.0,
                max_concurrency=8,
            ).execute,
            {"ti": FakeTI()},
        )
    return {
        "rows": rows,
        "added": summary["added"],
        "elapsed_s": round(time.monotonic() - started, 1),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak, 1),
        "growth_mb": round(peak - baseline, 1),
    }


def peak_rss(run: Callable[[Any], T], argument: Any) -> tuple[T, float, float]:
    """``run(argument)``, sampling this process's RSS every 20 ms: ``(result, baseline MB, peak MB)``."""
    baseline = rss_mb()
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = run(argument)
    finally:
        done.set()
        sampler.join()
    return result, baseline, peak


def rss_mb() -> float:
    """Resident set size of this process now, in MB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10-second windows instead of 60 (same rates)")
    parser.add_argument("--rows", type=int, default=1000, help="rows for the calls-per-add comparison")
    parser.add_argument("--memory-rows", type=int, default=100_000)
    parser.add_argument("--skip-mapped", action="store_true", help="leave out the mapped-operator run")
    parser.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mirror-only", action="store_true", help="only the mirror measurement")
    args = parser.parse_args()
    setup_airflow_home()
    if args.memory_only:  # run in a fresh process, so earlier runs do not hide the sync's peak
        print(json.dumps(memory(args.memory_rows)))
        return 0
    if args.mirror_only:
        print(json.dumps(mirror()))
        return 0
    window = 10.0 if args.quick else 60.0
    results: dict[str, Any] = {
        "quick": args.quick,
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
    }
    import airflow

    results["airflow"] = airflow.__version__
    print(f"== throughput (window {window:.0f} s, 20-50 ms latency)", flush=True)
    results["throughput"] = []
    for limit in (600, 6000):
        for share in (1.0, 0.9):
            row = throughput(limit, window, windows=3.2, share=share)
            results["throughput"].append(row)
            print(
                f"   {limit}/min, share {share}: {row['share_of_limit_used']:.1%} of the limit used "
                f"({row['share_of_allowed_used']:.1%} of the allowed share) per full window "
                f"{row['calls_per_full_window']}, 429s {row['share_429']:.2%} of {row['calls']} calls",
                flush=True,
            )
    print(f"== {args.rows} email-keyed adds: sync vs the common way vs the mapped operator", flush=True)
    results["comparison"] = compare_ways(args.rows, args.skip_mapped)
    for name in ("sync", "common_way", "mapped_operator"):
        if name in results["comparison"]:
            row = results["comparison"][name]
            ratios = (
                f", {row['time_ratio_to_sync']}x the sync's time, {row['calls_ratio_to_sync']}x its calls"
                if "time_ratio_to_sync" in row
                else ""
            )
            print(
                f"   {name}: {row['elapsed_s']} s, {row['api_calls']} calls, "
                f"{row['calls_per_added']} calls per "
                f"added person{ratios}",
                flush=True,
            )
    print("== mirror: 10,000-member cadence, input differing by 500 adds and 500 removals", flush=True)
    results["mirror"] = mirror()
    print(f"   {results['mirror']}", flush=True)
    print(f"== memory: {args.memory_rows} rows from SQL", flush=True)
    child = subprocess.run(
        [sys.executable, __file__, "--memory-only", "--memory-rows", str(args.memory_rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    results["memory"] = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"   peak RSS grew {results['memory']['growth_mb']} MB "
        f"({results['memory']['baseline_rss_mb']} -> {results['memory']['peak_rss_mb']} MB) "
        f"in {results['memory']['elapsed_s']} s",
        flush=True,
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"results: {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
